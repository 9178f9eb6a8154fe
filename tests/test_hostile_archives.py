"""Hostile inputs for the Books, C4, ArXiv and GitHub readers (docs/damaged_inputs.md).

Every damaged file is built at test time, a few MB in all: the bombs by streaming compression (a
compressor fed 1 MiB at a time, or one small compressed member repeated), never stored. Each test asserts
the exact records kept and the exact skip counts; the bombs and giant lines also a time and a peak-RSS
bound, measured in a subprocess so that this process's own peak does not count.

The builders are plain functions of a folder, so a scratch script can run the same files through
other code (the before/after table in docs/damaged_inputs.md was made that way)."""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
import os
import random
import struct
import subprocess
import sys
import tarfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
import zstandard

from pipeline.sources import arxiv, base, books, c4, github
from pipeline.sources.base import SkipCounter

REPO = Path(__file__).resolve().parent.parent
MiB = 1 << 20
TRUNCATED = {"truncated_or_corrupt_stream": 1}


def run(reader: Callable, path: Path | str, **opts) -> tuple[list, dict[str, int]]:
    skip = SkipCounter()
    docs = list(reader(str(path), skip, **opts))
    return docs, skip.counts


# --- subprocess runs with a time and peak-RSS bound -------------------------------------------------

CHILD = r"""
import json, resource, sys, time
from apache_beam.io.filesystems import FileSystems  # noqa: F401  (imported before the baseline)
from pipeline.sources import reader_for
from pipeline.sources.base import SkipCounter
source, path, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
read = reader_for(source)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
skip = SkipCounter()
ids = [d.id for d in read(path, skip, **opts)]
print(json.dumps({
    "ids": ids,
    "skips": skip.counts,
    "seconds": time.perf_counter() - start,
    "rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
}))
"""
MAX_SECONDS = 15.0
MAX_RSS_GROWTH_MB = 200.0


def run_bounded(source: str, path: Path, **opts) -> tuple[list[str], dict[str, int]]:
    """Read in a fresh interpreter; assert the time and the peak-RSS growth over the reader's run."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, source, str(path), json.dumps(opts)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["seconds"] < MAX_SECONDS, out
    assert out["rss_growth_mb"] < MAX_RSS_GROWTH_MB, out
    return out["ids"], out["skips"]


# --- compression --------------------------------------------------------------------------------------

FRAMED: dict[str, Callable[[bytes], bytes]] = {  # one gzip member / bz2 stream / zstd frame
    ".gz": lambda data: gzip.compress(data, 6, mtime=0),
    ".bz2": lambda data: bz2.compress(data, 9),
    ".zst": lambda data: zstandard.ZstdCompressor(write_checksum=True).compress(data),
}
ONE_STREAM: dict[str, Callable[[bytes], bytes]] = {  # small blocks, so a cut leaves whole blocks before it
    ".gz": lambda data: gzip.compress(data, 6, mtime=0),
    ".bz2": lambda data: bz2.compress(data, 1),  # 100 kB blocks
    ".zst": lambda data: zstandard.ZstdCompressor(level=3).compress(data),
}
PREFIX: dict[str, Callable[[bytes], bytes]] = {  # what an independent decoder gets out of a cut stream
    ".gz": lambda cut: zlib.decompressobj(31).decompress(cut),
    ".bz2": lambda cut: bz2.BZ2Decompressor().decompress(cut),
    ".zst": lambda cut: zstandard.ZstdDecompressor().decompressobj().decompress(cut),
}


def write_stream(path: Path, parts: Iterable[bytes]) -> Path:
    """Compress `parts` by the path's extension as one stream, fed a part at a time (never held whole)."""
    ext = path.suffix
    with open(path, "wb") as f:
        if ext == ".zst":
            with zstandard.ZstdCompressor(level=3).stream_writer(f, closefd=False) as w:
                for part in parts:
                    w.write(part)
        elif ext == ".gz":
            comp = zlib.compressobj(6, zlib.DEFLATED, 31)
            for part in parts:
                f.write(comp.compress(part))
            f.write(comp.flush())
        elif ext == ".bz2":
            bcomp = bz2.BZ2Compressor(9)
            for part in parts:
                f.write(bcomp.compress(part))
            f.write(bcomp.flush())
        else:
            for part in parts:
                f.write(part)
    return path


