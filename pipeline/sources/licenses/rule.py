"""Licences: SPDX normalisation and the keep rule (docs/github.md). Ground floor: the tree reader
(`tree.py`) and the GitHub filter (filters/github.py) both decide with it."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# -- licences: SPDX normalisation and the keep rule (docs/github.md) -----------------------------------
# Inputs are BigQuery `licenses.license` values ("mit", "apache-2.0", "gpl-2.0"), SPDX expressions from
# a tree reader ("MIT OR Apache-2.0", "GPL-2.0-or-later"), Debian DEP-5 names ("Expat", "GPL-2+",
# "MPL-2"), legacy Cargo/PyPI forms ("MIT/Apache-2.0") and free text ("Apache License, Version 2.0").
# Each term becomes a canonical SPDX id through license-expression's SPDX symbol table.
#
# The paper's rule: every Apache-*, BSD-*, 0BSD and MIT* id is allowed; `extra` widens the set.
_PAPER = re.compile(r"^(?:Apache-|BSD-|MIT|0BSD$)")
_COPYLEFT = re.compile(r"^(?:A?GPL|LGPL|MPL|EPL|CDDL|EUPL|OSL|CECILL|CC-BY-SA|SSPL|MS-RL|Sleepycat|CPL|RPL|QPL)")
# key after `_license_key` -> SPDX id, for names that are no SPDX id. A bare "BSD" (PyPI classifiers,
# Cargo) conventionally means the 3-clause licence; "Apache" alone (Debian) means 2.0.
_ALIAS_PAIRS = (
    "expat=MIT apache=Apache-2.0 apache-2=Apache-2.0 asl-2.0=Apache-2.0 apache2=Apache-2.0 "
    "apache2.0=Apache-2.0 simplified-bsd=BSD-2-Clause freebsd=BSD-2-Clause bsd-2=BSD-2-Clause "
    "bsd-3=BSD-3-Clause new-bsd=BSD-3-Clause bsd-new=BSD-3-Clause revised-bsd=BSD-3-Clause "
    "modified-bsd=BSD-3-Clause bsd=BSD-3-Clause 3-clause-bsd=BSD-3-Clause 2-clause-bsd=BSD-2-Clause "
    "boost=BSL-1.0 bsl=BSL-1.0 psf=PSF-2.0 python=Python-2.0 mpl-2=MPL-2.0 mpl=MPL-2.0 "
    "public-domain=LicenseRef-public-domain bsd-3-clause-new=BSD-3-Clause bsd-2-clause-simplified=BSD-2-Clause"
)
_ALIAS = dict(pair.split("=") for pair in _ALIAS_PAIRS.split())
_NAMES = (
    ("gnu ", ""),
    ("lesser general public license", "lgpl"),
    ("library general public license", "lgpl"),
    ("affero general public license", "agpl"),
    ("general public license", "gpl"),
    ("mozilla public license", "mpl"),
    ("eclipse public license", "epl"),
    ("boost software license", "bsl"),
    ("python software foundation", "psf"),
    ('bsd 3-clause "new" or "revised"', "bsd-3-clause"),
    ('bsd 2-clause "simplified"', "bsd-2-clause"),
)
_WORDS = re.compile(
    r"\b(?:the|licen[cs]e[sd]?|version|public|general|software|open source|osi approved|terms)\b|\bv(?=\d)"
)
_TOKENS = re.compile(r"\(|\)|\s+(?:or|and)\s+|\s*[/|&]\s*", re.IGNORECASE)
_RANK = {"allowed": 0, "other": 1, "unknown": 2, "copyleft": 3}


def _spdx_symbols():
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@functools.lru_cache(maxsize=4096)
def _spdx_id(term: str) -> str | None:
    """Canonical SPDX id of one licence key in any case or deprecated form ("gpl-2.0+" ->
    "GPL-2.0-or-later", "mit-0" -> "MIT-0"); None when it is no SPDX id."""
    if not re.fullmatch(r"[A-Za-z0-9.+\-]+", term):
        return None
    licensing = _spdx_symbols()
    try:
        parsed = licensing.parse(term, validate=False)
    except Exception:  # license_expression raises its own ExpressionError family
        return None
    if parsed is None or licensing.unknown_license_keys(parsed):
        return None
    return str(parsed.render())


def _license_key(term: str) -> tuple[str, bool]:
    """A lower-case key for free-text or Debian names, and whether it said "or later"."""
    key = term.lower().strip().strip("()\"'")
    for long, short in _NAMES:
        key = key.replace(long, short)
    later = bool(re.search(r"(?:\+|or[- ]later|or any later)\s*$", key))
    key = re.sub(r"\s*(?:\+|or[- ]later|or any later(?: version)?|only)\s*$", "", key)
    key = _WORDS.sub(" ", key)
    key = re.sub(r"[\s,_]+", "-", key.strip(" ,")).strip("-")
    key = re.sub(r"^(a?gpl|lgpl|mpl|epl|apache|cddl)-?v?(\d)$", r"\1-\2.0", key)  # gpl-2 -> gpl-2.0
    key = re.sub(r"^(a?gpl|lgpl|mpl|epl)v?(\d)", r"\1-\2", key)  # gplv3 -> gpl-3
    return key, later


@functools.lru_cache(maxsize=4096)
def canonical_license(term: str) -> str | None:
    """One licence (no AND/OR) as an SPDX id, `WITH` exceptions kept; None when unrecognised."""
    base, *rest = re.split(r"\s+with\s+", term.strip(), maxsplit=1, flags=re.IGNORECASE)
    exception = rest[0] if rest else ""
    spdx = _spdx_id(base.strip())
    if spdx is None:
        key, later = _license_key(base)
        alias = _ALIAS.get(re.sub(r"[\s_]+", "-", base.strip().lower())) or _ALIAS.get(key, key)
        spdx = _spdx_id(alias + ("+" if later and not alias.startswith("LicenseRef") else ""))
        if spdx is None and alias.startswith("LicenseRef-"):
            spdx = alias
    if spdx is None:
        return None
    exc = exception.strip()
    return f"{spdx} WITH {_spdx_id(exc) or exc}" if exc else spdx


def term_verdict(spdx: str, extra: frozenset[str] = frozenset()) -> str:
    """allowed / copyleft / other for a canonical id; an exception only adds permissions."""
    base = spdx.split(" WITH ")[0]
    if base in extra or _PAPER.match(base):
        return "allowed"
    return "copyleft" if _COPYLEFT.match(base) else "other"


def _tokens(text: str) -> list[str]:
    text = re.sub(r'"?new"?\s+or\s+"?revised"?', "new", text, flags=re.IGNORECASE)  # GitHub's BSD-3 name
    out, pos = [], 0
    for m in _TOKENS.finditer(text):
        if text[pos : m.start()].strip():
            out.append(text[pos : m.start()].strip())
        op = m.group().strip().lower()
        out.append({"/": "or", "|": "or", "&": "and"}.get(op, op))
        pos = m.end()
    if text[pos:].strip():
        out.append(text[pos:].strip())
    return out


def _parse(tokens: list[str], extra: frozenset[str]) -> tuple[str, str, str]:
    """(whole expression, chosen licence, verdict). expr := conj ("or" conj)*; conj := atom ("and"
    atom)*; atom := "(" expr ")" | term. OR takes the best alternative (the user may choose it), AND
    the worst part (all of them apply)."""

    def atom() -> tuple[str, str, str]:
        tok = tokens.pop(0) if tokens else ""
        if tok == "(":
            whole, chosen, verdict = expr()
            if tokens and tokens[0] == ")":
                tokens.pop(0)
            return (f"({whole})" if " OR " in whole else whole), chosen, verdict
        if tok in ("", ")", "or", "and"):
            return tok, tok, "unknown"
        spdx = canonical_license(tok)
        if spdx is None:
            return tok, tok, "unknown"
        return spdx, spdx, term_verdict(spdx, extra)

    def conj() -> tuple[str, str, str]:
        parts = [atom()]
        while tokens and tokens[0] == "and":
            tokens.pop(0)
            parts.append(atom())
        worst = max(parts, key=lambda p: _RANK[p[2]])
        whole = " AND ".join(p[0] for p in parts)
        chosen = " AND ".join(p[1] if " OR " not in p[1] else f"({p[1]})" for p in parts)
        return whole, chosen, worst[2]

    def expr() -> tuple[str, str, str]:
        alts = [conj()]
        while tokens and tokens[0] == "or":
            tokens.pop(0)
            alts.append(conj())
        best = min(alts, key=lambda a: _RANK[a[2]])
        return " OR ".join(a[0] for a in alts), best[1], best[2]

    return expr()


@functools.lru_cache(maxsize=65536)
def license_decision(value: object, extra: frozenset[str] = frozenset()) -> tuple[str, str, str]:
    """(normalised SPDX expression, licence chosen, verdict) of a licence value; verdict one of allowed /
    copyleft / other / unknown / missing."""
    text = str(value).strip() if value is not None else ""
    if not text or text.lower() in ("none", "null"):
        return "", "", "missing"
    if text.lower() in ("noassertion", "unknown", "other"):
        return text, text, "unknown"
    return _parse(_tokens(text), extra)


def normalize_license(value: object) -> str:
    """A licence value as an SPDX expression, unrecognised terms kept as written."""
    return license_decision(value)[0]


def classify_license(value: object, extra: frozenset[str] = frozenset()) -> tuple[str, str]:
    """(licence the file is used under, verdict) for a single licence or an expression."""
    _, chosen, verdict = license_decision(value, frozenset(extra))
    return chosen, verdict


def widen(ids: Iterable[str]) -> frozenset[str]:
    """The --license-allow ids (SPDX ids or names: "ISC", "zlib", "Unlicense") as canonical ids."""
    out = set()
    for raw in ids:
        spdx = canonical_license(raw.strip()) if raw.strip() else None
        if spdx is None:
            raise ValueError(f"--license-allow: {raw!r} is not an SPDX licence id")
        out.add(spdx)
    return frozenset(out)
