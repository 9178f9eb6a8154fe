"""CCNet's two text normalisations, written for speed (whole-document `str.translate` in C instead of
per-character Python loops).

- `dedup_lines(text)`: the line-dedup key of CCNet `normalize_for_dedup`: strip, lower-case, every
  digit to 0, drop the Unicode punctuation of CCNet's table and non-printing characters (code points
  0-31 and 127-159). ASCII punctuation stays and accents stay, exactly as CCNet's code (its paper says
  accents are removed; its code does not, and we follow the code so hashes agree).
- `lm_normalize(line)`: the perplexity-model normalisation of CCNet `text_normalizer.normalize`: strip,
  lower-case, strip accents (NFD, drop combining marks), digits to 0, Unicode punctuation mapped to ASCII,
  non-printing characters dropped.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache

# CCNet's Unicode punctuation and the ASCII it maps to for the LM normalisation (a fact of cc_net's
# text_normalizer; the odd "１" -> '"' entry is theirs, kept so our models see the same text).
UNICODE_PUNCT: dict[str, str] = {
    "，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"', "１": '"',
    "」": '"', "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":", "？": "?", "！": "!",
    "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ", "～": "~", "’": "'", "…": "...",
    "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]", "％": "%", "►": "-",
}  # fmt: skip

NON_PRINTING = [c for c in range(32)] + list(range(127, 160))


@lru_cache(maxsize=1)
def _digit_codepoints() -> list[int]:
    # Python's re `\d` (what CCNet uses) matches every Unicode decimal digit (category Nd).
    return [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Nd"]


@lru_cache(maxsize=1)
def _dedup_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {c: ord("0") for c in _digit_codepoints()}
    for ch in UNICODE_PUNCT:
        table[ord(ch)] = None
    for c in NON_PRINTING:
        if c != 10:  # keep "\n": the whole document is translated at once, then split into lines
            table[c] = None
    return table


@lru_cache(maxsize=1)
def _lm_table() -> dict[int, str | int | None]:
    table: dict[int, str | int | None] = {c: ord("0") for c in _digit_codepoints()}
    for ch, rep in UNICODE_PUNCT.items():
        table[ord(ch)] = rep
    for c in NON_PRINTING:
        if c != 10:
            table[c] = None
    return table


@lru_cache(maxsize=1)
def _combining_table() -> dict[int, None]:
    return {c: None for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Mn"}


def dedup_lines(text: str) -> list[str]:
    """The dedup-normalised form of every line of `text` (same length and order as text.split("\\n"))."""
    normalized = text.lower().translate(_dedup_table())
    return [line.strip() for line in normalized.split("\n")]


def normalize_for_dedup(line: str) -> str:
    return dedup_lines(line.replace("\n", " "))[0]


def strip_accents(text: str) -> str:
    if text.isascii():  # the common case on English web text: nothing to strip, skip NFD entirely
        return text
    return unicodedata.normalize("NFD", text).translate(_combining_table())


def lm_normalize_lines(text: str) -> list[str]:
    """LM-normalised lines of a document (one per input line, empty lines kept as "")."""
    t = strip_accents(text.lower()).translate(_lm_table())
    return [line.strip() for line in t.split("\n")]


def lm_normalize(line: str) -> str:
    return lm_normalize_lines(line.replace("\n", " "))[0]


def warm_up() -> None:
    """Build the translation tables (about a second): call in DoFn.setup(), not per element."""
    _dedup_table()
    _lm_table()
    _combining_table()
