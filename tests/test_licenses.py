"""Licence texts matched by similarity, on the SPDX list's texts as the installed `spdx` package ships
them, edited the way real LICENSE files differ (a filled-in copyright line, re-wrapped lines, British
spelling, a title); and the SPDX expression rule of the licence filter."""

from __future__ import annotations

import textwrap
from importlib import resources

import pytest

from filters.base import Drop
from filters.github import GithubLicense
from pipeline.document import Document
from pipeline.sources import licenses
from pipeline.sources.licenses import reference
from pipeline.sources.licenses.rule import classify_license, license_decision, widen


def spdx_text(spdx: str) -> str:
    path = resources.files("spdx").joinpath("data", f"{spdx}.txt")
    return path.read_text(encoding="utf-8") if path.is_file() else reference.TEXTS[spdx]


def as_shipped(spdx: str) -> str:
    """The licence as a project ships it: its own copyright line, wrapped at 72, "licence" spelling."""
    body = "\n\n".join(textwrap.fill(p, 72) for p in spdx_text(spdx).split("\n\n"))
    return "Copyright (c) 2019-2024 The Example Project Developers\n\n" + body.replace("license", "licence")


@pytest.mark.parametrize(
    "spdx",
    [
        "0BSD",
        "ISC",
        "MIT",
        "MIT-0",
        "BSD-1-Clause",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSD-3-Clause-Clear",
        "BSD-2-Clause-Patent",
        "BSD-4-Clause",
        "Apache-1.0",
        "Apache-1.1",
        "Apache-2.0",
        "GPL-2.0",
        "GPL-3.0",
        "AGPL-3.0",
        "LGPL-2.1",
        "LGPL-3.0",
        "MPL-2.0",
        "Zlib",
        "BSL-1.0",
        "Unlicense",
    ],
)
def test_each_licence_text_is_told_from_its_relatives(spdx: str) -> None:
    found = licenses.match_text(as_shipped(spdx))
    assert found is not None and found.spdx == spdx, found
    assert found.method == "dice" and found.score >= 0.85


def test_close_relatives_score_lower_than_the_right_text() -> None:
    # the 0BSD grant is a prefix of ISC's, MIT-0 is MIT without its condition: both pairs differ by a clause
    for text_id, other in (("0BSD", "ISC"), ("ISC", "0BSD"), ("MIT-0", "MIT"), ("BSD-2-Clause", "BSD-3-Clause")):
        found = licenses.match_text(as_shipped(text_id))
        assert found is not None and found.spdx == text_id != other


def test_licence_inside_other_material_is_found_by_containment() -> None:
    changelog = "\n".join(
        f"- release 0.{i}.0: fixed issue {i * 7} in module m{i}, thanks to user{i}" for i in range(60)
    )
    text = "This crate is distributed under the terms below.\n\n" + as_shipped("ISC") + "\n\nCHANGES\n" + changelog
    found = licenses.match_text(text)
    assert found is not None and found.spdx == "ISC" and found.method == "contained"


def test_standard_notice_and_plain_expression_files() -> None:
    notice = (
        'Copyright 2011-2017 Google Inc.\n\nLicensed under the Apache License, Version 2.0 (the "License");\n'
        "you may not use this file except in compliance with the License.\nYou may obtain a copy of the "
        "License at\n\n    http://www.apache.org/licenses/LICENSE-2.0\n\nUnless required by applicable law "
        'or agreed to in writing, software\ndistributed under the License is distributed on an "AS IS" '
        "BASIS,\nWITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\nSee the License "
        "for the specific language governing permissions and\nlimitations under the License.\n"
    )
    assert licenses.match_text(notice).spdx == "Apache-2.0"
    assert licenses.match_text("MIT OR Apache-2.0\n").spdx == "MIT OR Apache-2.0"
    assert licenses.match_text("// SPDX-License-Identifier: BSD-2-Clause */\nint x;").spdx == "BSD-2-Clause"
    assert licenses.match_text("All rights reserved. Do not copy, ever, under any circumstances.") is None


@pytest.mark.parametrize(
    ("raw", "chosen", "verdict"),
    [
        ("MIT-0", "MIT-0", "allowed"),
        ("Apache-1.0", "Apache-1.0", "allowed"),
        ("BSD-1-Clause", "BSD-1-Clause", "allowed"),
        ("bsd-3-clause-clear", "BSD-3-Clause-Clear", "allowed"),
        ("BSD-2-Clause-Patent", "BSD-2-Clause-Patent", "allowed"),
        ("0bsd", "0BSD", "allowed"),
        ("Apache", "Apache-2.0", "allowed"),  # Debian short names
        ("MPL-2", "MPL-2.0", "copyleft"),
        ("Zlib", "Zlib", "other"),
        ("BSL-1.0", "BSL-1.0", "other"),
        ("PSF-2.0", "PSF-2.0", "other"),
        ("public-domain", "LicenseRef-public-domain", "other"),
        ("ISC OR MIT", "MIT", "allowed"),  # OR: the best alternative
        ("MIT AND ISC", "MIT AND ISC", "other"),  # AND: the worst part
        ("(MIT OR Apache-2.0) AND BSD-3-Clause", "MIT AND BSD-3-Clause", "allowed"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception", "allowed"),
        ("GPL-2.0+ OR MPL-2.0", "GPL-2.0-or-later", "copyleft"),
        ("UNLICENSED", "UNLICENSED", "unknown"),  # npm: proprietary, not the Unlicense
    ],
)
def test_spdx_rule(raw: str, chosen: str, verdict: str) -> None:
    assert classify_license(raw) == (chosen, verdict)


def test_widened_set_is_off_by_default() -> None:
    doc = Document("r:a.c", "github", "int x;\n", {"license": "ISC OR Zlib"})
    assert GithubLicense()(doc) == Drop("license_other")
    kept = GithubLicense(["isc"])(doc)
    assert isinstance(kept, Document) and kept.meta["license"] == "ISC"
    assert kept.meta["license_expression"] == "ISC OR Zlib"
    assert widen(["Unlicense", "zlib"]) == frozenset({"Unlicense", "Zlib"})
    with pytest.raises(ValueError, match="not an SPDX licence id"):
        widen(["my-own-licence"])
    assert license_decision("GPL-2+")[0] == "GPL-2.0-or-later"
