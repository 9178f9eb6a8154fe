"""The C4 page rules as TensorFlow Datasets' `c4_utils.py` (the code that built public C4) runs them.

`llama-data run c4 --mode clean` runs, in TFDS's order (`c4.py`, config `en`):

1. `C4WetPage`: the page text as TFDS `split_wet_file` builds it, pages without URL or date dropped,
   then `is_valid_length` (over 190,000 characters: dropped).
2. URL dedup (`pipeline/beam/jobs/c4.py`): one page per `normalize_url(url)`, the newest `WARC-Date`.
3. `C4CleanPage`: TFDS `clean_page`, line by line, in its exact order.
4. Line dedup across pages (`filters/c4_dedup.py`, TFDS `remove_duplicate_text`).
5. English LID (`filters.langid.LangIdStep`; TFDS: langdetect >= 0.99, here fastText lid.176).
6. `C4BadWords`: TFDS `get_badwords_filter_fn` for `en`.

Each docstring below says which TFDS function it reproduces and where it knowingly differs.
Sentence counting is `filters/c4_sentences.py` (NLTK punkt English, as TFDS).
"""

from __future__ import annotations

import os
import re
from typing import Any

from filters.base import Drop, SimpleStep, StepResult
from filters.c4_sentences import sentence_counter
from pipeline.document import Document, Meta

END_MARKS = (".", "?", "!", '"')  # TFDS _END_MARKS: the curly closing quote is not one
ELLIPSIS = "..."  # TFDS _ELLIPSIS: the ASCII form only (U+2026 is no end mark anyway)
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
# TFDS get_clean_page_fn: case-sensitive, so "[Edit]" and "[Citation needed]" stay in the line.
CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
METADATA_PREFIXES = ("WARC", "CONTENT-", "Content-")  # TFDS _METADATA_PREFIXES
MAX_PAGE_CHARS = 190_000  # TFDS is_valid_length(max_length=1.9e5)
MIN_WORDS_PER_LINE = 5
MIN_NUM_SENTENCES = 3
LID_THRESHOLD = 0.99  # TFDS: langdetect's English probability >= 0.99 (here fastText lid.176's)
MAX_WORD_LENGTH = 1000
_NEWLINES = re.compile(r"\r\n|\r|\n")  # io.TextIOWrapper's universal newlines, as TFDS reads WET
_TOKEN = re.compile(r"\w+")
DEFAULT_BADWORDS = os.path.join(os.path.dirname(__file__), "data", "badwords_en.txt")


def wet_page_text(body: str) -> str:
    """The page text TFDS `split_wet_file` builds from a WET record: each line (split at `\\n`, `\\r`
    or `\\r\\n`) stripped, blank lines dropped, and - a TFDS quirk kept on purpose - content lines that
    start with "WARC", "CONTENT-" or "Content-" dropped too (TFDS drops them as if they were headers);
    the rest joined with `\\n`. Knowing difference: TFDS finds records by a `WARC/1.0` line, so a body
    line that reads exactly `WARC/1.0` splits its page there; here records come from the WARC lengths."""
    out = []
    for line in _NEWLINES.split(body):
        line = line.strip()
        if line and not line.startswith(METADATA_PREFIXES):
            out.append(line)
    return "\n".join(out)


class C4WetPage(SimpleStep):
    """TFDS `split_wet_file` + `is_valid_length`: a page needs a URL and a date (TFDS: `no_url`,
    `no_timestamp`) and some text after `wet_page_text` (`no_content`); one over `max_chars`
    characters goes (`too_long`, TFDS: 1.9e5)."""

    name = "c4_page"

    def __init__(self, max_chars: int = MAX_PAGE_CHARS) -> None:
        self.max_chars = max_chars

    def __call__(self, doc: Document) -> StepResult:
        if not doc.meta.get(Meta.URL):
            return Drop("no_url")
        text = wet_page_text(doc.text)
        if not text:
            return Drop("no_content")
        if not doc.meta.get(Meta.TIMESTAMP):
            return Drop("no_timestamp")
        if len(text) > self.max_chars:
            return Drop("too_long")
        return doc if text == doc.text else doc.with_text(text)


