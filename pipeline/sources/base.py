"""What every reader shares: the skip callback, the size caps, and opening paths through Beam's
FileSystems (so gs://, s3://, hdfs:// work) with the right decompressor.

A reader is a function `read(path, skip, **options) -> Iterator[Document]`. It streams with constant
memory, and on bad input calls `skip(reason)` and carries on with the next good record: it never
raises for bad data (docs/damaged_inputs.md). It only raises for a path that does not exist.
"""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import lzma
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, Protocol

import zstandard

from pipeline.document import Document

log = logging.getLogger(__name__)


class SkipFn(Protocol):
    def __call__(self, reason: str, n: int = 1) -> None: ...


Reader = Callable[..., Iterator[Document]]

# Caps against hostile input, read at call time (so a test can lower them) and overridable per call
# through the readers' options. A document above MAX_DOC_BYTES is skipped as `oversized`; so is a line
# (one JSONL record) above MAX_LINE_BYTES, skipped by scanning to the next newline without holding it;
# a stream that inflates past MAX_DECOMPRESSED_BYTES is cut with `decompression_bomb`.
MAX_DOC_BYTES = 8 * 1024 * 1024
MAX_LINE_BYTES: int | None = None  # None: 2 * MAX_DOC_BYTES + 4096 (JSON escaping may double a text)
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024 * 1024
MAX_ARCHIVE_MEMBER_BYTES = 64 * 1024 * 1024
# The largest zstd window a frame may ask for (zstd's own default limit, 2**27): the decoder's memory.
ZSTD_MAX_WINDOW_BYTES = 1 << 27


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
        # gzip, bz2 and xz decompress at most `want` bytes per read1() (the stdlib passes max_length to
        # the decompressor); ZstdFrames at most len(b) per readinto(). So no call inflates unboundedly.
        want = min(len(b), max(self._cap - self._n, 1))
        if isinstance(self._raw, io.RawIOBase):
            n = self._raw.readinto(memoryview(b)[:want]) or 0
        else:
            read1 = getattr(self._raw, "read1", None)
            data = read1(want) if read1 is not None else self._raw.read(want)
            n = len(data)
            b[:n] = data
        self._n += n
        if self._n > self._cap:
            raise DecompressionBomb(f"decompressed size over {self._cap} bytes")
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class _ZstdFrameWalker:
    """Follows the frame and block headers of a zstd stream (RFC 8878) as its compressed bytes go by, to
    tell whether the stream stops between frames. Costs one step per block (<= 128 KiB of output)."""

    _MAGIC, _FRAME_HEADER, _BLOCK, _SKIPPABLE_SIZE = range(4)

    def __init__(self) -> None:
        self._state = self._MAGIC
        self._want = 4  # header bytes to collect for the state
        self._head = bytearray()
        self._skip = 0  # payload bytes to pass over
        self._checksum = False
        self.lost = False  # not a zstd frame: the decoder, not the walker, will judge the bytes

    @property
    def between_frames(self) -> bool:
        return self.lost or (self._state == self._MAGIC and not self._head and not self._skip)

    def feed(self, data: bytes) -> None:
        pos, end = 0, len(data)
        while pos < end and not self.lost:
            if self._skip:
                k = min(self._skip, end - pos)
                pos += k
                self._skip -= k
                continue
            k = min(self._want - len(self._head), end - pos)
            self._head += data[pos : pos + k]
            pos += k
            if len(self._head) == self._want:
                head = int.from_bytes(self._head, "little")
                self._head.clear()
                self._step(head)

    def _step(self, head: int) -> None:
        if self._state == self._MAGIC:
            if head == 0xFD2FB528:
                self._state, self._want = self._FRAME_HEADER, 1
            elif head & 0xFFFFFFF0 == 0x184D2A50:
                self._state, self._want = self._SKIPPABLE_SIZE, 4
            else:
                self.lost = True
        elif self._state == self._FRAME_HEADER:
            single_segment = (head >> 5) & 1
            self._checksum = bool((head >> 2) & 1)
            fcs = (1 if single_segment else 0, 2, 4, 8)[head >> 6]
            self._skip = (0 if single_segment else 1) + (0, 1, 2, 4)[head & 3] + fcs
            self._state, self._want = self._BLOCK, 3
        elif self._state == self._BLOCK:
            last, kind, size = head & 1, (head >> 1) & 3, head >> 3
            self._skip = 1 if kind == 1 else size  # an RLE block holds one byte
            if last:
                self._skip += 4 if self._checksum else 0
                self._state, self._want = self._MAGIC, 4
        else:  # skippable frame: 4-byte size, then that many bytes
            self._skip = head
            self._state, self._want = self._MAGIC, 4


class _Tee:
    """The compressed source, shown to a _ZstdFrameWalker as the decoder reads it."""

    def __init__(self, raw: BinaryIO, walker: _ZstdFrameWalker) -> None:
        self._raw = raw
        self._walker = walker

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._walker.feed(data)
        return data


