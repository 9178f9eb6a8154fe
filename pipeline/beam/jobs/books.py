"""The books job: Gutenberg .txt and Books3 JSONL(.zst) -> Gutenberg header/footer stripped -> book-level
near-dedup (LLaMA section 2.1: "removing books with more than 90% content overlap"): MinHash LSH
candidates, exact shingle containment decides, the first book in the stable order is kept
(pipeline/beam/book_dedup.py, filters/minhash.py)."""

from __future__ import annotations

import argparse
import dataclasses

from filters.books import LSH_THRESHOLD, NUM_PERM, OVERLAP, SEED
from pipeline.beam.jobs import JobSpec
from pipeline.document import Meta


@dataclasses.dataclass(frozen=True)
class BooksOptions:
    overlap: float = OVERLAP
    lsh_threshold: float = LSH_THRESHOLD
    num_perm: int = NUM_PERM
    minhash_seed: int = SEED
    no_dedup: bool = False


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
        default=BooksOptions.overlap,
        help="remove a book when more than this share of its word 5-gram shingles occurs in a "
        "book kept before it (exact containment; LLaMA: 90%%) (default: %(default)s)",
    )
    g.add_argument(
        "--lsh-threshold",
        type=_fraction,
        default=BooksOptions.lsh_threshold,
        help="Jaccard threshold of the MinHash LSH that proposes candidate pairs; lower finds "
        "more pairs of unequal length, at more verification cost (default: %(default)s)",
    )
    g.add_argument(
        "--num-perm", type=int, default=BooksOptions.num_perm, help="MinHash permutations (default: %(default)s)"
    )
    g.add_argument(
        "--minhash-seed",
        type=int,
        default=BooksOptions.minhash_seed,
        help="MinHash permutation seed (default: %(default)s)",
    )
    g.add_argument(
        "--no-dedup",
        action="store_true",
        default=BooksOptions.no_dedup,
        help="only strip Gutenberg boilerplate, no near-dedup",
    )


def build(docs, opts: BooksOptions, output: str):
    from filters.books import StripGutenberg
    from pipeline.beam.book_dedup import NearDedupBooks
    from pipeline.beam.transforms import apply_steps

    docs = apply_steps(docs, [StripGutenberg()])
    if opts.no_dedup:
        return docs
    return docs | "NearDedup" >> NearDedupBooks(
        overlap=opts.overlap, lsh_threshold=opts.lsh_threshold, num_perm=opts.num_perm, seed=opts.minhash_seed
    )


JOB = JobSpec(
    source="books",
    meta_keys=(Meta.TITLE, Meta.ORIGIN),
    options=BooksOptions,
    build=build,
    add_arguments=add_arguments,
    help="Gutenberg .txt and Books3 JSONL(.zst) -> licence-stripped, near-deduplicated books (> 90 percent overlap)",
)
