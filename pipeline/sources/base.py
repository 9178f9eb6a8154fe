"""What every reader shares: the skip callback, the size caps, and opening paths through Beam's
FileSystems (so gs://, s3://, hdfs:// work) with the right decompressor.

A reader is a function `read(path, skip, **options) -> Iterator[Document]`. It streams with constant
memory, and on bad input calls `skip(reason)` and carries on with the next good record: it never
raises for bad data (DESIGN.md section 9). It only raises for a path that does not exist.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

import zstandard

from pipeline.document import Document


class SkipFn(Protocol):
    def __call__(self, reason: str, n: int = 1) -> None: ...


Reader = Callable[..., Iterator[Document]]

# Caps against hostile input. A document above MAX_DOC_BYTES is skipped as `oversized`;
# a stream that inflates past MAX_DECOMPRESSED_BYTES is cut with `decompression_bomb`.
MAX_DOC_BYTES = 8 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024 * 1024
MAX_ARCHIVE_MEMBER_BYTES = 64 * 1024 * 1024


class SkipCounter:
    """A plain in-memory SkipFn, for tools and tests outside Beam."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, reason: str, n: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + n


class DecompressionBomb(Exception):
    pass


class CappedReader(io.RawIOBase):
    """Wraps a decompressing stream and raises DecompressionBomb past `cap` bytes."""

    def __init__(self, raw: BinaryIO, cap: int) -> None:
        self._raw = raw
        self._cap = cap
        self._n = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        # Never ask past the cap (at the cap, 1 byte to see whether more follows), so what lies below
        # the cap is handed out before the bomb is reported; and prefer read1(): a plain read() that
        # fails part-way loses the bytes it had already inflated, i.e. the good records before the damage.
        want = min(len(b), max(self._cap - self._n, 1))
        read1 = getattr(self._raw, "read1", None)
        data = read1(want) if read1 is not None else self._raw.read(want)
        self._n += len(data)
        if self._n > self._cap:
            raise DecompressionBomb(f"decompressed size over {self._cap} bytes")
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class ZstdFrames(io.RawIOBase):
    """Multi-frame zstd decompression that raises EOFError on a truncated last frame.

    zstandard's stream_reader returns a clean EOF when the input stops mid-frame, which would hide
    the damage; DESIGN.md section 9 wants a truncated stream counted."""

    def __init__(self, raw: BinaryIO, chunk: int = 1 << 20) -> None:
        self._raw = raw
        self._chunk = chunk
        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._in_frame = False
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        while not self._pending:
            data = self._raw.read(self._chunk)
            if not data:
                if self._in_frame:
                    raise EOFError("zstd stream ended inside a frame")
                return 0
            self._pending = self._feed(data)
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _feed(self, data: bytes) -> bytes:
        out = []
        while data:
            self._in_frame = True
            out.append(self._obj.decompress(data))
            if not self._obj.eof:
                break
            # frame finished: whatever follows starts the next frame
            data = self._obj.unused_data
            self._obj = self._dctx.decompressobj()
            self._in_frame = False
        return b"".join(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_raw(path: str) -> BinaryIO:
    """Open a path (local or any Beam filesystem) as raw bytes, without decompression."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def open_decompressed(path: str, cap: int | None = None) -> BinaryIO:
    """Open a path and decompress by extension (.gz, .bz2, .zst, .xz), capped against bombs.

    `cap` defaults to MAX_DECOMPRESSED_BYTES as it is at call time (so a test can lower it)."""
    cap = MAX_DECOMPRESSED_BYTES if cap is None else cap
    raw = open_raw(path)
    lower = path.lower()
    if lower.endswith(".gz"):
        stream: BinaryIO = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    elif lower.endswith(".bz2"):
        stream = bz2.BZ2File(raw)  # type: ignore[assignment]
    elif lower.endswith(".zst") or lower.endswith(".zstd"):
        stream = ZstdFrames(raw)  # type: ignore[assignment]
    elif lower.endswith(".xz"):
        stream = lzma.LZMAFile(raw)  # type: ignore[assignment]
    else:
        return raw
    return io.BufferedReader(CappedReader(stream, cap), buffer_size=1 << 20)  # type: ignore[return-value]


# Errors that mean "this compressed stream is damaged from here on".
STREAM_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    OSError,
    zstandard.ZstdError,
    lzma.LZMAError,
    DecompressionBomb,
)


def stream_error_reason(exc: BaseException) -> str:
    if isinstance(exc, DecompressionBomb):
        return "decompression_bomb"
    return "truncated_or_corrupt_stream"


def decode_utf8(data: bytes, skip: SkipFn) -> str | None:
    """Strict UTF-8 decode; invalid bytes skip the record as `invalid_utf8`."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        skip("invalid_utf8")
        return None


def too_big(nbytes: int, skip: SkipFn) -> bool:
    """Skip a document over MAX_DOC_BYTES (read at call time) as `oversized`."""
    if nbytes > MAX_DOC_BYTES:
        skip("oversized")
        return True
    return False


def is_blank(text: str, skip: SkipFn) -> bool:
    """Skip a document with no visible text as `empty`."""
    if not text or text.isspace():  # no copy, unlike strip()
        skip("empty")
        return True
    return False


def origin(path: str, member: str | None = None) -> str:
    """Meta.ORIGIN: the file's base name, plus the archive member or relative path where there is one."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return f"{base}/{member}" if member else base


def file_stem(path: str) -> str:
    """Base name without compression and format suffixes (`c4-train.00001-of-01024.json.gz` ->
    `c4-train.00001-of-01024`)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (
        ".gz",
        ".bz2",
        ".zst",
        ".zstd",
        ".xz",
        ".tgz",
        ".tar",
        ".jsonl",
        ".json",
        ".txt",
        ".tex",
        ".xml",
        ".wet",
        ".warc",
    ):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name


def iter_lines(path: str, skip: SkipFn) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line bytes) of a possibly compressed text file, with constant memory.

    A line longer than the document cap (JSON escaping may double a text) is skipped as `oversized`
    without being held whole; a damaged stream ends the file with its reason, after every good line
    before the damage has been yielded."""
    limit = 2 * MAX_DOC_BYTES + 4096
    try:
        with open_decompressed(path) as f:
            lineno = 0
            while True:
                line = f.readline(limit)
                if not line:
                    return
                lineno += 1
                if len(line) >= limit and not line.endswith(b"\n"):
                    while line and not line.endswith(b"\n"):  # drain the rest of the giant line
                        line = f.readline(limit)
                    skip("oversized")
                    continue
                yield lineno, line
    except STREAM_ERRORS as exc:
        skip(stream_error_reason(exc))


def iter_json_lines(path: str, skip: SkipFn) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each JSON-object line; bad lines skipped as `invalid_utf8` or
    `malformed_json`, blank lines ignored."""
    import json

    for lineno, raw in iter_lines(path, skip):
        if not raw.strip():
            continue
        line = decode_utf8(raw, skip)
        if line is None:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            skip("malformed_json")
            continue
        if not isinstance(obj, dict):
            skip("malformed_json")
            continue
        yield lineno, obj


def iter_json_texts(path: str, skip: SkipFn, field: str = "text") -> Iterator[tuple[int, dict, str]]:
    """(line number, object, text) for JSON lines whose `field` is a usable string; a missing or
    non-string field is `missing_field`, an oversized or blank one `oversized` / `empty`."""
    for lineno, obj in iter_json_lines(path, skip):
        text = obj.get(field)
        if not isinstance(text, str):
            skip("missing_field")
            continue
        if too_big(len(text), skip) or is_blank(text, skip):
            continue
        yield lineno, obj, text