class ZstdFrames(io.RawIOBase):
    """Multi-frame zstd decompression that raises EOFError on a truncated last frame.

    Bounded: each readinto(b) inflates at most len(b) bytes (zstandard's stream reader decompresses
    into b), so a highly compressed frame (1 GiB of one byte is 32 KiB of zstd) never becomes one huge
    buffer. zstandard's stream reader returns a clean EOF when the input stops mid-frame, which would
    hide the damage (a truncated stream must be counted, docs/damaged_inputs.md), so a _ZstdFrameWalker
    follows the frame headers of the compressed bytes and tells whether the stream ended between frames."""

    def __init__(self, raw: BinaryIO, chunk: int = 1 << 17, max_window: int | None = None) -> None:
        self._raw = raw
        self._walker = _ZstdFrameWalker()
        dctx = zstandard.ZstdDecompressor(max_window_size=max_window or ZSTD_MAX_WINDOW_BYTES)
        self._reader = dctx.stream_reader(_Tee(raw, self._walker), read_size=chunk, read_across_frames=True)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        # readinto1: one source read per call at most, so what inflated before damage is handed out
        # by the call before the one that raises.
        n = self._reader.readinto1(b)
        if n == 0 and len(b) and not self._walker.between_frames:
            raise EOFError("zstd stream ended inside a frame")
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class ConcatenatedStreams(io.RawIOBase):
    """Concatenated bz2 or xz streams (pbzip2 writes one a block), at most len(b) bytes inflated a call.

    BZ2File and LZMAFile take a damaged stream after the first for trailing garbage and stop without a
    word, dropping the rest of the file uncounted; this raises instead (OSError / LZMAError for bad
    data, EOFError for a stream cut short), so the damage is counted."""

    def __init__(self, raw: BinaryIO, factory: Callable[[], Any], chunk: int = 1 << 17) -> None:
        self._raw = raw
        self._factory = factory
        self._chunk = chunk
        self._dec = factory()
        self._fed = False  # whether the current decompressor has had input

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        size = len(b)
        if not size:
            return 0
        while True:
            if self._dec.eof:
                data = self._dec.unused_data or self._raw.read(self._chunk)
                if not data:
                    return 0  # ended between streams
                self._dec = self._factory()
            elif self._dec.needs_input:
                data = self._raw.read(self._chunk)
                if not data:
                    if self._fed:
                        raise EOFError("compressed stream ended inside a stream")
                    return 0  # an empty file
            else:
                data = b""  # output held back by the last call's size limit
            self._fed = True
            out = self._dec.decompress(data, size)
            if out:
                b[: len(out)] = out
                return len(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


_LAST_READ = threading.local()


class _Positioned:
    """A raw input file that remembers, when closed, how many of its bytes had been read: the byte
    offset at which an unexpected failure is reported (`last_read_offset`). Everything else is the
    file's own (attribute access is forwarded)."""

    __slots__ = ("_f",)

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        _LAST_READ.offset = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._f)

    def __enter__(self) -> _Positioned:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._f.closed:
            try:
                _LAST_READ.offset = self._f.tell()
            except (OSError, ValueError):
                pass
        self._f.close()


def last_read_offset() -> int | None:
    """Bytes read of the raw file this thread opened last with `open_raw`, as of its closing (0 while it
    is open); None when none was opened."""
    return getattr(_LAST_READ, "offset", None)


def read_guarded(
    read: Callable[..., Iterator[Document]],
    path: str,
    skip: SkipFn,
    errors: list[dict],
    strict: bool = False,
    **options: Any,
) -> Iterator[Document]:
    """A reader's documents, with a net under it: readers turn damaged records into counted skips, and an
    exception they did not expect ends this file only, counted as `unreadable_file` with its class,
    message, the records read before it and the byte offset reached (in `errors`). `strict`: re-raise."""
    n = 0
    try:
        for doc in read(path, skip, **options):
            n += 1
            yield doc
    except Exception as exc:
        if strict:
            raise
        skip("unreadable_file")
        offset = last_read_offset()
        errors.append(
            {"error": type(exc).__name__, "message": str(exc)[:500], "after_records": n, "byte_offset": offset}
        )
        log.warning(
            "%s: unreadable after %d records, %s bytes in (%s: %s); the other files go on",
            path,
            n,
            offset,
            type(exc).__name__,
            exc,
        )


