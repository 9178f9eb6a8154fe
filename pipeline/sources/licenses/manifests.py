"""Licence declarations of package manifests: Cargo.toml, package.json, pyproject.toml, setup.cfg,
PKG-INFO / METADATA, *.gemspec, pom.xml, composer.json. Each parser takes the manifest's text and
returns the declared licence as written (an SPDX expression, a legacy form such as "MIT/Apache-2.0",
or a name such as "Apache License, Version 2.0"), or a `file:<name>` pointer to a licence file; the
caller normalises. A manifest that cannot be parsed declares nothing (the tree's files still count).
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Callable

# PyPI trove classifiers -> SPDX ids (the common ones; others fall to the name normaliser)
_CLASSIFIERS = {
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD-3-Clause",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "zlib/libpng License": "Zlib",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
}
_GPL_CLASSIFIER = re.compile(r"GNU (Affero |Lesser |Library or Lesser )?General Public License v(\d)( or later)?")


def _classifier(value: str) -> str | None:
    name = value.split("::")[-1].strip()
    if name in _CLASSIFIERS:
        return _CLASSIFIERS[name]
    m = _GPL_CLASSIFIER.search(name)
    if m:
        kind = {"Affero ": "AGPL", "Lesser ": "LGPL", "Library or Lesser ": "LGPL"}.get(m.group(1) or "", "GPL")
        return f"{kind}-{m.group(2)}.0{'-or-later' if m.group(3) else ''}"
    return name or None


def _from_classifiers(values: list[str]) -> str | None:
    ids = [c for v in values if v.startswith("License ::") and (c := _classifier(v))]
    ids = [i for i in ids if i not in ("OSI Approved", "Other/Proprietary License")]
    return " OR ".join(dict.fromkeys(ids)) or None  # several classifiers: the user may pick one


def cargo(text: str, workspace: dict[str, str] | None = None) -> str | None:
    pkg = tomllib.loads(text)
    if workspace is not None and isinstance(pkg.get("workspace"), dict):
        shared = pkg["workspace"].get("package") or {}
        for key in ("license", "license-file"):
            if isinstance(shared.get(key), str):
                workspace[key] = shared[key]
    package = pkg.get("package")
    if not isinstance(package, dict):
        return None
    lic, lic_file = package.get("license"), package.get("license-file")
    if isinstance(lic, dict) and lic.get("workspace") and workspace:  # license.workspace = true
        lic = workspace.get("license")
    if isinstance(lic_file, dict) and lic_file.get("workspace") and workspace:
        lic_file = workspace.get("license-file")
    if isinstance(lic, str) and lic.strip():
        return lic
    return f"file:{lic_file}" if isinstance(lic_file, str) else None


def _json_licence(value: object) -> str | None:
    if isinstance(value, str):
        m = re.match(r"SEE LICENSE IN (\S+)", value, re.IGNORECASE)
        return f"file:{m.group(1)}" if m else value
    if isinstance(value, dict):
        return _json_licence(value.get("type"))
    if isinstance(value, list):  # npm's old "licenses": [...] and composer's list: a choice
        parts = [p for p in map(_json_licence, value) if p]
        return " OR ".join(f"({p})" if " " in p else p for p in parts) or None
    return None


def package_json(text: str) -> str | None:
    obj = json.loads(text)
    if not isinstance(obj, dict):
        return None
    return _json_licence(obj.get("license")) or _json_licence(obj.get("licenses"))


composer_json = package_json


def pyproject(text: str) -> str | None:
    obj = tomllib.loads(text)
    project = obj.get("project") if isinstance(obj.get("project"), dict) else {}
    lic = project.get("license")
    if isinstance(lic, str) and lic.strip():  # PEP 639: an SPDX expression
        return lic
    if isinstance(lic, dict):
        if isinstance(lic.get("text"), str) and lic["text"].strip() and len(lic["text"]) < 200:
            return lic["text"]
        if isinstance(lic.get("file"), str):
            return f"file:{lic['file']}"
    poetry = (obj.get("tool") or {}).get("poetry") or {}
    if isinstance(poetry.get("license"), str):
        return poetry["license"]
    classifiers = project.get("classifiers") or poetry.get("classifiers") or []
    return _from_classifiers([c for c in classifiers if isinstance(c, str)])


def setup_cfg(text: str) -> str | None:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read_string(text)
    if not cfg.has_section("metadata"):
        return None
    meta = cfg["metadata"]
    for key in ("license_expression", "license"):
        value = meta.get(key, "").strip()
        if value and len(value) < 200 and "\n" not in value:
            return value
    files = meta.get("license_files", meta.get("license_file", "")).split()
    return _from_classifiers(meta.get("classifiers", "").splitlines()) or (f"file:{files[0]}" if files else None)


def pkg_info(text: str) -> str | None:
    """PKG-INFO / METADATA of an installed or built Python package (email-style headers)."""
    head = text.split("\n\n", 1)[0]
    fields: dict[str, list[str]] = {}
    for m in re.finditer(r"^([A-Za-z-]+): *(.*)$", head, re.MULTILINE):
        fields.setdefault(m.group(1).lower(), []).append(m.group(2).strip())
    expr = (fields.get("license-expression") or [""])[0]
    if expr:
        return expr
    lic = (fields.get("license") or [""])[0]
    from_classifiers = _from_classifiers(fields.get("classifier", []))
    if lic and lic.upper() != "UNKNOWN" and len(lic) < 100:
        return lic
    return from_classifiers


def gemspec(text: str) -> str | None:
    m = re.search(r"\.licen[cs]es?\s*=\s*(\[[^\]]*\]|%w[\[(][^\])]*[\])]|[\"'][^\"'\n]+[\"'])", text)
    if not m:
        return None
    raw = m.group(1)
    names = re.findall(r"[\"']([^\"']+)[\"']", raw) or raw[3:-1].split()
    return " OR ".join(f"({n})" if " " in n else n for n in names) or None


def pom(text: str) -> str | None:
    block = re.search(r"<licenses>(.*?)</licenses>", text, re.DOTALL)
    if not block:
        return None
    names = [n.strip() for n in re.findall(r"<name>\s*([^<]+?)\s*</name>", block.group(1))]
    # Maven: "if multiple licenses are listed, ... the user can select any of them"
    return " OR ".join(f"({n})" if " " in n else n for n in names) or None


# manifest file name -> parser; *.gemspec by suffix
PARSERS: dict[str, Callable[[str], str | None]] = {
    "Cargo.toml": cargo,
    "package.json": package_json,
    "composer.json": composer_json,
    "pyproject.toml": pyproject,
    "setup.cfg": setup_cfg,
    "PKG-INFO": pkg_info,
    "METADATA": pkg_info,
    "pom.xml": pom,
}


def parser_for(name: str) -> Callable[[str], str | None] | None:
    if name.endswith(".gemspec"):
        return gemspec
    return PARSERS.get(name)
