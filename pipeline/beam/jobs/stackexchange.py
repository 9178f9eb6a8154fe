"""The stackexchange job: posts (one Document each from the reader) of the 28 largest sites are grouped
by (site, question id) into one document per question: title, body, answers by score, highest first
(filters/stackexchange.py). Without `--sites`, the largest sites are counted from the input itself and
reach the filter as a Beam side input."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from filters.stackexchange import TOP_SITES
from pipeline.beam.jobs import JobSpec
from pipeline.document import Document, Meta


@dataclasses.dataclass(frozen=True)
class StackExchangeOptions:
    sites: str | None = None  # comma-separated sites to keep; None: the `top_sites` largest
    top_sites: int = TOP_SITES


class _Counted:
    """Base of the DoFns below: drops counted for the step `step` (pipeline/beam/transforms.py Drops:
    counters, the input file's ledger, --write-dropped), created on each worker, closed at each bundle's
    end. The --write-dropped setting is taken when the pipeline is built."""

    step = "threads"

    def __init__(self) -> None:
        from pipeline.beam.transforms import dropped_config

        self.dropped = dropped_config()
        self._drops: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_drops": None}

    @property
    def drops(self) -> Any:
        if self._drops is None:
            from pipeline.beam.transforms import Drops

            self._drops = Drops(self.step, self.dropped)
        return self._drops

    def finish_bundle(self) -> None:
        self.drops.close()


def _dofn(cls: type) -> type:
    """`cls` as a beam.DoFn (imported late: this module is read by the CLI before Beam is needed)."""
    import apache_beam as beam

    return type(cls.__name__, (cls, beam.DoFn), {})


class KeepSites(_Counted):
    """Keep posts whose site is in the side-input list (the computed top sites)."""

    step = "sites"

    def process(self, post: Document, sites: list[str]) -> Iterator[Document]:
        if post.meta.get(Meta.SITE) in sites:
            yield post
        else:
            self.drops.drop(post, "site_not_kept")


class BuildThreads(_Counted):
    """(thread key, posts) -> one document for the thread. Every post is accounted for: a kept thread
    stands for all its posts (`RECORDS`), a dropped one drops all of them under its reason."""

    def process(self, kv: tuple[str, Iterable[Document]]) -> Iterator[Document]:
        from filters.base import Drop
        from filters.stackexchange import build_thread
        from pipeline.accounting import INPUT_INDEX, LEDGER, RECORDS, file_index

        posts = list(kv[1])
        out, _ = build_thread(posts)
        if isinstance(out, Drop):
            for post in posts:  # each post dropped, and booked to its own file
                self.drops.drop(post, out.reason)
            return
        by_file: dict[int, int] = {}
        for post in posts:
            by_file[file_index(post)] = by_file.get(file_index(post), 0) + 1
        # the thread is booked to its first file; posts of the same thread in other files (a site's dump
        # given twice) are booked there as kept records too
        first = min(by_file)
        out.meta[INPUT_INDEX], out.meta[RECORDS] = first, by_file.pop(first)
        for index, n in by_file.items():
            LEDGER.keep_records_from(index, n)
        yield out


def site_of(post: Document) -> str:
    return str(post.meta.get(Meta.SITE) or "")


def key_by_thread(post: Document) -> tuple[str, Document]:
    from filters.stackexchange import thread_key

    return thread_key(post), post


def parse_sites(value: str | None) -> list[str]:
    return sorted({s.strip() for s in (value or "").split(",") if s.strip()})


def build(docs, opts: StackExchangeOptions, output: str):
    import apache_beam as beam

    from filters.stackexchange import SiteFilter, top_sites
    from pipeline.beam.transforms import apply_steps

    sites = parse_sites(opts.sites)
    if sites:
        posts = apply_steps(docs, [SiteFilter(sites)])
    else:
        n = opts.top_sites
        largest = (
            docs
            | "Sites:Of" >> beam.Map(site_of)
            | "Sites:Count" >> beam.combiners.Count.PerElement()
            | "Sites:All" >> beam.combiners.ToList()  # one (site, count) per site: a few hundred at most
            | "Sites:Top" >> beam.Map(top_sites, n)
        )
        posts = docs | "Sites:Keep" >> beam.ParDo(_dofn(KeepSites)(), beam.pvalue.AsSingleton(largest))
    return (
        posts
        | "Threads:Key" >> beam.Map(key_by_thread)
        | "Threads:Group" >> beam.GroupByKey()
        | "Threads:Build" >> beam.ParDo(_dofn(BuildThreads)())
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("stackexchange")
    g.add_argument(
        "--sites",
        default=StackExchangeOptions.sites,
        help="comma-separated sites to keep (as the reader names them, e.g. the dump's "
        "`math.stackexchange.com`); default: the --top-sites largest by post count in the input",
    )
    g.add_argument(
        "--top-sites",
        type=int,
        default=StackExchangeOptions.top_sites,
        help="without --sites, keep this many of the largest sites (LLaMA: 28)",
    )


JOB = JobSpec(
    source="stackexchange",
    meta_keys=(Meta.SITE, Meta.QUESTION_ID, Meta.SCORE, Meta.TITLE, Meta.ORIGIN),
    options=StackExchangeOptions,
    build=build,
    add_arguments=add_arguments,
    help="StackExchange Posts.xml -> one document per question (title, body, answers by score), 28 largest sites",
)
