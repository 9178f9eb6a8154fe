"""The cross-page parts of C4 as plain Python; the Beam shuffles that call them are in pipeline/beam/jobs/c4.py.

- URL dedup: TFDS `normalize_url` + `select_newest_page`.
- Line dedup (the default): TFDS `remove_duplicate_text`, what built public C4 (TFDS since 2020).
- Three-sentence-span dedup (`--dedup spans`): the T5 paper's wording (section 2.2, "discarded all but
  one of any three-sentence span occurring more than once"). Not what public C4 ran.

The shuffles hand each page its verdict as transient metadata (keys starting with "_", never written),
and the steps below act on it, so every dropped page is counted and booked like any other drop.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from filters.base import Drop, SimpleStep, StepResult
from filters.c4 import MIN_NUM_SENTENCES, _Counting
from filters.c4_sentences import split_sentences_regex
from pipeline.document import Document, Meta, stable_hash64

URL_LOSER = "_c4_url_duplicate"  # transient meta: True on every page but the newest of its URL
KEEP_LINES = "_c4_keep_lines"  # transient meta: space-joined md5s of the lines this page owns
FOREIGN_SPANS = "_c4_foreign_spans"  # transient meta: space-joined span hashes owned by other pages


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


# -- URL dedup ------------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """TFDS `normalize_url`: every "http://", "https://" (with an optional "www.") removed, anywhere in
    the URL as TFDS's unanchored regex does; a query starting with utm_, ref or feed cut; trailing "/"
    stripped."""
    url = re.sub(r"https?:\/\/(www\.)?", "", url)
    url = re.sub(r"\?(utm_|ref|feed).*", "", url)
    return url.rstrip("/")


def mark_url_duplicates(pages: Iterable[Document]) -> Iterator[Document]:
    """All pages of one normalized URL: the one TFDS `select_newest_page` keeps (the latest `WARC-Date`,
    compared as a string as TFDS does) unchanged, every other marked `URL_LOSER`. Knowing difference:
    among equal dates TFDS keeps whichever page Beam hands it first; here the smallest document id, so
    reruns agree."""
    ranked = sorted(pages, key=lambda d: d.id)
    ranked.sort(key=lambda d: str(d.meta.get(Meta.TIMESTAMP) or ""), reverse=True)  # stable
    yield ranked[0]
    for doc in ranked[1:]:
        yield doc.with_text(doc.text, **{URL_LOSER: True})


class C4UrlDedup(SimpleStep):
    """Drops the pages `mark_url_duplicates` marked (`duplicate_url`)."""

    name = "c4_url_dedup"

    def __call__(self, doc: Document) -> StepResult:
        return Drop("duplicate_url") if doc.meta.get(URL_LOSER) else doc


# -- line dedup (TFDS remove_duplicate_text) --------------------------------------------------------


def line_key(line: str) -> str:
    """TFDS `_emit_url_to_lines`: md5 of the stripped, lower-cased line."""
    return _md5(line.strip().lower())


def owner_rank(doc: Document) -> tuple[str, str]:
    """Which page owns a repeated line: TFDS keeps it on the page whose URL has the smallest md5
    (`Top.PerKey(1, key=_hash_text, reverse=True)`: hashed "to avoid biasing by domain"). The document
    id breaks a tie that TFDS never meets (its URLs are unique after the URL dedup)."""
    return _md5(str(doc.meta.get(Meta.URL) or "")), doc.id


def page_line_keys(doc: Document) -> Iterator[tuple[str, tuple[str, str]]]:
    """(line key, owner rank) for each distinct line of a page (split at `\\n` as TFDS)."""
    rank = owner_rank(doc)
    for key in dict.fromkeys(line_key(ln) for ln in doc.text.split("\n")):
        yield key, rank


def remove_lines(text: str, keep: set[str]) -> str:
    """TFDS `_remove_lines_from_text`: a line stays when its key is one this page owns and it was not
    already kept higher up the page; lines are kept as they are (not re-stripped)."""
    out, seen = [], set()
    for line in text.split("\n"):
        key = line_key(line)
        if key in keep and key not in seen:
            out.append(line)
            seen.add(key)
    return "\n".join(out)


class C4LineDedup(_Counting):
    """Applies the verdict of the line-dedup shuffle (`KEEP_LINES`): TFDS `_remove_lines_from_text`.
    A page left empty goes (`duplicate_lines`); one left with fewer than `min_sentences` punkt
    sentences, counted over the whole page (newlines included, so a sentence may run across lines, as
    TFDS counts here), goes as `too_few_sentences_after_dedup`."""

    name = "c4_line_dedup"

    def __init__(self, min_sentences: int = MIN_NUM_SENTENCES, sentences: str = "punkt") -> None:
        super().__init__(sentences)
        self.min_sentences = min_sentences

    def __call__(self, doc: Document) -> StepResult:
        keep = set(str(doc.meta.get(KEEP_LINES) or "").split())
        meta = {k: v for k, v in doc.meta.items() if k != KEEP_LINES}
        text = remove_lines(doc.text, keep)
        if not text:
            return Drop("duplicate_lines")
        if self.min_sentences and self.count(text) < self.min_sentences:
            return Drop("too_few_sentences_after_dedup")
        return Document(doc.id, doc.source, text, meta)


# -- three-sentence-span dedup (the paper's wording; --dedup spans) ----------------------------------

SPAN = 3
_WS = re.compile(r"\s+")


def _units(text: str) -> list[tuple[int, str]]:
    """(line number, sentence) for every sentence of the page, in order (regex sentences: the span
    dedup is no TFDS behaviour, so it keeps its own splitter)."""
    return [(i, s) for i, line in enumerate(text.split("\n")) for s in split_sentences_regex(line)]


def _span_hashes(units: list[tuple[int, str]]) -> list[str]:
    norm = [_WS.sub(" ", s.lower()) for _, s in units]
    return [f"{stable_hash64(*norm[i : i + SPAN]):016x}" for i in range(len(norm) - SPAN + 1)]


def span_keys(text: str) -> list[str]:
    """The distinct span hashes of a page (each emitted once per page for the cross-page shuffle)."""
    return list(dict.fromkeys(_span_hashes(_units(text))))


def remove_spans(doc: Document, foreign: Iterable[str], min_sentences: int = SPAN) -> StepResult:
    """Remove every sentence covered by a span whose first occurrence is on another page (`foreign`)
    or earlier on this page; rebuild the lines. A page left with fewer than `min_sentences`
    sentences is dropped as `duplicate_spans`. Spans may run across lines; the owner of a span is the
    page with the smallest document id."""
    foreign = set(foreign)
    units = _units(doc.text)
    removed = [False] * len(units)
    seen: set[str] = set()
    for i, h in enumerate(_span_hashes(units)):
        if h in foreign or h in seen:
            for j in range(i, i + SPAN):
                removed[j] = True
        seen.add(h)
    if not any(removed):
        return doc
    lines: dict[int, list[str]] = {}
    for (line_no, sentence), gone in zip(units, removed, strict=True):
        if not gone:
            lines.setdefault(line_no, []).append(sentence)
    if sum(not g for g in removed) < min_sentences:
        return Drop("duplicate_spans")
    return doc.with_text("\n".join(" ".join(lines[k]) for k in sorted(lines)))


class C4SpanDedup(SimpleStep):
    """Applies the verdict of the span shuffle (`FOREIGN_SPANS`) with `remove_spans`."""

    name = "c4_span_dedup"

    def __init__(self, min_sentences: int = MIN_NUM_SENTENCES) -> None:
        self.min_sentences = min_sentences

    def __call__(self, doc: Document) -> StepResult:
        foreign = str(doc.meta.get(FOREIGN_SPANS) or "").split()
        meta = {k: v for k, v in doc.meta.items() if k != FOREIGN_SPANS}
        return remove_spans(Document(doc.id, doc.source, doc.text, meta), foreign, self.min_sentences)
