"""Licence texts matched by similarity, as Licensee and askalono do: both texts are normalised (case,
copyright lines, punctuation, "licence" spelling, template placeholders), cut into word bigrams, and
compared with the Sorensen-Dice coefficient against each known licence's text; the best match above a
threshold wins. A file that holds a licence plus other material (a title page, a second licence, notes)
is matched by containment instead: the share of a reference's bigrams found in the file.

The reference texts are the SPDX licence list's, read at run time from the installed `spdx` package, and
the few it lacks from `reference.py`. Close relatives (0BSD vs ISC, MIT-0 vs MIT, BSD-2 vs BSD-3, GPL-3
vs AGPL-3) differ by a clause, so the best score, not a phrase, decides between them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from importlib import resources

from pipeline.sources.licenses import reference

DICE_MIN = 0.85  # whole-text match; reworded or re-wrapped copies score 0.9-1.0
CONTAIN_MIN = 0.9  # a reference's bigrams found in a file that carries more than the licence
_SPDX_LINE = re.compile(r"SPDX-License-Identifier:[ \t]*([^\r\n]*)")
_COMMENT_END = re.compile(r"\s*(?:\*/|-->|#\}|\"\"\"|''')\s*$")
_TEMPLATE = re.compile(r"<<[^>]*>>")
# a copyright statement ("Copyright (c) 2020 Jane", "(C) 1999 X"), not a wrapped line that begins with
# "copyright notice and this permission notice..."
_COPYRIGHT_LINE = re.compile(
    r"^[ \t*#/;!-]*(?:copyright\s*(?:\(c\)|©|\d|:|<|\[|$)|\(c\)\s*\d|©|all rights reserved\.?\s*$).*$",
    re.MULTILINE,
)
_PLACEHOLDER = re.compile(r"<[^<>\n]{1,60}>|\[[^\[\]\n]{1,60}\]")
_WORD = re.compile(r"[a-z0-9]+")
_EXPRESSION = re.compile(r"[A-Za-z0-9.+\-]+(?:\s+(?:OR|AND|WITH)\s+[A-Za-z0-9.+\-]+)*")
_SPELLING = (("licence", "license"), ("&", " and "), ("\u2019", "'"), ("per cent", "percent"))


@dataclasses.dataclass(frozen=True)
class Match:
    spdx: str  # an SPDX expression: one id, or "A AND B" for a file that holds several licences
    score: float
    method: str  # "dice", "contained", "spdx-line" or "expression"


def words(text: str) -> list[str]:
    text = _TEMPLATE.sub(" ", text.lower())
    text = _COPYRIGHT_LINE.sub(" ", text)
    text = _PLACEHOLDER.sub(" ", text)
    for old, new in _SPELLING:
        text = text.replace(old, new)
    return _WORD.findall(text)


def bigrams(ws: list[str]) -> frozenset[str]:
    return frozenset(f"{a} {b}" for a, b in zip(ws, ws[1:]))


def _package_text(spdx: str) -> str | None:
    try:
        data = resources.files("spdx").joinpath("data", f"{spdx}.txt")
        return data.read_text(encoding="utf-8", errors="replace") if data.is_file() else None
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError("licence matching needs the SPDX licence texts: pip install spdx==2.5.1") from exc


def _package_notices() -> dict[str, str]:
    """The standard notices ("Licensed under the Apache License, Version 2.0 (the "License")...") that
    the SPDX list gives for some licences: a LICENSE file, or a file's header, may hold just that."""
    db = json.loads(resources.files("spdx").joinpath("data", "db.json").read_text(encoding="utf-8"))
    return {r["id"]: r["header"] for r in db["licenses"] if r.get("header") and len(r["header"].split()) >= 20}


@functools.lru_cache(maxsize=1)
def index() -> tuple[tuple[str, frozenset[str]], ...]:
    """(SPDX id, bigrams of its text) for every known licence, then for the standard notices; the
    package's text first, ours second."""
    out = []
    for spdx in reference.KNOWN:
        text = _package_text(spdx) or reference.TEXTS.get(spdx)
        if text:
            out.append((spdx, bigrams(words(text))))
    notices = _package_notices()
    out.extend((spdx, bigrams(words(notices[spdx]))) for spdx in reference.KNOWN if spdx in notices)
    return tuple(out)


def spdx_line(text: str, head: int = 4096) -> str | None:
    """The expression of an `SPDX-License-Identifier:` line in the first `head` characters, if any."""
    m = _SPDX_LINE.search(text, 0, head)
    if not m:
        return None
    value = _COMMENT_END.sub("", m.group(1)).strip().strip("\"'")
    return value or None


def _dice(cand: frozenset[str]) -> tuple[float, str]:
    best, best_id = 0.0, ""
    for spdx, ref in index():
        total = len(cand) + len(ref)
        # Dice can only reach 2*min/total: skip references whose size alone rules them out
        if 2 * min(len(cand), len(ref)) / total <= best:
            continue
        score = 2 * len(cand & ref) / total
        if score > best:
            best, best_id = score, spdx
    return best, best_id


def _contained(cand: frozenset[str]) -> list[tuple[str, float]]:
    """Licences whose text is (almost) all in `cand`, largest first; each one found takes its bigrams
    out, so a clause shared by two relatives (0BSD in ISC, MIT-0 in MIT) is not counted twice."""
    found: list[tuple[str, float]] = []
    rest = set(cand)
    for _ in range(3):
        hits = [(len(rest & ref), spdx, len(ref)) for spdx, ref in index() if ref]
        hits = [h for h in hits if h[0] >= CONTAIN_MIN * h[2]]
        if not hits:
            break
        # the most complete match first (Apache-2.0 before ECL-2.0, which holds most of it), then the longest
        n, spdx, size = max(hits, key=lambda h: (round(h[0] / h[2], 2), h[0]))
        if spdx not in (s for s, _ in found):
            found.append((spdx, n / size))
        rest -= {b for s, ref in index() if s == spdx for b in ref}
    return found


@functools.lru_cache(maxsize=1024)
def match_text(text: str) -> Match | None:
    """The licence of a licence file's text, or None when it is no licence text the matcher knows."""
    line = spdx_line(text)
    if line:
        return Match(line, 1.0, "spdx-line")
    if len(text) < 120 and _EXPRESSION.fullmatch(text.strip()):  # a file that holds "MIT OR Apache-2.0"
        return Match(text.strip(), 1.0, "expression")
    cand = bigrams(words(text))
    if len(cand) < 8:
        return None
    score, spdx = _dice(cand)
    if score >= DICE_MIN:
        return Match(spdx, round(score, 4), "dice")
    found = _contained(cand)
    if found:
        return Match(" AND ".join(s for s, _ in found), round(min(c for _, c in found), 4), "contained")
    return None