def write_members(path: Path, head: bytes, run_mib: int, tail: bytes, byte: bytes = b"a") -> Path:
    """head, `run_mib` MiB of `byte`, tail, as concatenated gzip members / bz2 streams (multi-member files
    are valid, and repeating one compressed MiB writes a bomb of any size in no time) or one zstd stream."""
    if path.suffix == ".zst":
        block = byte * MiB
        return write_stream(path, itertools.chain([head], itertools.repeat(block, run_mib), [tail]))
    comp = FRAMED[path.suffix]
    one = comp(byte * MiB)
    with open(path, "wb") as f:
        f.write(comp(head))
        for _ in range(run_mib):
            f.write(one)
        f.write(comp(tail))
    return path


# --- the JSONL readers: C4 (.json.gz), Books3 (.jsonl.zst), GitHub (BigQuery JSONL) ------------------


class Spec:
    """A JSONL reader and how its rows look; `meta_field` is a metadata string the reader emits."""

    def __init__(self, name: str, read: Callable, stem: str, text_field: str, row: Callable, meta: tuple) -> None:
        self.name, self.read, self.stem, self.text_field, self._row = name, read, stem, text_field, row
        self.meta_field = meta  # (path into the row, to put a bad string at)

    def row(self, i: int, text: str | None = None) -> dict:
        return self._row(i, f"good {i}" if text is None else text)

    def line(self, i: int, text: str | None = None) -> bytes:
        return json.dumps(self.row(i, text)).encode() + b"\n"

    def path(self, folder: Path, ext: str) -> Path:
        return folder / f"{self.stem}{ext}"


SPECS = {
    "c4": Spec(
        "c4",
        c4.read,
        "c4-train.00000-of-01024.json",
        "text",
        lambda i, t: {"text": t, "url": f"https://c4.example/{i}", "timestamp": "2019-04-25T12:57:54Z"},
        ("url",),
    ),
    "books3": Spec(
        "books3",
        books.read,
        "books3-part.jsonl",
        "text",
        lambda i, t: {"text": t, "meta": {"title": f"Book {i}"}},
        ("meta", "title"),
    ),
    "github": Spec(
        "github",
        github.read,
        "github-000.jsonl",
        "content",
        lambda i, t: {"repo_name": "org/repo", "path": f"src/f{i}.py", "content": t, "license": "mit"},
        ("path",),
    ),
}
SOURCE = {"c4": "c4", "books3": "books", "github": "github"}  # the pipeline's source names
SPEC_EXTS = [(s, e) for s in SPECS for e in (".gz", ".bz2", ".zst")]


def split_at_text(spec: Spec, i: int) -> tuple[bytes, bytes]:
    """Record i's line around its text: what goes before the text's first character and after its last."""
    line = json.dumps({**spec.row(i), spec.text_field: ""}).encode() + b"\n"
    at = line.index(b'""') + 1
    return line[:at], line[at:]


def texts(docs: list) -> list[str]:
    return [d.text for d in docs]


def good(*idx: int) -> list[str]:
    return [f"good {i}" for i in idx]


