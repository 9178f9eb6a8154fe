"""One folder's licence declaration, as a licence scanner reads a source tree: its package manifest
(Cargo.toml, pyproject.toml, package.json, ... and a sibling *.dist-info / *.egg-info), else its licence
files (LICENSE, COPYING, LICENSE-MIT + LICENSE-APACHE, ...) matched by text. A folder's declaration covers
its files and the folders below it until one of them declares its own; `pipeline/sources/github.py`
walks the tree and adds the two per-file sources that win over it (a DEP-5 debian/copyright paragraph,
the file's own `SPDX-License-Identifier:` header). docs/github.md has the whole order."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from pipeline.sources.licenses import manifests, matcher

UNKNOWN = "unknown"
# LICENSE, LICENCE.md, COPYING.LESSER, LICENSE-MIT, MIT-LICENSE.txt, UNLICENSE; not third-party notices
LICENSE_FILE = re.compile(r"^(?:[a-z0-9]+[-_])?(?:licen[cs]e|copying|unlicense)(?:[-._][\w.\-]*)?$", re.IGNORECASE)
_NOT_LICENSE = re.compile(r"third|notice|\.(?:py|rs|go|js|ts|java|c|h|rb|php|json|toml|xml|ya?ml|html?)$", re.I)
_NAMED = re.compile(r"^(?:[a-z0-9]+[-_](?:licen[cs]e|copying)|(?:licen[cs]e|copying)[-._]\w+)$", re.IGNORECASE)
_TEXT_EXT = re.compile(r"\.(?:txt|md|markdown|rst)$", re.IGNORECASE)
# manifests in the order a folder's declaration is taken from (the first that declares wins)
_MANIFEST_ORDER = ("Cargo.toml", "pyproject.toml", "package.json", "composer.json", "setup.cfg", "pom.xml", "PKG-INFO")
_META_DIR = re.compile(r"\.(dist-info|egg-info)$")


@dataclasses.dataclass(frozen=True)
class Declaration:
    expression: str  # normalised SPDX expression
    source: str  # where it was read, relative to the tree root ("Cargo.toml", "LICENSE-APACHE + LICENSE-MIT")


def normalize(value: str) -> str | None:
    """The value as an SPDX expression, or None when no term of it is a licence the filter knows."""
    from pipeline.sources.licenses.rule import license_decision

    whole, _, verdict = license_decision(value)
    return whole if verdict not in ("unknown", "missing") else None


def is_license_file(name: str) -> bool:
    return bool(LICENSE_FILE.match(name)) and not _NOT_LICENSE.search(name)


def _licence_from_file(read: Callable[[str], str | None], name: str) -> str | None:
    text = read(name)
    found = matcher.match_text(text) if text else None
    return normalize(found.spdx) if found else None


def manifest_declaration(
    read: Callable[[str], str | None],
    files: list[str],
    subdirs: list[str],
    where: Callable[[str], str],
    workspace: dict[str, str],
) -> Declaration | None:
    gemspecs = [n for n in files if n.endswith(".gemspec")]
    meta = [f"{d}/METADATA" if d.endswith("dist-info") else f"{d}/PKG-INFO" for d in subdirs if _META_DIR.search(d)]
    candidates = [n for n in _MANIFEST_ORDER if n in files] + gemspecs + sorted(meta)
    for name in candidates:
        text = read(name)
        parse = manifests.parser_for(name.rsplit("/", 1)[-1])
        if text is None or parse is None:
            continue
        try:
            value = manifests.cargo(text, workspace) if name == "Cargo.toml" else parse(text)
        except Exception:  # a damaged manifest declares nothing; its folder's licence files still count
            value = None
        if value and value.startswith("file:"):
            target = value[5:].lstrip("./")
            value = _licence_from_file(read, target) if ".." not in target else None
            if value:
                return Declaration(value, f"{where(name)} -> {target}")
            continue
        expr = normalize(value) if value else None
        if expr:
            return Declaration(expr, where(name))
    return None


def license_files_declaration(
    read: Callable[[str], str | None], files: list[str], where: Callable[[str], str]
) -> Declaration | None:
    """Licence files matched by text. Several files with licence suffixes (LICENSE-MIT, LICENSE.BSD) are
    the usual way to offer a choice, so their licences are alternatives (OR); several plain names
    (COPYING + LICENSE) all apply (AND). Unmatched files beside matched ones are ignored (a LICENSE that
    only says "see LICENSE-MIT"); a folder whose licence files all fail to match is `unknown`."""
    names = [n for n in files if is_license_file(n)]
    if not names:
        return None
    found = [(n, spdx) for n in names if (spdx := _licence_from_file(read, n))]
    if not found:
        return Declaration(UNKNOWN, " + ".join(where(n) for n in names))
    ids = list(dict.fromkeys(spdx for _, spdx in found))
    suffixed = all(_NAMED.match(_TEXT_EXT.sub("", n)) for n, _ in found)
    joiner = " OR " if suffixed else " AND "
    expr = joiner.join(f"({i})" if " " in i and len(ids) > 1 else i for i in ids)
    return Declaration(expr, " + ".join(where(n) for n, _ in found))


def folder_declaration(
    read: Callable[[str], str | None], files: list[str], subdirs: list[str], folder: str, workspace: dict[str, str]
) -> Declaration | None:
    """What a folder declares: its manifest, else its licence files; None when it declares nothing.
    `read(name)` gives a file of the folder as text (None if it is no readable regular file)."""

    def where(name: str) -> str:
        return f"{folder}/{name}" if folder else name

    return manifest_declaration(read, files, subdirs, where, workspace) or license_files_declaration(read, files, where)
