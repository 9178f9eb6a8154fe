"""GitHub reader on a local source tree, and the licence-file detector."""

from __future__ import annotations

import os

import pytest
from test_licenses import as_shipped

from pipeline.sources import base, github, licenses
from pipeline.sources.base import SkipCounter

MIT = as_shipped("MIT")
APACHE = as_shipped("Apache-2.0")
BSD0 = as_shipped("0BSD")


def test_detect_dep5():
    copyright = (
        """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: foo

Files: *
Copyright: 2015 The Foo Authors
License: Expat

Files: debian/*
License: GPL-2+

Files: vendor/zlib/*
License: Zlib

Files: extra/*
License: bsd-3-foo

License: bsd-3-foo
"""
        + "\n".join(" " + (line or ".") for line in as_shipped("BSD-3-Clause").splitlines())
        + "\n"
    )
    dep5 = licenses.Dep5.parse(copyright)
    assert dep5.spdx(dep5.tree_licence()) == "MIT"
    assert dep5.spdx(dep5.lookup("debian/rules")) == "GPL-2.0-or-later"
    assert dep5.spdx(dep5.lookup("vendor/zlib/inflate.c")) == "Zlib"
    assert dep5.spdx(dep5.lookup("src/a.py")) == "MIT"
    assert dep5.spdx(dep5.lookup("extra/x.c")) == "BSD-3-Clause"  # a custom name, read from its text
    assert licenses.Dep5.parse("This package was debianized by someone.\n") is None


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
        "license_source": "LICENSE",
    }
    assert docs[1].meta["language"] == "Rust"
    assert skip.counts == {"symlink": 2, "binary": 1, "empty": 1, "invalid_utf8": 1}
    # the same file gets the same id from a re-read
    assert [d.id for d in github.read(str(root), SkipCounter())] == [d.id for d in docs]
    named = list(github.read(str(root), SkipCounter(), repo="acme/tool-x"))
    assert {d.meta["repo"] for d in named} == {"acme/tool-x"} and named[0].id != docs[0].id


def licences(root) -> dict[str, tuple[str, str]]:
    return {
        d.meta["path"]: (d.meta["license"], d.meta["license_source"]) for d in github.read(str(root), SkipCounter())
    }


def test_source_tree_dual_licence_and_dep5(tmp_path):
    root = tmp_path / "crate"
    root.mkdir()
    (root / "LICENSE-MIT").write_text(MIT)
    (root / "LICENSE-APACHE").write_text(APACHE)
    (root / "a.rs").write_text("fn a() {}\n")
    assert licences(root)["a.rs"] == ("Apache-2.0 OR MIT", "LICENSE-APACHE + LICENSE-MIT")
    deb = tmp_path / "python-foo"
    (deb / "debian").mkdir(parents=True)
    (deb / "debian" / "copyright").write_text("Format: x\n\nFiles: *\nCopyright: x\nLicense: Apache\n")
    (deb / "foo.py").write_text("x = 1\n")
    assert licences(deb)["foo.py"] == ("Apache-2.0", "debian/copyright")
    nolic = tmp_path / "bare"
    nolic.mkdir()
    (nolic / "x.py").write_text("x = 1\n")
    assert licences(nolic) == {"x.py": ("unknown", "none")}


def test_manifest_without_licence_file_and_0bsd_text(tmp_path):
    """The two failures the issue reported: a crate with only Cargo.toml, and a 0BSD LICENSE."""
    crate = tmp_path / "hex"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "hex"\nversion = "0.4.3"\nlicense = "MIT/Apache-2.0"\n')
    (crate / "src" / "lib.rs").write_text("pub fn encode() {}\n")
    assert licences(crate)["src/lib.rs"] == ("MIT OR Apache-2.0", "Cargo.toml")
    adler = tmp_path / "adler"
    adler.mkdir()
    (adler / "LICENSE").write_text(BSD0)
    (adler / "lib.rs").write_text("pub fn adler32() {}\n")
    assert licences(adler)["lib.rs"] == ("0BSD", "LICENSE")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("package.json", '{"name": "x", "license": "ISC"}', "ISC"),
        ("package.json", '{"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}', "MIT OR Apache-2.0"),
        ("composer.json", '{"license": ["LGPL-2.1-only", "GPL-3.0-or-later"]}', "LGPL-2.1-only OR GPL-3.0-or-later"),
        ("pyproject.toml", '[project]\nname = "x"\nlicense = "BSD-3-Clause"\n', "BSD-3-Clause"),
        (
            "pyproject.toml",
            '[project]\nclassifiers = ["License :: OSI Approved :: MIT License"]\n',
            "MIT",
        ),
        ("setup.cfg", "[metadata]\nname = x\nlicense = Apache License 2.0\n", "Apache-2.0"),
        ("x.gemspec", 'Gem::Specification.new do |s|\n  s.licenses = ["MIT"]\nend\n', "MIT"),
        (
            "pom.xml",
            "<project><licenses><license><name>The Apache Software License, Version 2.0</name>"
            "</license></licenses></project>",
            "Apache-2.0",
        ),
        ("PKG-INFO", "Metadata-Version: 2.4\nName: x\nLicense-Expression: MIT-0\n", "MIT-0"),
    ],
)
def test_package_manifests(tmp_path, name, text, expected):
    (tmp_path / name).write_text(text)
    (tmp_path / "main.c").write_text("int main(void) { return 0; }\n")
    assert licences(tmp_path)["main.c"] == (expected, name)


def test_header_and_subfolder_win_over_the_tree(tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\nlicense = "MIT"\n')
    (tmp_path / "gpl.c").write_text("/* SPDX-License-Identifier: GPL-2.0-or-later */\nint g;\n")
    (tmp_path / "bad.c").write_text("// SPDX-License-Identifier: $LICENSE\nint b;\n")  # a template: ignored
    (tmp_path / "vendor" / "lib").mkdir(parents=True)
    (tmp_path / "vendor" / "lib" / "COPYING").write_text(as_shipped("GPL-3.0"))
    (tmp_path / "vendor" / "lib" / "v.c").write_text("int v;\n")
    (tmp_path / "vendor" / "w.c").write_text("int w;\n")
    got = licences(tmp_path)
    assert got["gpl.c"] == ("GPL-2.0-or-later", "SPDX header")
    assert got["bad.c"] == ("MIT", "Cargo.toml")
    assert got["vendor/lib/v.c"] == ("GPL-3.0-only", "vendor/lib/COPYING")
    assert got["vendor/w.c"] == ("MIT", "Cargo.toml")


def test_cargo_workspace_licence_and_damaged_manifest(tmp_path):
    (tmp_path / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["a"]\n[workspace.package]\nlicense = "BSD-2-Clause"\n'
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Cargo.toml").write_text('[package]\nname = "a"\nlicense.workspace = true\n')
    (tmp_path / "a" / "lib.rs").write_text("fn a() {}\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Cargo.toml").write_text('[package\nname = "b"\n')  # damaged: declares nothing
    (tmp_path / "b" / "LICENSE").write_text(as_shipped("MIT-0"))
    (tmp_path / "b" / "lib.rs").write_text("fn b() {}\n")
    got = licences(tmp_path)
    assert got["a/lib.rs"] == ("BSD-2-Clause", "a/Cargo.toml")
    assert got["b/lib.rs"] == ("MIT-0", "b/LICENSE")


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
