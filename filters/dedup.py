"""CCNet line dedup on numpy arrays: the Beam-free arithmetic of the file-granular two-pass dedup
(the Beam wiring is `pipeline/line_dedup.py`; the memory model is in docs/memory.md).

A line's key is the first 8 bytes of SHA-1 of its dedup-normalised form read as a little-endian
uint64, which is exactly cc_net's key (`np.ndarray(dtype=np.uint64, buffer=sha1[:8])`). One array
per input file holds the key of every line of every kept document, in order; nothing here keeps a
per-line Python object.

Two semantics (`--semantics`):

- ``paper``: a line goes when its key occurs two or more times in the dedup group, counting every
  occurrence (a line repeated inside one page goes too), every copy removed. Lines that normalise to
  nothing carry key 0 and always go.
- ``ccnet``: released cc_net's `FlatHashSet.add` + `DuplicatesRemover` + `finalize_doc`: a key is a
  duplicate when it occurs in two or more *documents*; the lines of a document that survive are
  then de-duplicated inside the document keeping the first copy. Every line is hashed, the empty one
  included (sha1 of b"").

In both, "empty" means empty after normalisation: a line made only of removed characters ("…") is
empty, but one that normalises to spaces ("… …" -> " ", since cc_net strips before normalising and
never after) is hashed and deduplicated like any other line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from filters.normalize import dedup_lines

SEMANTICS = ("paper", "ccnet")
_sha1 = hashlib.sha1
_EMPTY = b"\0" * 8


def line_keys(text: str, hash_empty: bool = False) -> np.ndarray:
    """One uint64 key per line of `text` (``text.split("\\n")``). A line whose normalised form is empty
    gets key 0 unless `hash_empty` (cc_net hashes it like any other line)."""
    if hash_empty:
        digests = [_sha1(n.encode("utf-8")).digest()[:8] for n in dedup_lines(text)]
    else:
        digests = [_sha1(n.encode("utf-8")).digest()[:8] if n else _EMPTY for n in dedup_lines(text)]
    return np.frombuffer(b"".join(digests), dtype="<u8")


def file_summary(keys: np.ndarray, nlines: Sequence[int], semantics: str) -> tuple[np.ndarray, np.ndarray]:
    """What one input file contributes to the group: its distinct keys (sorted) and, for each, whether
    the file alone already makes it a duplicate. `keys` are all its lines' keys, `nlines` the line
    count of each document in order."""
    if semantics == "paper":
        k = keys[keys != 0]
    else:  # ccnet counts documents, not occurrences: one key per document first
        k = np.concatenate([np.unique(d) for d in _split(keys, nlines)]) if len(nlines) else keys[:0]
    if not len(k):
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=bool)
    uniq, counts = np.unique(k, return_counts=True)
    return uniq, counts >= 2


def split_by_prefix(uniq: np.ndarray, bits: int) -> list[tuple[int, slice]]:
    """(prefix, slice of `uniq`) for every non-empty prefix shard; `uniq` is sorted, so each shard is one
    contiguous run, found with two binary searches instead of a pass over the keys."""
    if bits == 0:
        return [(0, slice(0, len(uniq)))] if len(uniq) else []
    shift = np.uint64(64 - bits)
    out = []
    prefixes = uniq >> shift
    start = 0
    while start < len(uniq):
        p = int(prefixes[start])
        end = int(np.searchsorted(prefixes, p, side="right"))
        out.append((p, slice(start, end)))
        start = end
    return out


def find_duplicates(parts: list[tuple[int, np.ndarray, np.ndarray]]) -> tuple[list[tuple[int, np.ndarray]], int, int]:
    """The duplicated keys of one prefix shard, handed back per file. `parts` are (file, its distinct
    keys, their locally-duplicated flags); returns ([(file, its keys that are duplicates in the group)],
    distinct keys in the shard, duplicated keys in the shard)."""
    if not parts:
        return [], 0, 0
    keys = np.concatenate([p[1] for p in parts])
    flags = np.concatenate([p[2] for p in parts])
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    dup = counts >= 2  # in two files or more
    if flags.any():
        dup |= np.bincount(inverse, weights=flags, minlength=len(uniq)) > 0
    out, start = [], 0
    for file_index, k, _ in parts:
        mine = dup[inverse[start : start + len(k)]]
        start += len(k)
        if mine.any():
            out.append((file_index, k[mine]))
    return out, len(uniq), int(dup.sum())


def keep_masks(keys: np.ndarray, nlines: Sequence[int], duplicates: np.ndarray, semantics: str) -> np.ndarray:
    """Which lines stay: a boolean per line of the file. `duplicates` is sorted and unique."""
    if len(duplicates):
        pos = np.searchsorted(duplicates, keys)
        pos[pos == len(duplicates)] = 0
        marked = duplicates[pos] == keys
    else:
        marked = np.zeros(len(keys), dtype=bool)
    if semantics == "paper":
        return ~marked & (keys != 0)
    keep = ~marked
    # cc_net's finalize_doc: inside a document, a line whose key was already seen goes (first copy stays)
    start = 0
    for n in nlines:
        d = keys[start : start + n]
        if n > 1:
            _, first = np.unique(d, return_index=True)
            if len(first) < n:
                repeat = np.ones(n, dtype=bool)
                repeat[first] = False
                keep[start : start + n] &= ~repeat
        start += n
    return keep


def _split(keys: np.ndarray, nlines: Sequence[int]) -> list[np.ndarray]:
    return np.split(keys, np.cumsum(nlines)[:-1]) if len(nlines) else []
