"""CommonCrawl WET/WARC reader: happy paths and one test per skip reason (good records kept)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from pipeline.sources import base, common_crawl
from pipeline.sources.base import SkipCounter
from pipeline.sources.html_text import html_to_text


def warc_record(wtype: str, block: bytes, i: int, url: str = "", length: int | None = None) -> bytes:
    head = (
        f"WARC/1.0\r\nWARC-Type: {wtype}\r\nWARC-Target-URI: {url or f'http://example.com/{i}'}\r\n"
        f"WARC-Date: 2019-01-0{i % 9 + 1}T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:0000-{i:04d}>\r\n"
        f"WARC-Block-Digest: sha1:DIGEST{i}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(block) if length is None else length}\r\n\r\n"
    ).encode()
    return gzip.compress(head + block + b"\r\n\r\n")


def warcinfo() -> bytes:
    return warc_record("warcinfo", b"software: test\r\n", 9999)


def wet(records: list[bytes]) -> bytes:
    return warcinfo() + b"".join(records)


def conv(i: int, text: str | bytes) -> bytes:
    return warc_record("conversion", text if isinstance(text, bytes) else text.encode(), i)


def read_all(path, **kw):
    skip = SkipCounter()
    return list(common_crawl.read(str(path), skip, **kw)), skip.counts


def test_wet_happy_path(tmp_path):
    p = tmp_path / "CC-MAIN-x.warc.wet.gz"
    p.write_bytes(wet([conv(i, f"Page {i}\nsome text é\n\n  ") for i in range(3)]))
    docs, skips = read_all(p)
    assert [d.id for d in docs] == ["urn:uuid:0000-0000", "urn:uuid:0000-0001", "urn:uuid:0000-0002"]
    assert docs[1].text == "Page 1\nsome text é"  # trailing whitespace trimmed
    assert docs[1].meta == {
        "url": "http://example.com/1",
        "timestamp": "2019-01-02T00:00:00Z",
        "digest": "sha1:DIGEST1",
        "origin": "CC-MAIN-x.warc.wet.gz",
    }
    assert skips == {}


def test_truncated_stream_keeps_earlier_records(tmp_path):
    data = wet([conv(i, f"text number {i} " * 50) for i in range(4)])
    p = tmp_path / "t.warc.wet.gz"
    p.write_bytes(data[:-40])
    docs, skips = read_all(p)
    assert len(docs) == 3
    assert skips == {"truncated_or_corrupt_stream": 1}


def test_corrupt_member_keeps_earlier_records(tmp_path):
    good = wet([conv(i, f"good {i}") for i in range(2)])
    p = tmp_path / "c.warc.wet.gz"
    p.write_bytes(good + b"\x1f\x8b\x08\x00garbage-not-deflate" * 3)
    docs, skips = read_all(p)
    assert [d.text for d in docs] == ["good 0", "good 1"]
    assert skips == {"truncated_or_corrupt_stream": 1}


def test_invalid_utf8_and_empty_and_oversized(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_DOC_BYTES", 100)
    p = tmp_path / "b.warc.wet.gz"
    p.write_bytes(
        wet(
            [
                conv(0, b"bad \xff\xfe bytes"),
                conv(1, "fine"),
                conv(2, " \n \n"),
                conv(3, "x" * 101),
                conv(4, "also fine"),
            ]
        )
    )
    docs, skips = read_all(p)
    assert [d.text for d in docs] == ["fine", "also fine"]
    assert skips == {"invalid_utf8": 1, "empty": 1, "oversized": 1}


def test_decompression_bomb_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_DECOMPRESSED_BYTES", 2000)
    p = tmp_path / "bomb.warc.wet.gz"
    p.write_bytes(wet([conv(0, "small page"), conv(1, "z" * 5000), conv(2, "never reached")]))
    docs, skips = read_all(p)
    assert [d.text for d in docs] == ["small page"]
    assert skips == {"decompression_bomb": 1}


def http_response(
    i: int, html: bytes, status: str = "200 OK", ctype: str = "text/html; charset=utf-8", extra: str = ""
) -> bytes:
    http = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{extra}\r\n".encode() + html
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://site.org/{i}\r\n"
        f"WARC-Date: 2020-02-02T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:r-{i}>\r\n"
        f"WARC-Payload-Digest: sha1:P{i}\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + http + b"\r\n\r\n")


PAGE = (
    b"<html><head><title>Hello page</title><style>p{color:red}</style><script>var x=1;</script></head>"
    b"<body><h1>Heading</h1><p>First <b>bold</b>\n   paragraph.</p><ul><li>one</li><li>two</li></ul>"
    b"<noscript>enable js</noscript><div>Caf&eacute; &amp; more<br>next line</div></body></html>"
)


def test_html_to_text_blocks_and_skips():
    assert html_to_text(PAGE.decode()) == (
        "Hello page\nHeading\nFirst bold paragraph.\none\ntwo\nCafé & more\nnext line"
    )


def test_warc_response_records(tmp_path):
    latin = "<html><body><p>Gr\u00fc\u00dfe aus K\u00f6ln</p></body></html>".encode("latin-1")
    gz_body = gzip.compress(b"<p>compressed page</p>")
    chunked = b"5\r\n<p>ab\r\n6\r\ncd</p>\r\n0\r\n\r\n"
    records = [
        warc_record("request", b"GET / HTTP/1.1\r\n\r\n", 50),
        http_response(0, PAGE),
        http_response(1, b"<p>missing</p>", status="404 Not Found"),
        http_response(2, b"\x89PNG....", ctype="image/png"),
        http_response(3, latin, ctype="text/html; charset=iso-8859-1"),
        http_response(4, gz_body, extra="Content-Encoding: gzip\r\n"),
        http_response(5, chunked, extra="Transfer-Encoding: chunked\r\n"),
        # stored de-chunked with the header kept (pywb's iana.warc.gz does this): read as stored
        http_response(6, b"<p>already dechunked</p>", extra="Transfer-Encoding: chunked\r\n"),
    ]
    p = tmp_path / "crawl.warc.gz"
    p.write_bytes(warcinfo() + b"".join(records))
    docs, skips = read_all(p)
    assert [d.id for d in docs] == [
        "urn:uuid:r-0",
        "urn:uuid:r-3",
        "urn:uuid:r-4",
        "urn:uuid:r-5",
        "urn:uuid:r-6",
    ]
    assert docs[0].text.startswith("Hello page\nHeading\nFirst bold paragraph.")
    assert "var x" not in docs[0].text and "color:red" not in docs[0].text
    assert docs[1].text == "Grüße aus Köln"
    assert docs[2].text == "compressed page"
    assert docs[3].text == "abcd"
    assert docs[4].text == "already dechunked"
    assert docs[0].meta["digest"] == "sha1:P0" and docs[0].meta["url"] == "http://site.org/0"
    assert skips == {"not_http_200": 1, "not_html": 1}


def test_warc_response_codings_and_their_damage(tmp_path, monkeypatch):
    """Content codings FastWARC's HTTP parser undoes, and each damaged one a counted skip."""
    import brotli

    monkeypatch.setattr(base, "MAX_DOC_BYTES", 4096)
    gz = gzip.compress(b"<p>old gzip name</p>")
    both = gzip.compress(b"<p>chunked and gzipped</p>")
    records = [
        http_response(0, brotli.compress(b"<p>brotli page</p>"), extra="Content-Encoding: br\r\n"),
        http_response(1, gz, extra="Content-Encoding: x-gzip\r\n"),
        http_response(2, zlib.compress(b"<p>deflated page</p>"), extra="Content-Encoding: deflate\r\n"),
        http_response(
            3,
            b"%x\r\n" % len(both) + both + b"\r\n0\r\n\r\n",
            extra="Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n",
        ),
        http_response(4, b"\x1f\x8b\x08\x00not deflate at all", extra="Content-Encoding: gzip\r\n"),
        http_response(5, gzip.compress(b"<p>" + b"x" * 5000 + b"</p>"), extra="Content-Encoding: gzip\r\n"),
        http_response(6, b"<p>unknown coding</p>", extra="Content-Encoding: compress\r\n"),
        http_response(7, b"<p>fine</p>", ctype='text/html; charset="iso-8859-1"'),
    ]
    # a head that never ends: no blank line between the headers and the body
    records.append(warc_record("response", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n<p>no end</p>", 8))
    p = tmp_path / "codings.warc.gz"
    p.write_bytes(warcinfo() + b"".join(records))
    docs, skips = read_all(p)
    assert [(d.id, d.text) for d in docs] == [
        ("urn:uuid:r-0", "brotli page"),
        ("urn:uuid:r-1", "old gzip name"),
        ("urn:uuid:r-2", "deflated page"),
        ("urn:uuid:r-3", "chunked and gzipped"),
        ("urn:uuid:r-7", "fine"),
    ]
    assert skips == {"truncated_or_corrupt_stream": 2, "decompression_bomb": 1, "malformed_http": 1}


def test_missing_path_raises(tmp_path):
    with pytest.raises(OSError):  # a missing input is an error, not a skip
        read_all(tmp_path / "nope.warc.wet.gz")


def test_every_cut_point_keeps_a_prefix_and_counts_the_damage(tmp_path):
    full = wet([conv(i, f"record {i} " + "lorem ipsum dolor " * (i + 3)) for i in range(4)])
    p = tmp_path / "full.warc.wet.gz"
    p.write_bytes(full)
    want, _ = read_all(p)
    boundaries = set()
    pos = 0
    for part in [warcinfo()] + [conv(i, f"record {i} " + "lorem ipsum dolor " * (i + 3)) for i in range(4)]:
        pos += len(part)
        boundaries.add(pos)
    for cut in range(1, len(full), 5):
        p.write_bytes(full[:cut])
        docs, skips = read_all(p)
        assert [d.text for d in docs] == [d.text for d in want[: len(docs)]], cut
        if cut not in boundaries:
            assert skips == {"truncated_or_corrupt_stream": 1}, cut
