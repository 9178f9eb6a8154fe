"""GitHub reader on a local source tree, and the licence-file detector."""

from __future__ import annotations

import os

import pytest

from pipeline.sources import base, github, license_detect
from pipeline.sources.base import SkipCounter

MIT = """MIT License

Copyright (c) 2020 Someone

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction..."""
APACHE = """                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/"""
GPL3 = """                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007"""
GPL2 = """                    GNU GENERAL PUBLIC LICENSE
                       Version 2, June 1991"""
LGPL21 = """                  GNU LESSER GENERAL PUBLIC LICENSE
                       Version 2.1, February 1999
 ... the GNU General Public License ..."""
BSD3 = """Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:
3. Neither the name of the copyright holder nor the names of its contributors may be used"""
BSD2 = """Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:"""
ISC = """Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above"""
MPL = "Mozilla Public License Version 2.0\n=================================="


@pytest.mark.parametrize(
    "text,spdx",
    [
        (MIT, "MIT"),
        (APACHE, "Apache-2.0"),
        (GPL3, "GPL-3.0"),
        (GPL2, "GPL-2.0"),
        (LGPL21, "LGPL-2.1"),
        (BSD3, "BSD-3-Clause"),
        (BSD2, "BSD-2-Clause"),
        (ISC, "ISC"),
        (MPL, "MPL-2.0"),
        ("All rights reserved. Do not copy.", "unknown"),
        ("// SPDX-License-Identifier: Apache-2.0\n", "Apache-2.0"),
    ],
)
def test_detect_text(text, spdx):
    assert license_detect.detect_text(text) == spdx


def test_detect_dep5():
    copyright = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: foo

Files: *
Copyright: 2015 The Foo Authors
License: Expat

Files: debian/*
License: GPL-2+
"""
    assert license_detect.detect_dep5(copyright) == "MIT"
    assert license_detect.detect_dep5(copyright.replace("License: Expat", "License: GPL-3+")) == "GPL-3.0"
    assert license_detect.detect_dep5("Files: *\nLicense: MIT or Apache-2.0\n") == "MIT OR Apache-2.0"


def make_tree(root) -> None:
    (root / "src").mkdir(parents=True)
    (root / "LICENSE").write_text(MIT)
    (root / "src" / "main.py").write_text("def main():\n    return 1\n")
    (root / "src" / "lib.rs").write_text("fn main() {}\n")
    (root / "src" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "src" / "empty.c").write_text("")
    (root / "src" / "latin1.txt").write_bytes("caf\u00e9".encode("latin-1"))
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    os.symlink("main.py", root / "src" / "link.py")
    os.symlink("/etc", root / "etc_link")


def test_source_tree(tmp_path):
    root = tmp_path / "checkouts" / "tool-x"
    make_tree(root)
    skip = SkipCounter()
    docs = list(github.read(str(root), skip))
    assert [d.meta["path"] for d in docs] == ["LICENSE", "src/lib.rs", "src/main.py"]
    main = docs[2]
    assert main.text.startswith("def main")
    assert main.meta == {
        "repo": "tool-x",
        "path": "src/main.py",
        "license": "MIT",
        "language": "Python",
        "origin": "tool-x/src/main.py",
    }
    assert docs[1].meta["language"] == "Rust"
    assert skip.counts == {"symlink": 2, "binary": 1, "empty": 1, "invalid_utf8": 1}
    # the same file gets the same id from a re-read
    assert [d.id for d in github.read(str(root), SkipCounter())] == [d.id for d in docs]
    named = list(github.read(str(root), SkipCounter(), repo="acme/tool-x"))
    assert {d.meta["repo"] for d in named} == {"acme/tool-x"} and named[0].id != docs[0].id


def test_source_tree_dual_licence_and_dep5(tmp_path):
    root = tmp_path / "crate"
    root.mkdir()
    (root / "LICENSE-MIT").write_text(MIT)
    (root / "LICENSE-APACHE").write_text(APACHE)
    (root / "a.rs").write_text("fn a() {}\n")
    assert [d.meta["license"] for d in github.read(str(root), SkipCounter())] == ["Apache-2.0 OR MIT"] * 3
    deb = tmp_path / "golang-foo"
    (deb / "debian").mkdir(parents=True)
    (deb / "debian" / "copyright").write_text("Files: *\nCopyright: x\nLicense: GPL-3+\n")
    (deb / "foo.go").write_text("package foo\n")
    docs = list(github.read(str(deb), SkipCounter()))
    assert {d.meta["license"] for d in docs} == {"GPL-3.0"}
    nolic = tmp_path / "bare"
    nolic.mkdir()
    (nolic / "x.py").write_text("x = 1\n")
    assert [d.meta["license"] for d in github.read(str(nolic), SkipCounter())] == ["unknown"]


def test_source_tree_oversized_and_special(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_DOC_BYTES", 50)
    root = tmp_path / "r"
    root.mkdir()
    (root / "big.py").write_text("x = 1\n" * 20)
    (root / "ok.py").write_text("y = 2\n")
    os.mkfifo(root / "pipe")
    skip = SkipCounter()
    assert [d.meta["path"] for d in github.read(str(root), skip)] == ["ok.py"]
    assert skip.counts == {"oversized": 1, "special_file": 1}
