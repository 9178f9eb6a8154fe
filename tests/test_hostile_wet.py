"""Hostile and damaged CommonCrawl files: the reader keeps every good record, counts each bad one (or each
damaged stretch of bytes) once under its reason, and does bounded work on bombs.

The files are built at test time, one gzip member per record as CommonCrawl ships them; the 2 GiB bombs
are a few MB of compressed bytes (one compressed 1 MiB block, repeated after full flushes)."""

from __future__ import annotations

import functools
import gzip
import resource
import time
import zlib
from collections.abc import Callable

import pytest
from wet_fixture import wet_record

from pipeline.sources import common_crawl
from pipeline.sources.base import SkipCounter

N = 20  # good records per file, ids 0..N-1; damage goes after record 5 or replaces record 6
BAD = 6
TRUNC = "truncated_or_corrupt_stream"
BOMB_BYTES = 2 << 30


def page(i: int) -> str:
    return f"Page {i}: " + "some words of text " * (i % 7 + 3) + f"\nsecond line of page {i}, café\n"


def good(i: int) -> bytes:
    return wet_record(f"http://example.com/{i}", page(i), i)


def warcinfo() -> bytes:
    info = b"software: tests\r\n"
    head = (
        "WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2020-02-17T00:00:00Z\r\n"
        "WARC-Record-ID: <urn:uuid:20000000-0000-0000-0000-000000000000>\r\n"
        f"Content-Type: application/warc-fields\r\nContent-Length: {len(info)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + info + b"\r\n\r\n", mtime=0)


def record(i: int, body: bytes | None = None, length: int | str | None = None, uri: bytes | None = None) -> bytes:
    """Record `i` uncompressed, with its Content-Length given (an int, a raw string, or "" for none)."""
    body = page(i).encode() if body is None else body
    length = len(body) if length is None else length
    head = (
        b"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: "
        + (uri or f"http://example.com/{i}".encode())
        + f"\r\nWARC-Date: 2020-02-17T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{i:012d}>"
        f"\r\nContent-Type: text/plain\r\n".encode()
        + (f"Content-Length: {length}\r\n".encode() if length != "" else b"")
        + b"\r\n"
    )
    return head + body + b"\r\n\r\n"


def member(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@functools.cache
def bomb_member(unit: bytes, total: int = BOMB_BYTES, prefix: bytes = b"") -> bytes:
    """A valid gzip member inflating to `prefix` + `unit` repeated to `total` bytes, streamed: one
    compressed 1 MiB block repeated (full flushes reset the compressor, so each copy is identical)."""
    chunk = unit * ((1 << 20) // len(unit))
    assert len(chunk) == 1 << 20 and total % len(chunk) == 0
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = c.compress(prefix) + c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    rep = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH) == rep
    copies = total // len(chunk)
    crc = zlib.crc32(prefix)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    size = (len(prefix) + total) & 0xFFFFFFFF
    deflate = first + rep * (copies - 1) + c.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + deflate + crc.to_bytes(4, "little") + size.to_bytes(4, "little")


def replaced(bad: bytes, at: int = BAD, **more: bytes) -> list[bytes]:
    """Members of a file whose record `at` is `bad` (a member), and record `int(k[1:])` is `more[k]`."""
    bads = {at: bad, **{int(k[1:]): v for k, v in more.items()}}
    return [warcinfo()] + [bads.get(i, good(i)) for i in range(N)]


def inserted(extra: bytes, after: int = BAD - 1) -> list[bytes]:
    parts = [warcinfo()] + [good(i) for i in range(N)]
    parts.insert(after + 2, extra)
    return parts


def corrupt(m: bytes) -> bytes:
    """A member whose deflate data is overwritten in the middle (its header and trailer intact)."""
    mid = len(m) // 2
    return m[: mid - 8] + b"\xff" * 16 + m[mid + 8 :]


def plain(members: list[bytes]) -> bytes:
    return b"".join(gzip.decompress(m) for m in members)


ALL = list(range(N))
WITHOUT_BAD = [i for i in ALL if i != BAD]
LONG = "x" * 4000
ACCENTS = "Crème brûlée à la carte, élève, où, déjà vu.\n" * 3


# name -> (file bytes, or a function making them (the bombs), suffix, kept ids, skips, damaged stretches
# of bytes that are no record)
def cases() -> dict[str, tuple[bytes | Callable[[], bytes], str, list[int], dict[str, int], int]]:
    body = page(BAD).encode()
    g = ".warc.wet.gz"
    return {
        "cl_too_small": (b"".join(replaced(member(record(BAD, length=len(body) - 10)))), g, WITHOUT_BAD, {"bad_content_length": 1}, 0),
        "cl_chars_not_bytes": (b"".join(replaced(member(record(BAD, body=ACCENTS.encode(), length=len(ACCENTS))))), g, WITHOUT_BAD, {"bad_content_length": 1}, 0),
        "cl_too_large": (b"".join(replaced(member(record(BAD, length=len(body) + 10)))), g, WITHOUT_BAD, {"bad_content_length": 1}, 0),
        "cl_past_eof": (b"".join(replaced(member(record(BAD, length=len(body) + 100_000)))), g, WITHOUT_BAD, {"bad_content_length": 1}, 0),
        "cl_huge": (b"".join(replaced(member(record(BAD, length=10**12)))), g, WITHOUT_BAD, {"bad_content_length": 1}, 0),
        "cl_missing": (b"".join(replaced(member(record(BAD, length="")))), g, WITHOUT_BAD, {"malformed_warc_header": 1}, 0),
        "cl_not_a_number": (b"".join(replaced(member(record(BAD, length="12x")))), g, WITHOUT_BAD, {"malformed_warc_header": 1}, 0),
        "invalid_utf8_body": (b"".join(replaced(member(record(BAD, body=b"bad \xff\xfe bytes " + body)))), g, WITHOUT_BAD, {"invalid_utf8": 1}, 0),
        "invalid_utf8_header": (b"".join(replaced(member(record(BAD, uri=b"http://example.com/\xff\xfe")))), g, ALL, {}, 0),
        "two_bad_in_a_row": (
            b"".join(replaced(member(record(BAD, length=len(body) + 7)), r7=member(record(7, length=3)))),
            g, [i for i in ALL if i not in (BAD, 7)], {"bad_content_length": 2}, 0,
        ),
        "first_and_last_bad": (
            b"".join(replaced(member(record(0, length=5)), 0, r19=member(record(N - 1, length=10**6)))),
            g, ALL[1:-1], {"bad_content_length": 2}, 0,
        ),
        "zero_bomb_member": (lambda: b"".join(inserted(bomb_member(b"\0"))), g, ALL, {"decompression_bomb": 1}, 1),
        "newline_bomb_member": (lambda: b"".join(inserted(bomb_member(b"\n"))), g, ALL, {"decompression_bomb": 1}, 1),
        "crlf_bomb_after_record": (lambda: b"".join(inserted(bomb_member(b"\r\n"))), g, ALL, {"decompression_bomb": 1}, 1),
        "newline_bomb_in_record_member": (
            lambda: b"".join(replaced(bomb_member(b"\n", prefix=record(BAD)))), g, WITHOUT_BAD, {"decompression_bomb": 1}, 0,
        ),
        "bomb_record": (
            lambda: b"".join(replaced(bomb_member(b"\0", prefix=record(BAD, body=b"", length=BOMB_BYTES)[:-4]))),
            g, WITHOUT_BAD, {"decompression_bomb": 1}, 0,
        ),
        "truncated_final_member": (b"".join(replaced(good(N - 1)[:-30], N - 1)), g, ALL[:-1], {TRUNC: 1}, 0),
        "final_member_cut_in_header": (b"".join(replaced(member(record(N - 1))[:40], N - 1)), g, ALL[:-1], {TRUNC: 1}, 0),
        "garbage_between_members": (b"".join(inserted(b"\x00garbage\x1f\x8b" * 50)), g, ALL, {TRUNC: 1}, 1),
        "garbage_at_end": (b"".join(inserted(b"\x00" * 1000, N - 1)), g, ALL, {TRUNC: 1}, 1),
        "corrupt_member": (b"".join(replaced(corrupt(member(record(BAD, body=LONG.encode()))))), g, WITHOUT_BAD, {TRUNC: 1}, 0),
        "junk_member": (b"".join(inserted(member(b"hello\r\n\r\nnot a record\r\n"))), g, ALL, {TRUNC: 1}, 1),
        "empty_member_between": (b"".join(inserted(member(b""))), g, ALL, {}, 0),
        "empty_wet_gz": (member(b""), g, [], {}, 0),
        "zero_byte_file": (b"", g, [], {}, 0),
        "single_gzip_stream": (member(plain(replaced(good(BAD)))), g, ALL, {}, 0),
        "plain_cl_small_and_large": (
            plain(replaced(member(record(BAD, length=len(body) - 10)), r11=member(record(11, length=len(page(11)) + 50)))),
            ".warc.wet", [i for i in ALL if i not in (BAD, 11)], {"bad_content_length": 2}, 0,
        ),
        "plain_garbage_between": (plain(inserted(member(b"some garbage line\r\nand another\r\n"))), ".warc.wet", ALL, {TRUNC: 1}, 1),
        "plain_blank_lines_between": (plain(inserted(member(b"\r\n" * 30_000))), ".warc.wet", ALL, {}, 0),
        "plain_truncated_final": (plain(replaced(good(N - 1), N - 1))[:-40], ".warc.wet", ALL[:-1], {TRUNC: 1}, 0),
        "plain_zero_byte": (b"", ".warc", [], {}, 0),
    }  # fmt: skip


CASES = cases()


def read(path, **kw):
    skip = SkipCounter()
    docs = list(common_crawl.read(str(path), skip, **kw))
    return docs, skip.counts


def ids(docs) -> list[int]:
    return [int(d.id.rsplit("-", 1)[1]) for d in docs]


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """Read one good file first, so that the bounds below do not count Beam's imports."""
    p = tmp_path_factory.mktemp("warm") / "good.warc.wet.gz"
    p.write_bytes(b"".join(replaced(good(BAD))))
    assert ids(read(p)[0]) == ALL


@pytest.mark.parametrize("name", sorted(CASES))
def test_damage_costs_only_the_damaged_record(tmp_path, name, warm):
    data, suffix, kept, skips, stretches = CASES[name]
    data = data() if callable(data) else data
    p = tmp_path / f"CC-MAIN-{name}{suffix}"
    p.write_bytes(data)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    docs, counts = read(p)
    seconds = time.perf_counter() - t0
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    assert ids(docs) == kept
    assert counts == skips
    # every record written (good or bad) is kept or counted once; a damaged stretch between records counts once
    written = N if data else 0
    if name == "empty_wet_gz":
        written = 0
    assert len(docs) + sum(counts.values()) == written + stretches
    for d in docs:  # the good records come back whole
        assert d.text == page(ids([d])[0]).rstrip()
    assert seconds < 10, seconds
    assert grew_mb < 200, grew_mb


@pytest.mark.parametrize("k", range(0, N, 3))
def test_a_wrong_length_anywhere_costs_that_record(tmp_path, k):
    p = tmp_path / "x.warc.wet.gz"
    for delta in (-7, 7):
        p.write_bytes(b"".join(replaced(member(record(k, length=len(page(k).encode()) + delta)), k)))
        docs, counts = read(p)
        assert ids(docs) == [i for i in ALL if i != k], delta
        assert counts == {"bad_content_length": 1}, delta


def test_raw_body_survives_a_resync(tmp_path):
    p = tmp_path / "raw.warc.wet.gz"
    p.write_bytes(CASES["cl_too_large"][0])
    docs, counts = read(p, raw_body=True)
    assert ids(docs) == WITHOUT_BAD and counts == {"bad_content_length": 1}
    assert [d.text for d in docs] == [page(i) for i in WITHOUT_BAD]  # line ends kept


def test_caps_are_options_and_counted(tmp_path):
    p = tmp_path / "caps.warc.wet.gz"
    p.write_bytes(b"".join(inserted(member(record(99, body=LONG.encode())))))
    docs, counts = read(p, max_record_bytes=1000)
    assert ids(docs) == ALL and counts == {"oversized": 1}
    docs, counts = read(p, max_member_bytes=3000)  # only record 99's member inflates past 3000 bytes
    assert ids(docs) == ALL and counts == {"decompression_bomb": 1}
    docs, counts = read(p, max_decompressed_bytes=4000)  # the file's cap ends the file
    assert counts == {"decompression_bomb": 1} and 0 < len(docs) < N


def test_warc_response_records_resync(tmp_path):
    def response(i: int, extra: int = 0) -> bytes:
        http = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>page {i}</p>".encode()
        head = (
            f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://site.org/{i}\r\n"
            f"WARC-Record-ID: <urn:uuid:r-{i}>\r\nContent-Length: {len(http) + extra}\r\n\r\n"
        ).encode()
        return member(head + http + b"\r\n\r\n")

    p = tmp_path / "crawl.warc.gz"
    p.write_bytes(warcinfo() + b"".join(response(i, extra=5 if i == 2 else 0) for i in range(5)))
    docs, counts = read(p)
    assert [d.text for d in docs] == ["page 0", "page 1", "page 3", "page 4"]
    assert counts == {"bad_content_length": 1}