def open_raw(path: str) -> BinaryIO:
    """Open a path (local or any Beam filesystem) as raw bytes, without decompression."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    f = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    return _Positioned(f)  # type: ignore[return-value]


def open_decompressed(path: str, cap: int | None = None) -> BinaryIO:
    """Open a path and decompress by extension (.gz, .bz2, .zst, .xz), capped against bombs.

    `cap` defaults to MAX_DECOMPRESSED_BYTES as it is at call time (so a test can lower it). Each read
    of the result inflates at most one buffer (1 MiB), however compressible the input."""
    cap = MAX_DECOMPRESSED_BYTES if cap is None else cap
    raw = open_raw(path)
    lower = path.lower()
    if lower.endswith(".gz"):
        stream: BinaryIO = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    elif lower.endswith(".bz2"):
        stream = ConcatenatedStreams(raw, bz2.BZ2Decompressor)  # type: ignore[assignment]
    elif lower.endswith(".zst") or lower.endswith(".zstd"):
        stream = ZstdFrames(raw)  # type: ignore[assignment]
    elif lower.endswith(".xz"):
        stream = ConcatenatedStreams(raw, lzma.LZMADecompressor)  # type: ignore[assignment]
    else:
        return raw
    return io.BufferedReader(CappedReader(stream, cap), buffer_size=1 << 20)  # type: ignore[return-value]


# Errors that mean "this compressed stream is damaged from here on". zlib.error: GzipFile lets bad
# deflate data through as it is (not as BadGzipFile).
STREAM_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    OSError,
    zlib.error,
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


def lone_surrogate(*texts: str) -> bool:
    """Whether a string holds a lone UTF-16 surrogate, which strict UTF-8 decoding never yields but a JSON
    escape can (`"\\ud800"`), and which no UTF-8 writer (Parquet) accepts. Free for ASCII text; else
    one UTF-16 encode (the encoder refuses lone surrogates, and it is about twice as fast as UTF-8's)."""
    for text in texts:
        if not text.isascii():
            try:
                text.encode("utf-16-le")
            except UnicodeEncodeError:
                return True
    return False


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


def line_cap(max_line_bytes: int | None = None) -> int:
    """The per-line (per-record) cap: the option, else MAX_LINE_BYTES, else 2 * MAX_DOC_BYTES + 4096."""
    cap = max_line_bytes if max_line_bytes is not None else MAX_LINE_BYTES
    cap = 2 * MAX_DOC_BYTES + 4096 if cap is None else cap
    if cap < 1:  # readline(0) reads nothing and readline(-1) everything: neither is a cap
        raise ValueError(f"max_line_bytes must be positive, not {cap}")
    return cap


def skip_rest_of_line(f: BinaryIO) -> None:
    """Consume up to and including the next newline (or to EOF) holding at most one buffer of it:
    constant memory and linear time however long the line is."""
    peek = getattr(f, "peek", None)
    if peek is None:
        while True:
            part = f.readline(1 << 20)
            if not part or part.endswith(b"\n"):
                return
    while True:
        buf = peek(1)  # what is buffered, refilled from the stream when empty
        if not buf:
            return
        i = buf.find(b"\n")
        f.read(len(buf) if i < 0 else i + 1)
        if i >= 0:
            return


def iter_lines(
    path: str,
    skip: SkipFn,
    max_line_bytes: int | None = None,
    max_decompressed_bytes: int | None = None,
) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line bytes) of a possibly compressed text file, with constant memory.

    A line longer than the line cap (`max_line_bytes`, see line_cap) is skipped as `oversized` without
    being held whole: its first cap bytes are read, the rest is scanned for the newline a buffer at a
    time; the lines after it keep their numbers. A damaged stream ends the file with its reason, after
    every good line before the damage has been yielded."""
    limit = line_cap(max_line_bytes)
    try:
        with open_decompressed(path, max_decompressed_bytes) as f:
            lineno = 0
            readline = f.readline
            while True:
                line = readline(limit)
                if not line:
                    return
                lineno += 1
                if len(line) >= limit and not line.endswith(b"\n"):
                    del line
                    skip_rest_of_line(f)
                    skip("oversized")
                    continue
                yield lineno, line
    except STREAM_ERRORS as exc:
        skip(stream_error_reason(exc))


def iter_json_lines(path: str, skip: SkipFn, **caps: int | None) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each JSON-object line; bad lines skipped as `invalid_utf8` or
    `malformed_json`, blank lines ignored. `caps`: iter_lines' max_line_bytes, max_decompressed_bytes."""
    import json

    for lineno, raw in iter_lines(path, skip, **caps):
        if not raw.strip():
            continue
        line = decode_utf8(raw, skip)
        if line is None:
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: arrays or objects nested thousands deep
            skip("malformed_json")
            continue
        if not isinstance(obj, dict):
            skip("malformed_json")
            continue
        yield lineno, obj


def iter_json_texts(
    path: str, skip: SkipFn, field: str = "text", **caps: int | None
) -> Iterator[tuple[int, dict, str]]:
    """(line number, object, text) for JSON lines whose `field` is a usable string; a missing or
    non-string field is `missing_field`, one with a lone surrogate `invalid_utf8`, an oversized or blank
    one `oversized` / `empty`."""
    for lineno, obj in iter_json_lines(path, skip, **caps):
        text = obj.get(field)
        if not isinstance(text, str):
            skip("missing_field")
            continue
        if too_big(len(text), skip) or is_blank(text, skip):
            continue
        if lone_surrogate(text):
            skip("invalid_utf8")
            continue
        yield lineno, obj, text
