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
        data = self._raw.read(len(b))
        self._n += len(data)
        if self._n > self._cap:
            raise DecompressionBomb(f"decompressed size over {self._cap} bytes")
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_raw(path: str) -> BinaryIO:
    """Open a path (local or any Beam filesystem) as raw bytes, without decompression."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def open_decompressed(path: str, cap: int = MAX_DECOMPRESSED_BYTES) -> BinaryIO:
    """Open a path and decompress by extension (.gz, .bz2, .zst, .xz), capped against bombs."""
    raw = open_raw(path)
    lower = path.lower()
    if lower.endswith(".gz"):
        stream: BinaryIO = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    elif lower.endswith(".bz2"):
        stream = bz2.BZ2File(raw)  # type: ignore[assignment]
    elif lower.endswith(".zst") or lower.endswith(".zstd"):
        stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)  # type: ignore[assignment]
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
