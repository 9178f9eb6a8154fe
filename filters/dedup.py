"""CCNet line dedup on numpy arrays: the Beam-free arithmetic of the file-granular two-pass dedup
(the Beam wiring is `pipeline/beam/line_dedup.py`; the memory model is in docs/memory.md).

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
    keys sorted, their locally-duplicated flags); returns ([(file, its keys that are duplicates in the
    group)], distinct keys in the shard, duplicated keys in the shard).

    Memory: one sorted copy of the shard's keys (8 bytes a key) and a boolean a key; no argsort, no
    inverse index (what np.unique(return_inverse=True) would add: 16 more bytes a key)."""
    if not parts:
        return [], 0, 0
    keys = np.sort(np.concatenate([p[1] for p in parts]))
    repeated = keys[1:] == keys[:-1]  # in two files or more
    distinct = len(keys) - int(repeated.sum())
    dups = np.unique(np.concatenate([keys[1:][repeated]] + [k[f] for _, k, f in parts]))  # + in-file repeats
    del keys, repeated
    out = []
    for file_index, k, _ in parts:
        mine = k[sorted_member(k, dups)]
        if len(mine):
            out.append((file_index, mine))
    return out, distinct, len(dups)


def sorted_member(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """A boolean per key: is it in `sorted_set` (sorted, unique)? Binary search, no temporary copies."""
    if not len(sorted_set):
        return np.zeros(len(keys), dtype=bool)
    pos = np.searchsorted(sorted_set, keys)
    pos[pos == len(sorted_set)] = 0
    return sorted_set[pos] == keys


def keep_masks(keys: np.ndarray, nlines: Sequence[int], duplicates: np.ndarray, semantics: str) -> np.ndarray:
    """Which lines stay: a boolean per line of the file. `duplicates` is sorted and unique."""
    marked = sorted_member(keys, duplicates)
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
