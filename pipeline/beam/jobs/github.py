"""The github job: licence, extension, quality and generated-code filters and header stripping per file
(filters/github.py), then exact dedup of whole files by content hash (LLaMA section 2.1: "we deduplicate
the resulting dataset at the file level, with exact matches")."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from filters.github import MAX_LINE_LENGTH, MEAN_LINE_LENGTH, MIN_ALNUM_FRACTION
from pipeline.beam.jobs import JobSpec
from pipeline.document import Document, Meta


@dataclasses.dataclass(frozen=True)
class GithubOptions:
    max_line_length: int = MAX_LINE_LENGTH
    mean_line_length: float = MEAN_LINE_LENGTH
    min_alnum_fraction: float = MIN_ALNUM_FRACTION
    file_dedup: bool = True  # --no-file-dedup
    license_allow: tuple[str, ...] = ()  # SPDX ids kept besides the paper's


# (order key, document, copies by input file index): the combine value of the dedup, see `keep_first`
Candidate = tuple[tuple[str, str, str], Document, dict[int, int]]


def to_candidate(doc: Document) -> tuple[str, Candidate]:
    from filters.github import content_key, order_key
    from pipeline.accounting import file_index

    return content_key(doc), (order_key(doc), doc, {file_index(doc): 1})


def keep_first(values: Iterable[Candidate]) -> Candidate:
    """Associative and commutative: the smallest (repo, path, id) wins, copies are summed per input file
    (so each removed copy is booked to the file it came from). Used as a combiner so each worker
    pre-reduces before the shuffle and a key never holds more than one file's text in memory, however
    many copies of it exist (jquery.js, LICENSE-like boilerplate, vendored code): only a count per input
    file holding a copy."""
    best: Candidate | None = None
    copies: dict[int, int] = {}
    for cand in values:
        for index, n in cand[2].items():
            copies[index] = copies.get(index, 0) + n
        if best is None or cand[0] < best[0]:
            best = cand
    if best is None:
        raise ValueError("keep_first of no values")
    return best[0], best[1], copies


class EmitKept:
    """(hash, winner) -> the kept file; the other copies are counted as `duplicate_file` of the step
    `file_dedup`, each booked to its input file (pipeline/accounting.py; the ledger is flushed by
    CountKept downstream, which runs in the same fused stage)."""

    def __init__(self) -> None:
        self._drops: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_drops": None}

    def __call__(self, kv: tuple[str, Candidate]) -> Iterator[Document]:
        from pipeline.accounting import file_index

        _, (_, doc, copies) = kv
        losers = dict(copies)
        losers[file_index(doc)] -= 1  # the winner's own copy is kept
        if sum(losers.values()):
            if self._drops is None:
                from pipeline.beam.transforms import Drops

                self._drops = Drops("file_dedup")
            for index, n in losers.items():
                if n:
                    self._drops.drop_from(index, "duplicate_file", n)
        yield doc


def dedup_files(docs):
    """Exact dedup by SHA-256 of the cleaned text; `CombinePerKey` is a GroupByKey whose values are
    reduced by `keep_first` before and after the shuffle (combiner lifting)."""
    import apache_beam as beam

    return (
        docs
        | "Dedup:KeyByContent" >> beam.Map(to_candidate)
        | "Dedup:KeepFirst" >> beam.CombinePerKey(keep_first)
        | "Dedup:Emit" >> beam.FlatMap(EmitKept())
    )


def build(docs, opts: GithubOptions, output: str):
    from filters.github import github_steps
    from pipeline.beam.transforms import apply_steps

    steps = github_steps(
        opts.max_line_length, opts.mean_line_length, opts.min_alnum_fraction, extra_licenses=opts.license_allow
    )
    docs = apply_steps(docs, steps)
    if opts.file_dedup:
        docs = dedup_files(docs)
    return docs


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("github (thresholds: RedPajama-v1 github_run_filter.py)")
    g.add_argument(
        "--max-line-length",
        type=int,
        default=GithubOptions.max_line_length,
        help="drop files with a line longer than N",
    )
    g.add_argument(
        "--mean-line-length",
        type=float,
        default=GithubOptions.mean_line_length,
        help="drop files whose mean line is longer",
    )
    g.add_argument(
        "--min-alnum-fraction",
        type=float,
        default=GithubOptions.min_alnum_fraction,
        help="drop files whose alphanumeric share is lower",
    )
    g.add_argument(
        "--no-file-dedup",
        dest="file_dedup",
        action="store_false",
        default=GithubOptions.file_dedup,
        help="skip the exact whole-file dedup",
    )
    g.add_argument(
        "--license-allow",
        type=lambda v: tuple(x for x in v.split(",") if x.strip()),
        default=GithubOptions.license_allow,
        metavar="IDS",
        help="comma-separated SPDX ids to keep besides Apache-*, BSD-*, 0BSD, MIT* (e.g. ISC,Zlib,Unlicense); "
        "default: none, the paper's rule (docs/github.md)",
    )


JOB = JobSpec(
    source="github",
    meta_keys=(Meta.REPO, Meta.PATH, Meta.PROG_LANG, Meta.LICENSE, "license_expression", "license_source", Meta.ORIGIN),
    options=GithubOptions,
    build=build,
    add_arguments=add_arguments,
    help="GitHub BigQuery JSONL or source trees -> Apache/BSD/MIT code, quality-filtered, headers stripped, "
    "exact file dedup",
)
