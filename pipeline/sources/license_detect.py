"""A small SPDX detector for the licence file of a source tree (LICENSE, COPYING, debian/copyright...).

It recognises the licences LLaMA's GitHub rule cares about (keep Apache, BSD, MIT; section 2 of the
paper) and the copyleft ones the filter must be able to drop, by phrases that each licence text
carries. Anything else is "unknown". Normalising values from other places (BigQuery's `license`
column) is the licence filter's job, not this module's.
"""

from __future__ import annotations

import re

UNKNOWN = "unknown"

# (SPDX id, phrases that must all occur), tried in order: LGPL/AGPL before GPL because their texts
# mention the GPL; ISC before MIT because both grant "permission".
_TEXT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("gnu affero general public license",)),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license", "version 2.1")),
    ("LGPL-2.0", ("gnu library general public license",)),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software for any purpose",)),
    (
        "ISC",
        (("permission to use, copy, modify, and distribute this software for any purpose with or without fee"),),
    ),
    ("MIT", ("permission is hereby granted, free of charge, to any person obtaining a copy",)),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "endorse or promote")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
)

# Debian DEP-5 short names (https://dep-team.pages.debian.net/deps/dep5/#license-short-name) -> SPDX.
_DEP5: dict[str, str] = {
    "expat": "MIT",
    "mit": "MIT",
    "apache-2.0": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "isc": "ISC",
    "mpl-2.0": "MPL-2.0",
    "gpl-2": "GPL-2.0",
    "gpl-2.0": "GPL-2.0",
    "gpl-2+": "GPL-2.0",
    "gpl-2.0+": "GPL-2.0",
    "gpl-3": "GPL-3.0",
    "gpl-3.0": "GPL-3.0",
    "gpl-3+": "GPL-3.0",
    "gpl-3.0+": "GPL-3.0",
    "lgpl-2": "LGPL-2.0",
    "lgpl-2+": "LGPL-2.0",
    "lgpl-2.1": "LGPL-2.1",
    "lgpl-2.1+": "LGPL-2.1",
    "lgpl-3": "LGPL-3.0",
    "lgpl-3+": "LGPL-3.0",
    "lgpl-3.0": "LGPL-3.0",
    "lgpl-3.0+": "LGPL-3.0",
    "agpl-3": "AGPL-3.0",
    "agpl-3+": "AGPL-3.0",
    "agpl-3.0": "AGPL-3.0",
    "unlicense": "Unlicense",
}

_SPDX_LINE = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+\-() ]+)")
_SPACE = re.compile(r"\s+")
# file names that hold a licence, at the root of a tree
LICENSE_FILE = re.compile(r"^(licen[cs]e|copying|unlicense)([-._][\w.\-]*)?$", re.IGNORECASE)


def detect_text(text: str) -> str:
    """SPDX id of a licence text, or "unknown"."""
    m = _SPDX_LINE.search(text)
    if m:
        return m.group(1).strip()
    flat = _SPACE.sub(" ", text.lower())
    for spdx, phrases in _TEXT_RULES:
        if all(p in flat for p in phrases):
            return spdx
    return UNKNOWN


def dep5_short_name(name: str) -> str:
    """A DEP-5 licence expression ("Expat", "GPL-2+", "MIT or Apache-2.0") in SPDX terms."""
    parts = re.split(r"\s+(or|and)\s+", name.strip(), flags=re.IGNORECASE)
    out = []
    for p in parts:
        low = p.lower()
        if low in ("or", "and"):
            out.append(low.upper())
        else:
            out.append(_DEP5.get(low, UNKNOWN))
    return " ".join(out) if out else UNKNOWN


def detect_dep5(text: str) -> str:
    """Licence of the `Files: *` paragraph of a machine-readable debian/copyright (DEP-5)."""
    for para in re.split(r"\n\s*\n", text):
        if re.search(r"^Files:\s*\*\s*$", para, re.MULTILINE):
            m = re.search(r"^License:\s*(.+)$", para, re.MULTILINE)
            if m:
                return dep5_short_name(m.group(1))
    # Not DEP-5 (free-form copyright file): look at the text itself.
    return detect_text(text)


def combine(found: list[str]) -> str:
    """Several licence files (LICENSE-MIT + LICENSE-APACHE) mean a choice between them."""
    known = sorted({f for f in found if f != UNKNOWN})
    if not known:
        return UNKNOWN
    return " OR ".join(known)
