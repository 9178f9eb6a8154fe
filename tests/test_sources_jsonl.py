"""Line-oriented readers (C4, Books3, GitHub JSONL) and the shared stream handling in base.py: happy
paths per compression and one test per skip reason, with the good records around the bad one kept."""

from __future__ import annotations

import bz2
import gzip
import json

import pytest
import zstandard

from pipeline.sources import base, books, c4, github
from pipeline.sources.base import SkipCounter


def run(reader, path):
    skip = SkipCounter()
    return list(reader(str(path), skip)), skip.counts


def c4_lines(n: int) -> bytes:
    return b"".join(
        json.dumps(
            {"text": f"Page {i} text.", "url": f"https://c4.example/{i}", "timestamp": "2019-04-25T12:57:54Z"}
        ).encode()
        + b"\n"
        for i in range(n)
    )


COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".zst": zstandard.ZstdCompressor().compress}


def test_c4_happy_path(tmp_path):
    p = tmp_path / "c4-train.00000-of-01024.json.gz"
    p.write_bytes(gzip.compress(c4_lines(3)))
    docs, skips = run(c4.read, p)
    assert [d.id for d in docs] == [f"c4-train.00000-of-01024:{i}" for i in (1, 2, 3)]
    assert docs[0].text == "Page 0 text."
    assert docs[2].meta == {
        "url": "https://c4.example/2",
        "timestamp": "2019-04-25T12:57:54Z",
        "origin": "c4-train.00000-of-01024.json.gz",
    }
    assert skips == {}


@pytest.mark.parametrize("ext", [".gz", ".bz2", ".zst"])
def test_truncated_stream_keeps_lines_before(tmp_path, ext):
    # many frames/members so that the good part decodes before the cut
    data = b"".join(COMPRESS[ext](c4_lines(200)) for _ in range(5))
    p = tmp_path / f"c4-x.json{ext}"
    p.write_bytes(data[: len(data) - 30])
    docs, skips = run(c4.read, p)
    assert len(docs) >= 4 * 200 and len(docs) < 1000
    assert all(d.text.startswith("Page ") for d in docs)
    assert skips == {"truncated_or_corrupt_stream": 1}


def test_bad_lines_are_counted_and_neighbours_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_DOC_BYTES", 200)
    lines = [
        b'{"text": "good one", "url": "u1"}',
        b'{"text": "bad \xff utf8"}',
        b'{"text": "unterminated',
        b'["valid json", "not an object"]',
        b'{"url": "no text here"}',
        b'{"text": "   \\n "}',
        json.dumps({"text": "x" * 201}).encode(),
        b"y" * 5000,  # a line beyond the line cap (2 * MAX_DOC_BYTES + 4096), drained without holding it
        b"",
        b'{"text": "good two", "url": "u2"}',
    ]
    p = tmp_path / "c4-bad.json.gz"
    p.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    docs, skips = run(c4.read, p)
    assert [d.text for d in docs] == ["good one", "good two"]
    assert [d.id for d in docs] == ["c4-bad:1", "c4-bad:10"]
    assert skips == {"invalid_utf8": 1, "malformed_json": 2, "missing_field": 1, "empty": 1, "oversized": 2}


def test_decompression_bomb_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_DECOMPRESSED_BYTES", 50_000)
    bomb = c4_lines(2) + json.dumps({"text": "a" * 10_000_000}).encode() + b"\n"
    p = tmp_path / "c4-bomb.json.gz"
    p.write_bytes(gzip.compress(bomb))
    assert p.stat().st_size < 100_000
    docs, skips = run(c4.read, p)
    assert [d.text for d in docs] == ["Page 0 text.", "Page 1 text."]
    assert skips == {"decompression_bomb": 1}


def test_gutenberg_txt(tmp_path):
    text = (
        "\ufeffThe Project Gutenberg EBook of Pride and Prejudice, by Jane Austen\n\n"
        "Title: Pride and Prejudice\n\nAuthor: Jane Austen\n\nRelease Date: August 26, 2008 [EBook #1342]\n\n"
        "*** START OF THIS PROJECT GUTENBERG EBOOK PRIDE AND PREJUDICE ***\n\nIt is a truth...\n"
    )
    p = tmp_path / "pg1342.txt"
    p.write_text(text, encoding="utf-8")
    (tmp_path / "noheader.txt").write_text("Just a book.\n")
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "latin1.txt").write_bytes("Caf\u00e9".encode("latin-1"))
    docs, skips = run(books.read, p)
    assert docs[0].id == "gutenberg:1342" and skips == {}
    assert docs[0].meta == {"title": "Pride and Prejudice", "origin": "pg1342.txt"}
    assert docs[0].text.startswith("The Project Gutenberg EBook") and "START OF THIS" in docs[0].text
    docs, _ = run(books.read, tmp_path / "noheader.txt")
    assert docs[0].id == "gutenberg:noheader" and "title" not in docs[0].meta
    assert run(books.read, tmp_path / "empty.txt") == ([], {"empty": 1})
    assert run(books.read, tmp_path / "latin1.txt") == ([], {"invalid_utf8": 1})


def test_gutenberg_oversized(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_DOC_BYTES", 100)
    p = tmp_path / "big.txt"
    p.write_text("word " * 100)
    assert run(books.read, p) == ([], {"oversized": 1})


def test_books3_jsonl_zst(tmp_path):
    rows = [
        {"text": "Book one text", "meta": {"title": "One"}},
        {"text": "Book two"},
        {"meta": {"title": "no text"}},
        {"text": "Book three", "meta": {"short_book_title": "Three"}},
    ]
    raw = "".join(json.dumps(r) + "\n" for r in rows).encode() + b"{broken\n"
    p = tmp_path / "books3-part.jsonl.zst"
    p.write_bytes(zstandard.ZstdCompressor().compress(raw))
    docs, skips = run(books.read, p)
    assert [d.id for d in docs] == ["books3:books3-part:1", "books3:books3-part:2", "books3:books3-part:4"]
    assert docs[0].meta["title"] == "One" and docs[2].meta["title"] == "Three" and "title" not in docs[1].meta
    assert skips == {"missing_field": 1, "malformed_json": 1}


def gh_row(i: int, **kw) -> dict:
    row = {
        "repo_name": f"org/repo{i}",
        "path": f"src/mod{i}.py",
        "content": f"print({i})\n",
        "license": "mit",
        "size": 10,
    }
    row.update(kw)
    return row


@pytest.mark.parametrize("ext", ["", ".gz", ".zst"])
def test_github_jsonl(tmp_path, ext):
    rows = [
        gh_row(0),
        gh_row(1, path="lib/x.rs", license="apache-2.0"),
        gh_row(2, content="\x00\x01PNG"),
        {"repo_name": "r", "path": "p"},
    ]
    raw = "".join(json.dumps(r) + "\n" for r in rows).encode()
    p = tmp_path / f"github-000.jsonl{ext}"
    p.write_bytes(COMPRESS[ext](raw) if ext else raw)
    docs, skips = run(github.read, p)
    assert [d.meta["path"] for d in docs] == ["src/mod0.py", "lib/x.rs"]
    assert docs[0].meta == {
        "repo": "org/repo0",
        "path": "src/mod0.py",
        "license": "mit",
        "language": "Python",
        "origin": f"github-000.jsonl{ext}",
    }
    assert docs[1].meta["language"] == "Rust" and docs[1].meta["license"] == "apache-2.0"
    assert len({d.id for d in docs}) == 2
    assert skips == {"binary": 1, "missing_field": 1}
