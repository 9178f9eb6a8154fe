"""CCNet line deduplication, the Beam-free parts (the shuffle is in pipeline/dedup.py).

Key of a line: the first 8 bytes of SHA-1 of its dedup-normalised form (cc_net dedup.py reads them as a
little-endian uint64; we keep the 8 raw bytes, a fixed-width shuffle key). A line is removed when its
key occurs more than once in the dedup group, every copy of it, the first included: CCNet paper
semantics ("deduplicate_two_pass ... even removing the first occurrence"). Lines whose normalised form
is empty carry nothing to deduplicate and are dropped without being hashed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator

from filters.normalize import dedup_lines

_sha1 = hashlib.sha1


def line_hashes(text: str) -> list[bytes | None]:
    """One 8-byte key per line of `text` (None for lines that normalise to nothing)."""
    return [_sha1(n.encode("utf-8")).digest()[:8] if n else None for n in dedup_lines(text)]


def doc_line_keys(text: str) -> Iterator[bytes]:
    """The keys of a document's hashed lines, one per line occurrence (a repeat inside one document
    counts twice, as CCNet's hash set sees it)."""
    for h in line_hashes(text):
        if h is not None:
            yield h


def remove_lines(text: str, duplicated: Collection[bytes]) -> tuple[str, int]:
    """Drop the lines whose key is in `duplicated` and the empty ones; returns (new text, chars removed)."""
    lines = text.split("\n")
    if not duplicated:  # nothing marked: only lines that normalise to nothing go; no need to hash
        kept = [line for line, n in zip(lines, dedup_lines(text)) if n]
    else:
        kept = [line for line, h in zip(lines, line_hashes(text)) if h is not None and h not in duplicated]
    new = "\n".join(kept)
    return new, len(text) - len(new)


def as_uint64(key: bytes) -> int:
    """The CCNet integer form of a key (little-endian, as np.frombuffer(..., np.uint64))."""
    return int.from_bytes(key, "little")
