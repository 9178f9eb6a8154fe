"""Deterministic writers and synthetic-but-stable fields (ids, dates) for the sample builder.

Determinism: gzip members carry mtime=0 and no file name, inputs are sorted, and every "random"
choice comes from stable_hash64 of fixed strings (never Python's salted hash() or the clock).
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import json
import uuid
from collections.abc import Iterable

from pipeline.document import stable_hash64


def gzip_bytes(data: bytes) -> bytes:
    """One gzip member with a fixed header (mtime 0, no file name)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write(data)
    return buf.getvalue()


def jsonl_bytes(rows: Iterable[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n" for r in rows)


def bz2_bytes(data: bytes) -> bytes:
    return bz2.compress(data, 9)


def zstd_bytes(data: bytes) -> bytes:
    import zstandard

    # write_content_size and no threads keep the frame byte-identical across runs.
    return zstandard.ZstdCompressor(level=10, write_content_size=True).compress(data)


def stable_uuid(*parts: str) -> str:
    h = stable_hash64(*parts).to_bytes(8, "little") + stable_hash64("uuid", *parts).to_bytes(8, "little")
    return str(uuid.UUID(bytes=h, version=4))


def stable_time(start: str, days: float, *parts: str) -> dt.datetime:
    """A timestamp in [start, start + days) chosen by a stable hash of parts."""
    base = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
    return base + dt.timedelta(seconds=stable_hash64("time", *parts) % int(days * 86400))


def iso_z(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
