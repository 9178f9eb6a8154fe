"""The stackexchange job: posts (one Document each from the reader) of the 28 largest sites are grouped
by (site, question id) into one document per question: title, body, answers by score, highest first
(filters/stackexchange.py). Without `--sites`, the largest sites are counted from the input itself and
reach the filter as a Beam side input."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.document import Document, Meta
from pipeline.jobs import JobSpec


class _Counted:
    """Base of the plain callables below: Beam counters created on first use, never pickled."""

    def __init__(self) -> None:
        self._counters: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_counters": {}}

    def _inc(self, name: str, n: int = 1) -> None:
        if name not in self._counters:
            from apache_beam.metrics import Metrics

            from pipeline.transforms import NAMESPACE

            self._counters[name] = Metrics.counter(NAMESPACE, name)
        self._counters[name].inc(n)


@functools.cache
def _counter(name: str) -> Any:
    from apache_beam.metrics import Metrics

    from pipeline.transforms import NAMESPACE

    return Metrics.counter(NAMESPACE, name)


def keep_sites(post: Document, sites: list[str]) -> Iterator[Document]:
    """Keep posts whose site is in the side-input list (the computed top sites). A function, not a
    callable object: Beam passes side inputs only to functions' extra parameters."""
    if post.meta.get(Meta.SITE) in sites:
        yield post
    else:
        _counter("drop.site_not_kept").inc()


class BuildThreads(_Counted):
    def __call__(self, kv: tuple[str, Iterable[Document]]) -> Iterator[Document]:
        from filters.base import Drop
        from filters.stackexchange import build_thread

        out, n = build_thread(kv[1])
        if isinstance(out, Drop):
            self._inc(f"drop.{out.reason}", n)
        else:
            yield out


def site_of(post: Document) -> str:
    return str(post.meta.get(Meta.SITE) or "")


def key_by_thread(post: Document) -> tuple[str, Document]:
    from filters.stackexchange import thread_key

    return thread_key(post), post


def parse_sites(value: str | None) -> list[str]:
    return sorted({s.strip() for s in (value or "").split(",") if s.strip()})


def build(docs, args, output):
    import apache_beam as beam

    from filters.stackexchange import TOP_SITES, SiteFilter, top_sites
    from pipeline.transforms import apply_steps

    sites = parse_sites(getattr(args, "sites", None))
    if sites:
        posts = apply_steps(docs, [SiteFilter(sites)])
    else:
        n = getattr(args, "top_sites", TOP_SITES)
        largest = (
            docs
            | "Sites:Of" >> beam.Map(site_of)
            | "Sites:Count" >> beam.combiners.Count.PerElement()
            | "Sites:All" >> beam.combiners.ToList()  # one (site, count) per site: a few hundred at most
            | "Sites:Top" >> beam.Map(top_sites, n)
        )
        posts = docs | "Sites:Keep" >> beam.FlatMap(keep_sites, beam.pvalue.AsSingleton(largest))
    return (
        posts
        | "Threads:Key" >> beam.Map(key_by_thread)
        | "Threads:Group" >> beam.GroupByKey()
        | "Threads:Build" >> beam.FlatMap(BuildThreads())
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("stackexchange")
    g.add_argument(
        "--sites",
        default=None,
        help="comma-separated sites to keep (as the reader names them, e.g. the dump's "
        "`math.stackexchange.com`); default: the --top-sites largest by post count in the input",
    )
    g.add_argument(
        "--top-sites",
        type=int,
        default=28,
        help="without --sites, keep this many of the largest sites (LLaMA: 28)",
    )


JOB = JobSpec(
    source="stackexchange",
    meta_keys=(Meta.SITE, Meta.QUESTION_ID, Meta.SCORE, Meta.TITLE, Meta.ORIGIN),
    build=build,
    add_arguments=add_arguments,
    help="StackExchange Posts.xml -> one document per question (title, body, answers by score), 28 largest sites",
)
