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

import re
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

# Regexes run in C over the whole document at once: several times faster than CCNet's per-line
# regexes plus per-character Python loops, and than `str.translate` with a dict (which leaves CPython's
# ASCII fast path as soon as a document holds one non-ASCII character). "\n" is kept out of the
# non-printing class so the document can be split into lines afterwards.
_DIGIT = re.compile(r"\d")  # every Unicode decimal digit, as CCNet's DIGIT_RE
_NON_PRINTING = re.compile("[" + "".join(re.escape(chr(c)) for c in NON_PRINTING if c != 10) + "]")
_PUNCT_OR_NON_PRINTING = re.compile(
    "["
    + "".join(re.escape(c) for c in UNICODE_PUNCT)
    + "".join(re.escape(chr(c)) for c in NON_PRINTING if c != 10)
    + "]"
)
_PUNCT = re.compile("[" + "".join(re.escape(c) for c in UNICODE_PUNCT) + "]")


# Combining marks (category Mn). The class is split by plane: a character class of Basic Multilingual
# Plane ranges compiles to a bitmap that `re` tests in constant time (26x faster on web text than one
# class that also holds astral ranges); the astral marks (plane 1, plane 14's variation selectors) are
# stripped only from the rare texts that contain an astral character at all.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _mn_class(block: range) -> str:
    ranges: list[tuple[int, int]] = []
    for c in block:
        if unicodedata.category(chr(c)) == "Mn":
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1] = (ranges[-1][0], c)
            else:
                ranges.append((c, c))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


@lru_cache(maxsize=1)
def _combining_marks() -> tuple[re.Pattern[str], re.Pattern[str]]:
    bmp = re.compile(f"[{_mn_class(range(0, 0x10000))}]+")
    astral = re.compile(f"[{_mn_class(range(0x10000, 0x20000))}{_mn_class(range(0xE0000, 0xE1000))}]+")
    return bmp, astral


def dedup_lines(text: str) -> list[str]:
    """The dedup-normalised form of every line of `text` (same length and order as text.split("\\n")).
    Digits go to 0 before punctuation is removed, as in CCNet (so the fullwidth "１" becomes "0")."""
    normalized = _PUNCT_OR_NON_PRINTING.sub("", _DIGIT.sub("0", text.lower()))
    return [line.strip() for line in normalized.split("\n")]


def normalize_for_dedup(line: str) -> str:
    return dedup_lines(line.replace("\n", " "))[0]


def strip_accents(text: str) -> str:
    if text.isascii():  # the common case on English web text: nothing to strip, skip NFD entirely
        return text
    bmp, astral = _combining_marks()
    text = bmp.sub("", unicodedata.normalize("NFD", text))
    if _ASTRAL.search(text):
        text = astral.sub("", text)
    return text


def lm_normalize_lines(text: str) -> list[str]:
    """LM-normalised lines of a document (one per input line, empty lines kept as "")."""
    t = _DIGIT.sub("0", strip_accents(text.lower()))
    if not t.isascii():  # CCNet's punctuation is all non-ASCII: nothing to map in ASCII text
        t = _PUNCT.sub(lambda m: UNICODE_PUNCT[m.group()], t)
    t = _NON_PRINTING.sub("", t)
    return [line.strip() for line in t.split("\n")]


def lm_normalize(line: str) -> str:
    return lm_normalize_lines(line.replace("\n", " "))[0]


def warm_up() -> None:
    """Build the combining-mark class (milliseconds): call in DoFn.setup(), not per element."""
    _combining_marks()
