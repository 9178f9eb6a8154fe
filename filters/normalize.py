"""CCNet's two text normalisations, step for step and in CCNet's order, written for speed (whole-document
regex passes in C instead of CCNet's per-line regexes and per-character Python loops).

Both work on one line at a time exactly as cc_net's `text_normalizer.py` does: the line is stripped
first (Python `str.strip()`, so Unicode whitespace such as U+0085 or U+3000 goes too), an empty line is
returned as "", and nothing is stripped afterwards: a line that begins or ends with a removed character
keeps the whitespace that removal reveals ("hello …" -> "hello ").

- `normalize_for_dedup(line)` (cc_net `normalize_for_dedup`, the line-dedup key): strip, lower-case,
  every Unicode decimal digit (`\\d`) to "0", then drop CCNet's Unicode punctuation (the keys of
  `UNICODE_PUNCT`) and the non-printing characters (code points 0-31 and 127-159). ASCII punctuation and
  accents stay, as in CCNet's code (its paper says accents are removed; its code does not, and we follow
  the code so keys agree). Digits go first, so the fullwidth "１" (a digit and a punctuation key) is "0".
- `lm_normalize(line)` (cc_net `normalize` with its defaults, for the perplexity model): strip,
  lower-case, strip accents (NFD, drop category Mn; the NFD form is kept, as CCNet's), digits to "0",
  Unicode punctuation mapped through `UNICODE_PUNCT` ("—" -> " - ", "…" -> "..."), non-printing
  characters dropped.

`dedup_lines(text)` and `lm_normalize_lines(text)` give the same result as calling the per-line function
on every line of `text.split("\\n")`: they strip each line, join the stripped lines with "\\n" and run the
passes over the whole text once. That is exact because "\\n" is kept out of every removed class (the text
splits back into as many lines), none of the passes makes a "\\n", and none looks across one (lower-casing's
final-sigma rule and NFD's reordering of combining marks both stop at "\\n" as at the end of a string).
bench/check_ccnet_normalize.py checks all of this against cc_net's own code; docs/normalisation.md
describes it.
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

# Regexes run in C over the whole text at once: several times faster than CCNet's per-line regexes plus
# per-character Python loops, and than `str.translate` with a dict (which leaves CPython's ASCII fast path
# as soon as a text holds one non-ASCII character). The `_LINES` classes leave "\n" out, so a document
# whose stripped lines were joined with "\n" splits back into the same lines; the `_LINE` classes hold
# every non-printing character, "\n" included, for a single line that contains one (CCNet removes it).
_DIGIT = re.compile(r"\d")  # every Unicode decimal digit, as CCNet's DIGIT_RE
_PUNCT = re.compile("[" + "".join(re.escape(c) for c in UNICODE_PUNCT) + "]")


def _removed_class(chars: list[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


_NON_PRINTING_LINE = _removed_class([chr(c) for c in NON_PRINTING])
_NON_PRINTING_LINES = _removed_class([chr(c) for c in NON_PRINTING if c != 10])
_PUNCT_OR_NON_PRINTING_LINE = _removed_class(list(UNICODE_PUNCT) + [chr(c) for c in NON_PRINTING])
_PUNCT_OR_NON_PRINTING_LINES = _removed_class(list(UNICODE_PUNCT) + [chr(c) for c in NON_PRINTING if c != 10])


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


def _stripped_lines(text: str) -> str:
    """Every line of `text` stripped (Python `str.strip()`), joined again with "\\n"."""
    return "\n".join([line.strip() for line in text.split("\n")])


def _dedup(stripped: str, removed: re.Pattern[str]) -> str:
    # CCNet's order: lower-case, digits to 0, then drop Unicode punctuation and non-printing characters
    return removed.sub("", _DIGIT.sub("0", stripped.lower()))


def dedup_lines(text: str) -> list[str]:
    """`normalize_for_dedup` of every line of `text`, in one pass (same length and order as
    text.split("\\n")). As in CCNet only the strip comes before the test for an empty line: a line empty
    after strip, or made only of removed characters ("…"), gives ""; one whose removals leave spaces
    ("… …" -> " ") gives those spaces."""
    return _dedup(_stripped_lines(text), _PUNCT_OR_NON_PRINTING_LINES).split("\n")


def normalize_for_dedup(line: str) -> str:
    """CCNet `normalize_for_dedup`: strip, lower-case, digits to 0, drop Unicode punctuation and
    non-printing characters (a "\\n" inside `line` is one of them), nothing stripped afterwards."""
    line = line.strip()
    if not line:
        return line
    return _dedup(line, _PUNCT_OR_NON_PRINTING_LINE)


def strip_accents(text: str) -> str:
    if text.isascii():  # the common case on English web text: nothing to strip, skip NFD entirely
        return text
    bmp, astral = _combining_marks()
    text = bmp.sub("", unicodedata.normalize("NFD", text))
    if _ASTRAL.search(text):
        text = astral.sub("", text)
    return text


def _lm(stripped: str, non_printing: re.Pattern[str]) -> str:
    # CCNet's order: lower-case, strip accents, digits to 0, map Unicode punctuation, drop non-printing
    t = _DIGIT.sub("0", strip_accents(stripped.lower()))
    if not t.isascii():  # CCNet's punctuation is all non-ASCII: nothing to map in ASCII text
        t = _PUNCT.sub(lambda m: UNICODE_PUNCT[m.group()], t)
    return non_printing.sub("", t)


def lm_normalize_lines(text: str) -> list[str]:
    """`lm_normalize` of every line of `text`, in one pass (one per input line, empty lines kept as "")."""
    return _lm(_stripped_lines(text), _NON_PRINTING_LINES).split("\n")


def lm_normalize(line: str) -> str:
    """CCNet `text_normalizer.normalize` with its defaults: strip, lower-case, strip accents, digits to
    0, map Unicode punctuation, drop non-printing characters ("\\n" included), nothing stripped afterwards."""
    line = line.strip()
    if not line:
        return line
    return _lm(line, _NON_PRINTING_LINE)


def warm_up() -> None:
    """Build the combining-mark class (milliseconds): call in DoFn.setup(), not per element."""
    _combining_marks()