def truncation_file(spec: Spec, folder: Path, ext: str, point: str) -> tuple[Path, int]:
    """Six records, one frame/member/stream each, cut at `point`; returns the path and how many
    records lie wholly before the cut."""
    frames = [FRAMED[ext](spec.line(i)) for i in range(6)]
    data = b"".join(frames)
    starts = [sum(len(f) for f in frames[:i]) for i in range(6)]
    cut, whole = {
        "first_byte": (1, 0),
        "mid_frame_4": (starts[3] + len(frames[3]) // 2, 3),
        "mid_last_frame": (starts[5] + len(frames[5]) // 2, 5),
        # only the trailer (gzip CRC and size, bz2 end-of-stream CRC, zstd checksum) is cut: the data
        # before it is whole, handed out, and the cut still counted
        "last_byte": (len(data) - 1, 6),
    }[point]
    p = spec.path(folder, ext)
    p.write_bytes(data[:cut])
    return p, whole


@pytest.mark.parametrize("point", ["first_byte", "mid_frame_4", "mid_last_frame", "last_byte"])
@pytest.mark.parametrize("spec,ext", SPEC_EXTS)
def test_truncation_points(tmp_path, spec, ext, point):
    s = SPECS[spec]
    p, whole = truncation_file(s, tmp_path, ext, point)
    docs, skips = run(s.read, p)
    assert texts(docs) == good(*range(whole))
    assert skips == TRUNCATED


def single_stream_file(spec: Spec, folder: Path, ext: str) -> tuple[Path, list[str]]:
    """40 records of ~20 kB in one stream, cut at 60%; the records expected are the whole lines an
    independent decoder gets out of the cut stream."""
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    lines = [spec.line(i, f"good {i} " + " ".join(rng.choices(words, k=3000))) for i in range(40)]
    data = ONE_STREAM[ext](b"".join(lines))
    cut = data[: len(data) * 6 // 10]
    prefix = PREFIX[ext](cut)
    whole = [json.loads(line)[spec.text_field] for line in prefix.split(b"\n")[:-1]]
    p = spec.path(folder, ext)
    p.write_bytes(cut)
    return p, whole


@pytest.mark.parametrize("spec,ext", SPEC_EXTS)
def test_truncated_single_stream_keeps_whole_records_before_the_cut(tmp_path, spec, ext):
    s = SPECS[spec]
    p, whole = single_stream_file(s, tmp_path, ext)
    assert 0 < len(whole) < 40
    docs, skips = run(s.read, p)
    assert texts(docs) == whole
    assert skips == TRUNCATED


def bad_lengths_file(folder: Path, case: str) -> Path:
    """Four C4 records, one frame/member/stream each; the second damaged as `case` says."""
    spec = SPECS["c4"]
    ext = {"gz_isize": ".gz", "gz_extra_len": ".gz", "zst_content_size": ".zst", "zst_block_size": ".zst"}.get(
        case, ".bz2"
    )
    frames = [bytearray(FRAMED[ext](spec.line(i))) for i in range(4)]
    f = frames[1]
    if case == "gz_isize":  # trailer: the uncompressed length, wrong
        f[-4:] = struct.pack("<I", 999)
    elif case == "gz_extra_len":  # FEXTRA with XLEN far past the end of the file
        f[3] |= 0x04
        f[10:10] = struct.pack("<H", 60_000)
    elif case == "zst_content_size":  # frame header: content size 3 bytes short
        assert f[4] & 0xE0 == 0x20  # single segment, 1-byte content size
        f[5] -= 3
    elif case == "zst_block_size":  # first block header: size 50 bytes too long
        head = int.from_bytes(f[6:9], "little")
        f[6:9] = ((head & 7) | (((head >> 3) + 50) << 3)).to_bytes(3, "little")
    elif case == "bz2_bad_second_stream":  # the block magic of the second stream
        f[4] ^= 0xFF
    p = spec.path(folder, ext)
    p.write_bytes(b"".join(frames))
    return p


@pytest.mark.parametrize(
    "case,kept",
    [
        # gzip checks a member's length and CRC after handing out its data: that member's records stay
        ("gz_isize", [0, 1]),
        ("gz_extra_len", [0]),
        ("zst_content_size", [0]),
        ("zst_block_size", [0]),
        # BZ2File would take the bad stream for trailing garbage and stop without a count
        ("bz2_bad_second_stream", [0]),
    ],
)
def test_bad_lengths(tmp_path, case, kept):
    docs, skips = run(c4.read, bad_lengths_file(tmp_path, case))
    assert texts(docs) == good(*kept)
    assert skips == TRUNCATED


BAD_RECORDS_EXT = {"c4": ".gz", "books3": ".zst", "github": ".bz2"}


def bad_records_file(spec: Spec, folder: Path) -> Path:
    """Good records 0, 13 and 15 around every kind of bad record (line numbers = index + 1)."""

    def with_meta(value: str) -> bytes:
        row = spec.row(12)
        node = row
        for key in spec.meta_field[:-1]:
            node = node[key]
        node[spec.meta_field[-1]] = value
        return json.dumps(row).encode() + b"\n"

    missing = {k: v for k, v in spec.row(6).items() if k != spec.text_field}
    big_head, big_tail = split_at_text(spec, 9)
    parts = [
        spec.line(0),
        b'{"text": "bad \xff utf-8", "content": "bad \xff utf-8"}\n',  # 1 invalid_utf8
        b'{"text": "unterminated\n',  # 2 malformed_json
        b'["valid json", "not an object"]\n',  # 3 malformed_json
        b"[" * 100_000 + b"]" * 100_000 + b"\n",  # 4 malformed_json (json.loads: RecursionError)
        b'{"n": ' + b"9" * 5000 + b"}\n",  # 5 malformed_json (int over 4300 digits)
        json.dumps(missing).encode() + b"\n",  # 6 missing_field
        spec.line(7, "   \n\t "),  # 7 empty
        spec.line(8, "lone \ud800 surrogate"),  # 8 invalid_utf8 (a JSON escape, valid UTF-8 bytes)
        big_head,  # 9 oversized: a text over MAX_DOC_BYTES, inside the line cap
        b"x" * (base.MAX_DOC_BYTES + 1),
        big_tail,
        b'{"text": "',  # 10 oversized: a line over the line cap, scanned past without being held
        *itertools.repeat(b"y" * MiB, base.line_cap() // MiB + 1),
        b'"}\n',
        b"\n",  # 11 blank: ignored
        with_meta("bad \udfff meta"),  # 12 invalid_utf8 (the meta string)
        spec.line(13).replace(b"\n", b"\r\n"),  # 13 good, CRLF
        json.dumps({**spec.row(14), spec.text_field: 5}).encode() + b"\n",  # 14 missing_field (not a str)
        spec.line(15).rstrip(b"\n"),  # 15 good, no final newline
    ]
    return write_stream(spec.path(folder, BAD_RECORDS_EXT[spec.name]), parts)


BAD_RECORD_SKIPS = {"invalid_utf8": 3, "malformed_json": 4, "missing_field": 2, "empty": 1, "oversized": 2}


@pytest.mark.parametrize("spec", list(SPECS))
def test_bad_records_are_counted_and_neighbours_kept(tmp_path, spec):
    s = SPECS[spec]
    docs, skips = run(s.read, bad_records_file(s, tmp_path))
    assert texts(docs) == good(0, 13, 15)
    if spec == "c4":
        assert [d.id for d in docs] == [f"c4-train.00000-of-01024:{n}" for n in (1, 14, 16)]
    if spec == "books3":
        assert [d.id for d in docs] == [f"books3:books3-part:{n}" for n in (1, 14, 16)]
    assert skips == BAD_RECORD_SKIPS


@pytest.mark.parametrize("content", [b"", b"\n\n\n"])
@pytest.mark.parametrize("spec,ext", [(s, e) for s in SPECS for e in ("", ".gz", ".bz2", ".zst")])
def test_empty_files(tmp_path, spec, ext, content):
    s = SPECS[spec]
    p = s.path(tmp_path, ext)
    p.write_bytes(FRAMED[ext](content) if ext and content else content)
    assert run(s.read, p) == ([], {})


def giant_line_file(spec: Spec, folder: Path, ext: str, run_mib: int) -> Path:
    """Record 0, one record of `run_mib` MiB, record 2."""
    head, tail = split_at_text(spec, 1)
    return write_members(spec.path(folder, ext), spec.line(0) + head, run_mib, tail + spec.line(2))


@pytest.mark.parametrize(
    "spec,ext,run_mib",
    [("books3", ".zst", 1024), ("c4", ".gz", 256), ("github", ".bz2", 256)],
)
def test_giant_line_is_skipped_in_bounded_time_and_memory(tmp_path, spec, ext, run_mib):
    """The issue's case (Books3, one 1 GiB document among good books) under the default caps: the line
    is scanned past, not held, and the books on both sides are kept."""
    s = SPECS[spec]
    p = giant_line_file(s, tmp_path, ext, run_mib)
    assert p.stat().st_size < 2 * MiB
    ids, skips = run_bounded(SOURCE[spec], p)
    assert len(ids) == 2 and skips == {"oversized": 1}
    docs, _ = run(s.read, s.path(tmp_path, ext), max_line_bytes=4096, max_decompressed_bytes=2 * MiB)
    assert texts(docs) == good(0)  # and with caps lowered through the options: a bomb after record 0


@pytest.mark.parametrize("spec,ext", [("c4", ".gz"), ("books3", ".zst"), ("github", ".bz2")])
def test_decompression_bomb_is_cut_at_the_cap(tmp_path, spec, ext):
    s = SPECS[spec]
    p = giant_line_file(s, tmp_path, ext, 1024)
    ids, skips = run_bounded(SOURCE[spec], p, max_decompressed_bytes=64 * MiB)
    assert len(ids) == 1 and skips == {"decompression_bomb": 1}


# --- Gutenberg ---------------------------------------------------------------------------------------


BOOK = "Title: A Hostile Book\n\n[EBook #4242]\n\nIt was a dark and stormy night.\n" * 50


def test_gutenberg_truncated_empty_and_bad(tmp_path):
    data = gzip.compress(BOOK.encode(), mtime=0)
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    assert run(books.read, tmp_path / "cut.txt.gz") == ([], TRUNCATED)
    (tmp_path / "flip.txt.bz2").write_bytes(bz2.compress(BOOK.encode())[:20] + b"\0" * 40)
    assert run(books.read, tmp_path / "flip.txt.bz2") == ([], TRUNCATED)
    for name, content in [("empty.txt", b""), ("empty.txt.gz", gzip.compress(b"")), ("blank.txt.zst", b"")]:
        (tmp_path / name).write_bytes(content)
        assert run(books.read, tmp_path / name) == ([], {"empty": 1}), name
    (tmp_path / "cp1252.txt").write_bytes(b"It was \x93quoted\x94.")
    assert run(books.read, tmp_path / "cp1252.txt") == ([], {"invalid_utf8": 1})
    (tmp_path / "ok.txt.zst").write_bytes(FRAMED[".zst"](BOOK.encode()))
    docs, skips = run(books.read, tmp_path / "ok.txt.zst", max_decompressed_bytes=1000)
    assert docs == [] and skips == {"decompression_bomb": 1}
    docs, skips = run(books.read, tmp_path / "ok.txt.zst")
    assert [d.id for d in docs] == ["gutenberg:4242"] and skips == {}


def test_gutenberg_bomb_reads_one_document_cap(tmp_path):
    p = write_members(tmp_path / "bomb.txt.bz2", b"Title: Bomb\n", 1024, b"\n")
    ids, skips = run_bounded("books", p)
    assert ids == [] and skips == {"oversized": 1}


# --- ArXiv -------------------------------------------------------------------------------------------

MAIN_TEX = (
    b"\\documentclass{article}\n\\title{Hostile}\n\\begin{document}\n\\input{intro}\nMain text.\n\\end{document}\n"
)
INTRO_TEX = b"Intro text.\n"
END = b"\0" * 1024


def member(
    name: str,
    data: bytes = b"",
    kind: bytes = tarfile.REGTYPE,
    linkname: str = "",
    fmt: int = tarfile.GNU_FORMAT,
    size: int | None = None,
) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime = kind, linkname, 0
    info.size = len(data) if size is None else size
    head = info.tobuf(fmt, "utf-8", "surrogateescape")
    return head + data + b"\0" * (-len(data) % 512)


def with_checksum(block: bytearray) -> bytes:
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block[:512])
    return bytes(block)


MS, INTRO, FIG = member("ms.tex", MAIN_TEX), member("intro.tex", INTRO_TEX), member("fig.png", b"\x89PNG" * 40)


def test_arxiv_baseline(tmp_path):
    (tmp_path / "2101.00001.tar").write_bytes(MS + INTRO + FIG + END)
    docs, skips = run(arxiv.read, tmp_path / "2101.00001.tar")
    assert len(docs) == 1 and "Intro text." in docs[0].text and skips == {}


def arxiv_truncated_file(folder: Path, point: str) -> Path:
    tar = MS + INTRO + FIG + END
    if point == "tar_gz_mid":
        data = gzip.compress(tar, mtime=0)
        p = folder / "2101.00002.tar.gz"
        p.write_bytes(data[: len(data) // 2])
        return p
    if point == "gz_tex_mid":
        data = gzip.compress(MAIN_TEX * 20, mtime=0)
        p = folder / "2101.00002.gz"
        p.write_bytes(data[: len(data) // 2])
        return p
    cut = {
        "mid_header_2": len(MS) + 100,  # tarfile ends the listing quietly here
        "mid_data_2": len(MS) + 512 + 5,
        "no_end_blocks": len(MS + INTRO + FIG),  # tarfile ends the listing quietly here too
    }[point]
    p = folder / "2101.00002.tar"
    p.write_bytes(tar[:cut])
    return p


@pytest.mark.parametrize("point", ["mid_header_2", "mid_data_2", "no_end_blocks", "tar_gz_mid", "gz_tex_mid"])
def test_arxiv_truncation(tmp_path, point):
    assert run(arxiv.read, arxiv_truncated_file(tmp_path, point)) == ([], TRUNCATED)


def arxiv_bad_length_file(folder: Path, case: str) -> Path:
    if case == "negative_size":
        bad = member("data.bin", size=-1)
    elif case == "size_past_end":
        bad = member("data.bin", b"x" * 512, size=10 * MiB)
    elif case == "size_2**80":  # base-256: tarfile would step through it 10 KiB at a time, forever
        bad = member("data.bin", b"x" * 512, size=2**80)
    elif case == "pax_size_2**80":  # the same size from a pax record, applied after the header's
        bad = tarfile.TarInfo("data.bin")
        bad.size, bad.pax_headers = 512, {"size": str(2**80)}
        bad = bad.tobuf(tarfile.PAX_FORMAT) + b"x" * 512
    elif case == "bad_checksum":
        bad = bytearray(member("data.bin", b"x" * 512))
        bad[0:1] = b"D"
        bad = bytes(bad)
    elif case == "size_not_a_number":
        block = bytearray(member("data.bin", b"x" * 512))
        block[124:136] = b"zzzzzzzzzzz\0"
        bad = with_checksum(block)
    p = folder / f"2101.{case}.tar"
    p.write_bytes(MS + bad + INTRO + END)
    return p


@pytest.mark.parametrize(
    "case,skips",
    [
        ("negative_size", TRUNCATED),
        ("size_past_end", TRUNCATED),
        ("bad_checksum", TRUNCATED),
        ("size_not_a_number", TRUNCATED),
        ("size_2**80", {"oversized": 1}),
        ("pax_size_2**80", {"oversized": 1}),
    ],
)
def test_arxiv_bad_lengths(tmp_path, case, skips):
    start = time.perf_counter()
    assert run(arxiv.read, arxiv_bad_length_file(tmp_path, case)) == ([], skips)
    assert time.perf_counter() - start < 5


def arxiv_unsafe_file(folder: Path) -> Path:
    evil = b"\\documentclass{x}\\begin{document}EVIL\\end{document}"
    members = [
        member("../../etc/evil.tex", evil),
        member("/abs/evil.tex", evil),
        member("sub/../../evil.tex", evil),
        member("C:\\evil.tex", evil),
        member("../" + "x" * 200 + ".tex", evil),  # GNU long name
        member("../../" + "p" * 200 + ".tex", evil, fmt=tarfile.PAX_FORMAT),  # pax path
        member("link.tex", kind=tarfile.SYMTYPE, linkname="/etc/passwd"),
        member("up.tex", kind=tarfile.SYMTYPE, linkname="../../../etc/passwd"),
        member("hard.tex", kind=tarfile.LNKTYPE, linkname="../../etc/passwd"),
        member("dev.tex", kind=tarfile.CHRTYPE),
        member("fifo.tex", kind=tarfile.FIFOTYPE),
    ]
    p = folder / "2101.00005.tar.gz"
    p.write_bytes(gzip.compress(b"".join(members) + MS + INTRO + END, mtime=0))
    return p


def test_arxiv_unsafe_members(tmp_path):
    docs, skips = run(arxiv.read, arxiv_unsafe_file(tmp_path))
    assert len(docs) == 1 and "Intro text." in docs[0].text and "EVIL" not in docs[0].text
    assert skips == {"unsafe_tar_member": 6, "symlink": 3, "special_file": 2}
    assert not os.path.exists(tmp_path / "etc") and not os.path.exists("/abs")


def arxiv_pax_bomb_file(folder: Path, mib: int = 256) -> Path:
    """A pax extended header of `mib` MiB (one `comment` record), then the paper: tarfile reads a pax
    header whole, so without a cap this is `mib` MiB of memory."""
    total = mib * MiB
    prefix = b"%d comment=" % total
    head = member("././@PaxHeader", kind=tarfile.XHDTYPE, size=total)[:512] + prefix
    fill = total - len(prefix) - 1  # then "\n"
    whole, rest = divmod(fill, MiB)
    tail = b"a" * rest + b"\n" + b"\0" * (-total % 512) + MS + INTRO + END
    return write_members(folder / "2101.00006.tar.gz", head, whole, tail)


def test_arxiv_pax_header_bomb(tmp_path):
    p = arxiv_pax_bomb_file(tmp_path)
    assert p.stat().st_size < MiB
    assert run_bounded("arxiv", p) == ([], {"oversized": 1})


def arxiv_bomb_file(folder: Path) -> Path:
    """The paper, then 32 figures of 32 MiB of zeros: 1 GiB inflated from 1 MB of gzip members."""
    comp = FRAMED[".gz"]
    zeros = comp(b"\0" * MiB)
    p = folder / "2101.00007.tar.gz"
    with open(p, "wb") as f:
        f.write(comp(MS + INTRO))
        for i in range(32):
            f.write(comp(member(f"fig{i}.bin", size=32 * MiB)[:512]))
            for _ in range(32):
                f.write(zeros)
        f.write(comp(END))
    return p


def test_arxiv_decompression_bomb(tmp_path):
    p = arxiv_bomb_file(tmp_path)
    assert run_bounded("arxiv", p, max_decompressed_bytes=64 * MiB) == ([], {"decompression_bomb": 1})
    # a member that claims more than the cap is refused at its header
    assert run(arxiv.read, p, max_decompressed_bytes=16 * MiB) == ([], {"oversized": 1})


def test_arxiv_member_count_cap(tmp_path):
    many = b"".join(member(f"f{i}.png") for i in range(3000))
    p = tmp_path / "2101.00008.tar.gz"
    p.write_bytes(gzip.compress(many + MS + INTRO + END, mtime=0))
    assert run(arxiv.read, p, max_members=1000) == ([], {"too_many_members": 1})
    docs, skips = run(arxiv.read, p)
    assert len(docs) == 1 and skips == {}


def arxiv_include_bomb_file(folder: Path, kind: str) -> Path:
    """ms -> a x100 -> b x100 -> c x100 (-> 2 kB of text, or nothing): 2 * 10**9 bytes or 10**6 includes."""
    leaf = b"x" * 2000 if kind == "size" else b""
    members = [
        member("ms.tex", b"\\documentclass{article}\n\\begin{document}\n" + b"\\input{a}\n" * 100 + b"\\end{document}"),
        member("a.tex", b"\\input{b}\n" * 100),
        member("b.tex", b"\\input{c}\n" * 100),
        member("c.tex", leaf),
    ]
    p = folder / f"2101.include-{kind}.tar"
    p.write_bytes(b"".join(members) + END)
    return p


@pytest.mark.parametrize("kind,reason", [("size", "oversized"), ("count", "too_many_includes")])
def test_arxiv_include_bomb(tmp_path, kind, reason):
    start = time.perf_counter()
    assert run(arxiv.read, arxiv_include_bomb_file(tmp_path, kind)) == ([], {reason: 1})
    assert time.perf_counter() - start < 5


def arxiv_regex_file(folder: Path) -> Path:
    """Text that sends backtracking regexes quadratic: a run of spaces after \\input, an unclosed \\input{
    many times, many includes on one line, an unclosed \\title."""
    body = (
        b"\\input" + b" " * 50_000 + b"%\n"
        + b"\\input{" * 20_000 + b"\n"
        + b"\\input{nofile} " * 20_000 + b"\n"
        + b"\\title[" + b" " * 20_000 + b"\n"
    )  # fmt: skip
    tex = b"\\documentclass{article}\n\\title{" + b"{" * 10 + b"\n\\begin{document}\n" + body + b"\\end{document}\n"
    p = folder / "2101.00009.tex"
    p.write_bytes(tex)
    return p


def test_arxiv_regex_blowups_stay_linear(tmp_path):
    start = time.perf_counter()
    docs, skips = run(arxiv.read, arxiv_regex_file(tmp_path))
    assert len(docs) == 1 and skips == {} and "title" not in docs[0].meta
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("name,content", [("e.tar", b""), ("e.tar.gz", gzip.compress(b"")), ("e.tex", b"")])
def test_arxiv_empty(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    assert run(arxiv.read, tmp_path / name) == ([], {"empty": 1})


# --- GitHub source trees -----------------------------------------------------------------------------


def hostile_tree(folder: Path) -> Path:
    root = folder / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("a = 1\n")
    (root / "z.py").write_text("z = 1\n")
    os.symlink("../../../../../../etc/passwd", root / "src" / "rel.py")  # relative, out of the tree
    os.symlink("/etc/passwd", root / "abs.py")  # absolute
    os.symlink("..", root / "src" / "up")  # folder links: never followed
    os.symlink("/", root / "rootfs")
    os.symlink("l2.py", root / "l1.py")  # a loop
    os.symlink("l1.py", root / "l2.py")
    os.mkfifo(root / "pipe.py")
    (root / ".git").write_text("gitdir: ../.git/modules/repo\n")  # a git file, not source
    with open(os.path.join(os.fsencode(root), b"bad\xff.py"), "wb") as f:  # not a UTF-8 name
        f.write(b"bad = 1\n")
    return root


def test_tree_links_specials_and_names(tmp_path):
    docs, skips = run(github.read, hostile_tree(tmp_path))
    assert [d.meta["path"] for d in docs] == ["z.py", "src/a.py"]
    assert skips == {"symlink": 6, "special_file": 1, "invalid_path": 1}


DEPTH = 1200  # over the interpreter's recursion limit (os.walk and rmtree recurse once a level)


def deep_tree(folder: Path, depth: int = DEPTH) -> Path:
    """deep/d/d/.../d/f.py, made a level at a time (makedirs and Path.mkdir recurse too)."""
    root = str(folder / "deep")
    os.mkdir(root)
    for k in range(1, depth + 1):
        os.mkdir(root + "/d" * k)
    with open(root + "/d" * depth + "/f.py", "w") as f:
        f.write("x = 1\n")
    return Path(root)


def remove_deep(root: Path, depth: int = DEPTH) -> None:
    os.remove(str(root) + "/d" * depth + "/f.py")
    for k in range(depth, -1, -1):
        os.rmdir(str(root) + "/d" * k)


def test_tree_deeper_than_the_recursion_limit(tmp_path):
    root = deep_tree(tmp_path)
    try:
        docs, skips = run(github.read, root)
        assert [d.meta["path"].count("/") for d in docs] == [DEPTH] and skips == {}
    finally:
        remove_deep(root)


def test_tree_file_swapped_for_a_link_after_lstat(tmp_path, monkeypatch):
    root = tmp_path / "race"
    root.mkdir()
    (root / "ok.py").write_text("ok = 1\n")
    os.symlink("/etc/passwd", root / "swapped.py")
    real_lstat = os.lstat

    def lstat_before_the_swap(path, *args, **kwargs):  # noqa: ANN001, ANN202
        if str(path).endswith("swapped.py"):
            return real_lstat(root / "ok.py")  # what lstat saw before the file became a link
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", lstat_before_the_swap)
    docs, skips = run(github.read, root)
    assert [d.meta["path"] for d in docs] == ["ok.py"] and skips == {"symlink": 1}


# --- zstd frame walker ---------------------------------------------------------------------------------


def zstd_variants() -> Iterator[tuple[str, bytes]]:
    c4_line = SPECS["c4"].line
    data = b"".join(c4_line(i) for i in range(2000))  # ~200 kB: several blocks
    yield "plain", zstandard.ZstdCompressor().compress(data)
    yield "checksum", zstandard.ZstdCompressor(write_checksum=True).compress(data)
    yield "no_size", zstandard.ZstdCompressor(write_content_size=False).compress(data)
    trained = zstandard.train_dictionary(4096, [SPECS["c4"].line(i) * 4 for i in range(2000)])
    yield "dict_id", zstandard.ZstdCompressor(dict_data=trained).compress(data)
    skippable = struct.pack("<II", 0x184D2A5E, 5) + b"12345"
    yield "skippable", skippable + zstandard.ZstdCompressor().compress(data) + skippable
    runs = b"".join(c4_line(i, "a" * 300_000) if i == 1000 else c4_line(i) for i in range(2000))
    yield "rle", zstandard.ZstdCompressor().compress(runs)  # RLE blocks
    yield "raw", zstandard.ZstdCompressor().compress(random.Random(1).randbytes(300_000))  # raw blocks


@pytest.mark.parametrize("name,frame", [v for v in zstd_variants() if v[0] not in ("dict_id", "raw")])
def test_zstd_walker_tells_whole_from_cut(tmp_path, name, frame):
    """Through the reader (dict_id needs its dictionary to decode and raw is not JSON: layout only)."""
    p = tmp_path / "c4-w.json.zst"
    p.write_bytes(frame)
    whole, skips = run(c4.read, p)
    assert len(whole) == 2000 and skips == {}
    for cut in (len(frame) - 1, len(frame) // 2, 5):
        p.write_bytes(frame[:cut])
        docs, skips = run(c4.read, p)
        assert skips == TRUNCATED and texts(docs) == texts(whole)[: len(docs)], (name, cut)


@pytest.mark.parametrize("name,frame", list(zstd_variants()))
def test_zstd_walker_layout(name, frame):
    walker = base._ZstdFrameWalker()
    for i in range(0, len(frame), 7):  # headers split across reads
        walker.feed(frame[i : i + 7])
    assert walker.between_frames and not walker.lost
    walker = base._ZstdFrameWalker()
    walker.feed(frame[:-1])
    assert not walker.between_frames


def test_tree_folder_swapped_for_a_link_while_reading(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("secret = 1\n")
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "b.py").write_text("b = 1\n")
    (root / "a.py").write_text("a = 1\n")
    skip = SkipCounter()
    docs = github.read(str(root), skip)
    first = next(docs)  # the root's files come before its folders are opened
    (root / "sub" / "b.py").unlink()
    (root / "sub").rmdir()
    os.symlink(outside, root / "sub")
    assert [first.meta["path"], *(d.meta["path"] for d in docs)] == ["a.py"]
    assert skip.counts == {"symlink": 1}