def clean_lines(
    text: str,
    count_sentences,
    min_words: int = MIN_WORDS_PER_LINE,
    max_word_length: int = MAX_WORD_LENGTH,
) -> tuple[list[str], int] | str:
    """TFDS `clean_page`'s loop: (kept lines, their sentence count), or the reason the page goes.

    Per line of `text.splitlines()` (so U+2028, U+2029, U+0085, \\v, \\f and \\x1c-\\x1e split lines
    too), in this order: strip; a word over `max_word_length` drops the line; citations are removed
    (the line is NOT stripped again, so "Text [1]" ends in a space and fails the next test, and
    "[1] Text." keeps a leading space); the line must end in `.`, `?`, `!` or `"` and not in `...`;
    it needs `min_words` words; "lorem ipsum" (any case) drops the page; "javascript" (any case) drops
    the line; `{` drops the page; a policy phrase (any case) drops the line. So a line with both
    "javascript" and `{` only loses the line, while `{` on a policy line drops the page. Sentences are
    counted line by line on the kept lines."""
    kept: list[str] = []
    sentences = 0
    for line in text.splitlines():
        line = line.strip()
        if any(len(w) > max_word_length for w in line.split()):
            continue
        line = CITATION.sub("", line)
        if not line.endswith(END_MARKS) or line.endswith(ELLIPSIS):
            continue
        if len(line.split()) < min_words:
            continue
        low = line.lower()
        if "lorem ipsum" in low:
            return "lorem_ipsum"
        if "javascript" in low:
            continue
        if "{" in line:
            return "curly_bracket"
        if any(p in low for p in POLICY_SUBSTRINGS):
            continue
        sentences += count_sentences(line)
        kept.append(line)
    return kept, sentences


class _Counting(SimpleStep):
    """A step that counts sentences: the counter is built in setup() (punkt loads once per worker) and
    never pickled."""

    def __init__(self, sentences: str = "punkt") -> None:
        self.sentences = sentences
        self._count: Any = None

    def setup(self) -> None:
        if self._count is None:
            self._count = sentence_counter(self.sentences)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_count": None}

    def count(self, text: str) -> int:
        if self._count is None:
            self.setup()
        return self._count(text)


class C4CleanPage(_Counting):
    """TFDS `clean_page` (see `clean_lines` for the line rules and their order): the page goes as
    `lorem_ipsum`, `curly_bracket`, or `too_few_sentences` when its kept lines hold fewer than
    `min_sentences` punkt sentences (no kept line at all is also `too_few_sentences`, as in TFDS).
    The text is the kept lines joined with `\\n`, stripped as a whole (TFDS strips only the ends)."""

    name = "c4_clean"

    def __init__(
        self,
        min_words: int = MIN_WORDS_PER_LINE,
        min_sentences: int = MIN_NUM_SENTENCES,
        max_word_length: int = MAX_WORD_LENGTH,
        sentences: str = "punkt",
    ) -> None:
        if min_words < 1:
            raise ValueError("min_words must be >= 1")
        super().__init__(sentences)
        self.min_words = min_words
        self.min_sentences = min_sentences
        self.max_word_length = max_word_length

    def __call__(self, doc: Document) -> StepResult:
        out = clean_lines(doc.text, self.count, self.min_words, self.max_word_length)
        if isinstance(out, str):
            return Drop(out)
        kept, sentences = out
        if sentences < self.min_sentences:
            return Drop("too_few_sentences")
        return doc.with_text("\n".join(kept).strip())


def load_badwords(path: str = DEFAULT_BADWORDS) -> list[str]:
    """One entry per line, stripped and lower-cased; blank lines and `#` comment lines are skipped.
    TFDS reads the LDNOOBW file as is (`l.strip()` per line) and does not lower-case: an entry with a
    capital letter can never match TFDS's lower-cased text, here it does (LDNOOBW `en` is lower case)."""
    with open(path, encoding="utf-8") as f:
        words = [ln.strip().lower() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    if not words:
        raise ValueError(f"bad-words list {path} is empty")
    return words


class C4BadWords(SimpleStep):
    """TFDS `get_badwords_filter_fn` for English with `filter_fraction=1.0` (config `en`): the page goes
    when `(?:\\W|^)(w1|w2|...)(?:\\W|$)` (entries escaped) matches its lower-cased text. TFDS runs it
    last, after dedup and LID, with the LDNOOBW `en` list; the shipped default
    (filters/data/badwords_en.txt) is a smaller list of our own: pass the LDNOOBW file with --badwords
    to match C4 (docs/c4.md says where to get it)."""

    name = "c4_badwords"

    def __init__(self, path: str | None = None) -> None:
        self.path = path or DEFAULT_BADWORDS
        self._regex: re.Pattern[str] | None = None
        self._words: frozenset[str] = frozenset()

    def setup(self) -> None:
        if self._regex is None:
            entries = load_badwords(self.path)
            # Single words: a set lookup over \w+ tokens. That is the same test as TFDS's regex (a
            # match needs a non-word character or an end on both sides, so the entry is a whole \w+
            # token) and several times faster; entries with other characters keep the regex.
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
