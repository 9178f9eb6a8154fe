"""ArXiv reader: .tex, .tar, .tar.gz and .gz (gzipped tex or gzipped tar), members read in memory."""

from __future__ import annotations

import gzip
import io
import os
import tarfile

from pipeline.sources import arxiv, base
from pipeline.sources.base import SkipCounter

MAIN = r"""\documentclass{article}
\title{A {Study} of Things}
\begin{document}
\maketitle
\input{intro}
% \input{commented}
\include{sections/method.tex}
\input{missing}
\end{document}
"""
INTRO = "\\section{Introduction}\nWe study things.\n\\input{deep}\n"
DEEP = "Deep text.\n"
METHOD = "\\section{Method}\nWe did it.\n"
FIGURE = "\\documentclass{standalone}\n\\begin{tikzpicture}\\end{tikzpicture}\n"


def tar_bytes(members: dict[str, bytes], extra=None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return buf.getvalue()


PAPER = {
    "ms.tex": MAIN.encode(),
    "intro.tex": INTRO.encode(),
    "deep.tex": DEEP.encode(),
    "sections/method.tex": METHOD.encode(),
    "fig/plot.tex": FIGURE.encode(),
    "fig/plot.png": b"\x89PNG\0",
}


def run(path):
    skip = SkipCounter()
    return list(arxiv.read(str(path), skip)), skip.counts


def check_paper(doc, stem: str) -> None:
    assert doc.id == f"arxiv:{stem}"
    assert "We study things.\nDeep text." in doc.text
    assert "\\section{Method}\nWe did it." in doc.text
    assert "% \\input{commented}" in doc.text and "\\input{missing}" in doc.text
    assert "tikzpicture" not in doc.text
    assert doc.meta["title"] == "A {Study} of Things"


def test_tar_tar_gz_and_gzipped_tar(tmp_path):
    raw = tar_bytes(PAPER)
    for name, data in [
        ("2101.00001.tar", raw),
        ("2101.00002.tar.gz", gzip.compress(raw)),
        ("2101.00003.gz", gzip.compress(raw)),
        ("2101.00004.tgz", gzip.compress(raw)),
    ]:
        (tmp_path / name).write_bytes(data)
        docs, skips = run(tmp_path / name)
        assert len(docs) == 1 and skips == {}, name
        check_paper(docs[0], name.split(".t")[0].removesuffix(".gz"))
        assert docs[0].meta["origin"] == f"{name}/ms.tex"


def test_single_tex_and_gzipped_tex(tmp_path):
    (tmp_path / "hep-th9901001.gz").write_bytes(gzip.compress(MAIN.encode()))
    (tmp_path / "paper.tex").write_text(MAIN)
    docs, skips = run(tmp_path / "hep-th9901001.gz")
    assert [d.id for d in docs] == ["arxiv:hep-th9901001"] and docs[0].text == MAIN and skips == {}
    assert docs[0].meta["origin"] == "hep-th9901001.gz"
    docs, _ = run(tmp_path / "paper.tex")
    assert docs[0].id == "arxiv:paper" and docs[0].text == MAIN


def test_unsafe_members_links_and_devices(tmp_path):
    evil = {"../../etc/evil.tex": b"\\documentclass{x}\\begin{document}evil", "/abs/evil.tex": b"evil"}
    link = tarfile.TarInfo("link.tex")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    dev = tarfile.TarInfo("dev.tex")
    dev.type = tarfile.CHRTYPE
    p = tmp_path / "2101.00005.tar.gz"
    p.write_bytes(gzip.compress(tar_bytes({**evil, **PAPER}, extra=[link, dev])))
    docs, skips = run(p)
    assert len(docs) == 1
    check_paper(docs[0], "2101.00005")
    assert "evil" not in docs[0].text
    assert skips == {"unsafe_tar_member": 2, "symlink": 1, "special_file": 1}
    assert not os.path.exists(tmp_path / "etc")


def test_truncated_and_corrupt_archives(tmp_path):
    data = gzip.compress(tar_bytes(PAPER))
    (tmp_path / "t.tar.gz").write_bytes(data[: len(data) // 2])
    assert run(tmp_path / "t.tar.gz") == ([], {"truncated_or_corrupt_stream": 1})
    (tmp_path / "c.tar").write_bytes(b"not a tar file at all" * 40)
    assert run(tmp_path / "c.tar") == ([], {"truncated_or_corrupt_stream": 1})


def test_no_main_empty_invalid_utf8_and_caps(tmp_path, monkeypatch):
    (tmp_path / "nomain.tar").write_bytes(tar_bytes({"a.tex": b"\\section{x} no preamble"}))
    assert run(tmp_path / "nomain.tar") == ([], {"no_main_tex": 1})
    (tmp_path / "figs.tar").write_bytes(tar_bytes({"a.png": b"\x89PNG"}))
    assert run(tmp_path / "figs.tar") == ([], {"empty": 1})
    (tmp_path / "bad.tar").write_bytes(tar_bytes({**PAPER, "intro.tex": b"caf\xe9"}))
    docs, skips = run(tmp_path / "bad.tar")
    assert len(docs) == 1 and "\\input{intro}" in docs[0].text and skips == {"invalid_utf8": 1}
    monkeypatch.setattr(base, "MAX_ARCHIVE_MEMBER_BYTES", 40)
    docs, skips = run(tmp_path / "bad.tar")  # ms.tex itself is over the member cap now
    assert docs == [] and skips["oversized"] >= 1
    monkeypatch.setattr(base, "MAX_DECOMPRESSED_BYTES", 1000)
    (tmp_path / "bomb.tar.gz").write_bytes(gzip.compress(tar_bytes({"ms.tex": MAIN.encode() + b" " * 50_000})))
    assert run(tmp_path / "bomb.tar.gz") == ([], {"decompression_bomb": 1})
