"""The books job: Gutenberg .txt and Books3 JSONL(.zst) -> Gutenberg header/footer stripped -> book-level
near-dedup (LLaMA section 2.1: "removing books with more than 90% content overlap"): MinHash LSH
candidates, exact shingle containment decides, the first book in the stable order is kept
(pipeline/beam/book_dedup.py, filters/minhash.py)."""

from __future__ import annotations

import argparse

from pipeline.beam.jobs import JobSpec
from pipeline.document import Meta


def _fraction(value: str) -> float:
    x = float(value)
    if not 0.0 < x < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {value}")
    return x


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("books")
    g.add_argument(
        "--overlap",
        type=_fraction,
        default=0.9,
        help="remove a book when more than this share of its word 5-gram shingles occurs in a "
        "book kept before it (exact containment; LLaMA: 90%%) (default: %(default)s)",
    )
    g.add_argument(
        "--lsh-threshold",
        type=_fraction,
        default=0.3,
        help="Jaccard threshold of the MinHash LSH that proposes candidate pairs; lower finds "
        "more pairs of unequal length, at more verification cost (default: %(default)s)",
    )
    g.add_argument("--num-perm", type=int, default=128, help="MinHash permutations (default: %(default)s)")
    g.add_argument("--minhash-seed", type=int, default=1, help="MinHash permutation seed (default: %(default)s)")
    g.add_argument("--no-dedup", action="store_true", help="only strip Gutenberg boilerplate, no near-dedup")


def build(docs, args: argparse.Namespace, output: str):
    from filters.books import StripGutenberg
    from pipeline.beam.book_dedup import NearDedupBooks
    from pipeline.beam.transforms import apply_steps

    docs = apply_steps(docs, [StripGutenberg()])
    if getattr(args, "no_dedup", False):
        return docs
    return docs | "NearDedup" >> NearDedupBooks(
        overlap=getattr(args, "overlap", 0.9),
        lsh_threshold=getattr(args, "lsh_threshold", 0.3),
        num_perm=getattr(args, "num_perm", 128),
        seed=getattr(args, "minhash_seed", 1),
    )


JOB = JobSpec(
    source="books",
    meta_keys=(Meta.TITLE, Meta.ORIGIN),
    build=build,
    add_arguments=add_arguments,
    help="Gutenberg .txt and Books3 JSONL(.zst) -> licence-stripped, near-deduplicated books (> 90 percent overlap)",
)
