"""The C4 cleaning rules (T5 paper, Raffel et al. 2020, section 2.2), each a named Step.

Made exact from the TFDS builder that produced the public C4 (`tensorflow_datasets/text/c4_utils.py`,
`clean_page`): lines are stripped; a line with a word over 1000 characters is dropped; citation
markers (`[1]`, `[edit]`, `[citation needed]`) are removed; only lines ending in terminal punctuation
(not an ellipsis) with at least 5 words are kept; lines with "javascript" or a cookie/terms phrase
go; a page with "lorem ipsum" or a curly bracket in its kept lines goes (TFDS tests the kept lines,
not the raw page); a page needs at least 3 sentences; a page with a bad word goes. The English LID
(>= 0.99) is `filters.langid.LangIdStep`; the three-sentence-span dedup across pages is a Beam
shuffle in `pipeline/jobs/c4.py` built on `span_keys` / `remove_spans` below.

Sentences: TFDS counts them with NLTK punkt. NLTK is not a dependency here, so `split_sentences`
splits after `.`, `!`, `?` (plus closing quotes/brackets) followed by space, except after a short
list of abbreviations and single-letter initials: close to punkt on ordinary prose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from filters.base import Drop, SimpleStep, StepResult
from pipeline.document import Document, stable_hash64

END_MARKS = (".", "?", "!", '"', "\u201d")  # TFDS _END_MARKS, plus the curly closing quote
ELLIPSIS = ("...", "\u2026")
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.IGNORECASE)
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+\S)")
_ABBREVIATION_WORDS = (
    "a.m p.m mr mrs ms dr prof sr jr st vs etc e.g i.e no fig al inc ltd co corp jan feb mar apr jun jul "
    "aug sep sept oct nov dec mt ft approx dept est gen gov lt col sgt rev u.s"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")
DEFAULT_BADWORDS = os.path.join(os.path.dirname(__file__), "data", "badwords_en.txt")


def split_sentences(line: str) -> list[str]:
    """Sentences of one line (see the module docstring for how this approximates punkt)."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        before = line[start : m.start()].rsplit(None, 1)
        word = before[-1].lower() if before else ""
        if m.group().startswith(".") and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue
        sentence = line[start : m.end()].strip()
        if sentence:
            out.append(sentence)
        start = m.end()
    tail = line[start:].strip()
    if tail:
        out.append(tail)
    return out


def count_sentences(text: str) -> int:
    return sum(len(split_sentences(line)) for line in text.split("\n") if line.strip())


class C4Lines(SimpleStep):
    """Keep lines that end in terminal punctuation and have >= `min_words` words (TFDS defaults)."""

    name = "c4_lines"

    def __init__(self, min_words: int = 5, max_word_length: int = 1000) -> None:
        if min_words < 1:
            raise ValueError("min_words must be >= 1")
        self.min_words = min_words
        self.max_word_length = max_word_length

    def keep_line(self, line: str) -> str | None:
        if any(len(w) > self.max_word_length for w in line.split()):
            return None
        line = _CITATION.sub("", line).strip()
        if not line.endswith(END_MARKS) or line.endswith(ELLIPSIS):
            return None
        if len(line.split()) < self.min_words:
            return None
        return line

    def __call__(self, doc: Document) -> StepResult:
        kept = [k for k in (self.keep_line(ln.strip()) for ln in doc.text.split("\n")) if k]
        if not kept:
            return Drop("no_valid_lines")
        return doc.with_text("\n".join(kept))


class C4BoilerplateLines(SimpleStep):
    """Drop lines with "javascript" (the "enable Javascript" notices) or a policy phrase."""

    name = "c4_boilerplate"

    def __call__(self, doc: Document) -> StepResult:
        kept = []
        for line in doc.text.split("\n"):
            low = line.lower()
            if "javascript" in low or any(p in low for p in POLICY_SUBSTRINGS):
                continue
            kept.append(line)
        if not kept:
            return Drop("no_valid_lines")
        return doc.with_text("\n".join(kept))


class C4PageMarkers(SimpleStep):
    """Drop pages with placeholder text ("lorem ipsum") or code (a curly bracket)."""

    name = "c4_markers"

    def __call__(self, doc: Document) -> StepResult:
        if "lorem ipsum" in doc.text.lower():
            return Drop("lorem_ipsum")
        if "{" in doc.text:
            return Drop("curly_bracket")
        return doc


class C4MinSentences(SimpleStep):
    """A page needs at least `min_sentences` sentences (T5: 3)."""

    name = "c4_sentences"

    def __init__(self, min_sentences: int = 3) -> None:
        self.min_sentences = min_sentences

    def __call__(self, doc: Document) -> StepResult:
        return doc if count_sentences(doc.text) >= self.min_sentences else Drop("too_few_sentences")


def load_badwords(path: str = DEFAULT_BADWORDS) -> list[str]:
    with open(path, encoding="utf-8") as f:
        words = [ln.strip().lower() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    if not words:
        raise ValueError(f"bad-words list {path} is empty")
    return words


class C4BadWords(SimpleStep):
    """Drop a page containing any listed word as a whole word (TFDS: `(?:\\W|^)(w1|w2|...)(?:\\W|$)`
    on the lower-cased text)."""

    name = "c4_badwords"

    def __init__(self, path: str | None = None) -> None:
        self.path = path or DEFAULT_BADWORDS
        self._regex: re.Pattern[str] | None = None
        self._words: frozenset[str] = frozenset()

    def setup(self) -> None:
        if self._regex is None:
            entries = load_badwords(self.path)
            # single words: a set lookup over \w+ tokens, the same whole-word rule as TFDS's regex
            # (tokens end at non-word characters) and several times faster; phrases keep a regex
            self._words = frozenset(w for w in entries if re.fullmatch(r"\w+", w))
            phrases = sorted((w for w in entries if w not in self._words), key=len, reverse=True)
            alt = "|".join(re.escape(w) for w in phrases) or r"(?!x)x"
            self._regex = re.compile(r"(?:\W|^)(" + alt + r")(?:\W|$)")

    def __call__(self, doc: Document) -> StepResult:
        if self._regex is None:
            self.setup()
        assert self._regex is not None
        low = doc.text.lower()
        if not self._words.isdisjoint(_TOKEN.findall(low)) or self._regex.search(low):
            return Drop("badwords")
        return doc


# -- three-sentence-span dedup (T5: "discarded all but one of any three-sentence span occurring more
# than once in the data set"). The Beam side is in pipeline/jobs/c4.py. ----------------------------

SPAN = 3


def _units(text: str) -> list[tuple[int, str]]:
    """(line number, sentence) for every sentence of the page, in order."""
    return [(i, s) for i, line in enumerate(text.split("\n")) for s in split_sentences(line)]


def _span_hashes(units: list[tuple[int, str]]) -> list[str]:
    norm = [_WS.sub(" ", s.lower()) for _, s in units]
    return [f"{stable_hash64(*norm[i : i + SPAN]):016x}" for i in range(len(norm) - SPAN + 1)]


def span_keys(text: str) -> list[str]:
    """The distinct span hashes of a page (each emitted once per page for the cross-page shuffle)."""
    return list(dict.fromkeys(_span_hashes(_units(text))))


def remove_spans(doc: Document, foreign: Iterable[str], min_sentences: int = SPAN) -> StepResult:
    """Remove every sentence covered by a span whose first occurrence is on another page (`foreign`)
    or earlier on this page; rebuild the lines. A page left with fewer than `min_sentences`
    sentences is dropped as `duplicate_spans`."""
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
