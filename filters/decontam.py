"""Decontamination against evaluation sets (the GPT-3 paper's method), plain Python, no Beam.

A training document is contaminated when it shares an n-gram of `n` (default 13) normalised words with
an evaluation item; an item shorter than `n` words is matched as a whole. Words come from the dedup
normalisation of `filters/normalize.py` (lower-case, every digit to "0", CCNet's Unicode punctuation and
the non-printing characters removed), extended so that "Paris, France." and "paris france" agree: every
Unicode punctuation character (category P*, ASCII included) is removed as well, and whitespace (newlines
included) only separates words, so a match that runs across a line break is found.

The index (`EvalIndex`) holds one sorted `uint64` per (n-gram, item) pair: the n-gram's 64-bit hash with
its low `item_bits` bits replaced by the item's number, so 8 bytes name both the n-gram and its item.
A document's n-grams are hashed with the same function and looked up with `np.searchsorted`; every
candidate is then confirmed against the item's normalised text, word for word, so a hash collision can
never remove a document and never hide one (equal n-grams always hash equal). The normalised item texts
are kept in one bytes blob (read only on candidate hits) beside the index; `spill()` maps it from a file.

Hashing: each word gets a stable 64-bit hash (BLAKE2b, cached per process); an L-gram starting at word j
is sum_i h[j+i] * R**i mod 2**64, computed for every j at once from one prefix sum of h[k] * R**k and the
powers of R's inverse (R is odd, so it has one mod 2**64), plus L times a constant so that lengths
stay apart. A constant-size bitset of the keys' top bits (16 MiB) sends only the few document n-grams
whose bit is set on to the binary search. Items shorter than n are looked up only around a document
word that is the rarest word of one (its anchor), so short items of any lengths cost about one extra
lookup per document.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from filters.base import Drop, SimpleStep, StepResult
from filters.normalize import NON_PRINTING, UNICODE_PUNCT
from pipeline.document import Document

DEFAULT_N = 13
MODES = ("drop-document", "remove-lines")
DROP_REASON = "contaminated"

_DIGIT = re.compile(r"\d")
_R = np.uint64(0x9E3779B97F4A7C15)  # odd: invertible mod 2**64
_R_INV = np.uint64(pow(int(_R), -1, 1 << 64))
_LEN = 0xD6E8FEB86659FD93  # times L, added to an L-gram's hash: lengths never share a hash by design
_MOD = 1 << 64
# The prefilter: one bit per value of a hash's top FILTER_BITS bits, set for every evaluation n-gram. A
# constant 16 MiB whatever the sets' size (rebuilt from the keys after unpickling, never shipped); a
# document's n-gram goes on to the binary search only when its bit is set (for 1M evaluation n-grams
# 0.8% of clean n-grams do, for 10M 7%).
FILTER_BITS = 27
_FILTER_SHIFT = np.uint64(64 - FILTER_BITS)
_3, _7, _ONE, _LOW16 = np.uint64(3), np.uint64(7), np.uint8(1), np.uint64(0xFFFF)


def _char_class(codes: list[int]) -> str:
    """A regex character class of the code points, as ranges (compact, and compiled to a bitmap)."""
    ranges: list[list[int]] = []
    for c in sorted(codes):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@lru_cache(maxsize=1)
def _removed() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Everything the normalisation deletes: all Unicode punctuation, CCNet's punctuation list, and the
    non-printing characters that are not whitespace (whitespace separates words instead). Split by
    plane, as in filters/normalize.py: a class of Basic Multilingual Plane ranges is a bitmap that `re`
    tests in constant time (a class that also holds astral ranges is many times slower)."""
    chars = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)).startswith("P")}
    chars |= {ord(c) for c in UNICODE_PUNCT if not c.isdigit()}  # "１" is a digit: it becomes "0" first
    chars |= {c for c in NON_PRINTING if not chr(c).isspace()}
    bmp = re.compile(f"[{_char_class([c for c in chars if c < 0x10000])}]+")
    astral = re.compile(f"[{_char_class([c for c in chars if c >= 0x10000])}]+")
    return bmp, astral


def normalize(text: str) -> str:
    """Lower-case, digits to "0", punctuation and non-printing characters removed; whitespace and "\\n"
    kept, so line k of the result is line k of `text`."""
    bmp, astral = _removed()
    text = bmp.sub("", _DIGIT.sub("0", text.lower()))
    if not text.isascii() and _ASTRAL.search(text):
        text = astral.sub("", text)
    return text


def words_of(text: str) -> list[str]:
    return normalize(text).split()


class WordHasher:
    """Stable 64-bit word hashes (the same in every process) and the n-gram hashes built from them."""

    def __init__(self, cache_size: int = 1 << 20) -> None:
        self.cache: dict[str, int] = {}
        self.cache_size = cache_size
        self._pow = np.ones(1, dtype=np.uint64)
        self._inv = np.ones(1, dtype=np.uint64)

    def words(self, words: list[str]) -> np.ndarray:
        cache = self.cache
        vals = list(map(cache.get, words))
        if None in vals:
            if len(cache) > self.cache_size:  # bounded: a Zipfian vocabulary refills the hot words at once
                cache.clear()
            for i, v in enumerate(vals):
                if v is None:
                    w = words[i]
                    v = cache.get(w)
                    if v is None:
                        v = cache[w] = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
                    vals[i] = v
        return np.array(vals, dtype=np.uint64)

    def _powers(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self._pow) < m:
            size = max(m, 2 * len(self._pow))
            # R**k and R**-k mod 2**64 for k < size, by repeated doubling of the table
            pw, inv = np.ones(size, dtype=np.uint64), np.ones(size, dtype=np.uint64)
            step, istep, k = int(_R), int(_R_INV), 1
            while k < size:
                pw[k : 2 * k] = pw[: min(k, size - k)] * np.uint64(step)
                inv[k : 2 * k] = inv[: min(k, size - k)] * np.uint64(istep)
                step, istep, k = step * step % _MOD, istep * istep % _MOD, 2 * k
            self._pow, self._inv = pw, inv
        return self._pow, self._inv

    def prefix(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(prefix sums of h[k] * R**k, R**-k) for the word hashes `h`: what `window` needs."""
        m = len(h)
        pw, inv = self._powers(m)
        prefix = np.zeros(m + 1, dtype=np.uint64)
        np.cumsum(h * pw[:m], out=prefix[1:])
        return prefix, inv

    def ngrams(self, h: np.ndarray, lengths: Iterable[int]) -> dict[int, np.ndarray]:
        """{L: hashes of every L-gram of the word hashes `h`, by start position} for each L <= len(h)."""
        prefix, inv = self.prefix(h)
        return {L: window(prefix, inv, L) for L in lengths if L <= len(h)}


def window(prefix: np.ndarray, inv: np.ndarray, length: int, starts: np.ndarray | None = None) -> np.ndarray:
    """Hashes of the `length`-grams starting at `starts` (default: at every word)."""
    if starts is None:
        m = len(prefix) - 1
        return (prefix[length:] - prefix[:-length]) * inv[: m - length + 1] + np.uint64(length * _LEN % _MOD)
    return (prefix[starts + length] - prefix[starts]) * inv[starts] + np.uint64(length * _LEN % _MOD)


@dataclass(frozen=True)
class Match:
    set_name: str
    item_id: str
    ngram: str
    start: int  # first and last+1 word of the match in the document's normalised words
    end: int


@dataclass
class ScanResult:
    result: StepResult
    matches: list[Match] = field(default_factory=list)
    chars_removed: int = 0
    # characters of the lines that hold each set's matches (line mode) or of the document (drop mode)
    chars_by_set: dict[str, int] = field(default_factory=dict)


class EvalIndex:
    """The evaluation n-grams of one or more sets: `keys` (sorted uint64, 8 bytes per (n-gram, item)
    pair) and the normalised items (`blob`, `offsets`) for the exact check."""

    def __init__(self, n: int = DEFAULT_N, min_item_words: int = 1) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.n = n
        self.min_item_words = max(1, min_item_words)
        self.set_names: list[str] = []
        self.set_stats: dict[str, dict[str, Any]] = {}
        self._items: list[tuple[int, str, str]] = []  # (set index, item id, normalised text) while building
        self.keys = np.zeros(0, dtype=np.uint64)
        self.item_bits = 1
        self.lengths: tuple[int, ...] = ()
        self.anchor_shapes: list[list[tuple[int, int]]] = []
        self.anchor_list: list[int] = []
        self.anchor_table = np.zeros(1 << 16, dtype=np.bool_)
        self.blob = b""
        self.offsets = np.zeros(1, dtype=np.int64)
        self.filter = np.zeros(0, dtype=np.uint8)

    def add_set(self, name: str, items: Iterable[tuple[str, str]]) -> None:
        """items: (item id, text). An item with fewer than `min_item_words` words is counted, not used."""
        if name in self.set_names:
            raise ValueError(f"evaluation set {name!r} given twice")
        self.set_names.append(name)
        s = len(self.set_names) - 1
        st = self.set_stats[name] = {"items": 0, "items_indexed": 0, "items_too_short": 0, "ngrams": 0}
        for item_id, text in items:
            st["items"] += 1
            ws = words_of(text)
            if len(ws) < self.min_item_words:
                st["items_too_short"] += 1
                continue
            st["items_indexed"] += 1
            # the blob separates fields by tabs: an id keeps its text, its tabs and newlines become spaces
            self._items.append((s, " ".join(str(item_id).split("\t")).replace("\n", " "), " ".join(ws)))

    def build(self) -> EvalIndex:
        """Hash every item's n-grams (the whole item when shorter than n) into the sorted key array."""
        items, self._items = self._items, []
        if len(items) >= 1 << 40:
            raise ValueError("too many evaluation items (over 2**40)")
        self.item_bits = max(1, (len(items) - 1).bit_length())
        mask = np.uint64((1 << self.item_bits) - 1)
        hasher = WordHasher()
        # word counts over every item: the rarest word of a short item is its anchor (a proxy for the
        # word's rarity in the documents; only computed when there are short items)
        counts = Counter(w for _, _, t in items if t.count(" ") + 1 < self.n for w in t.split())
        if counts:
            counts.update(w for _, _, t in items if t.count(" ") + 1 >= self.n for w in t.split())
        parts, lengths, blob, offsets, anchors = [], set(), bytearray(), [0], {}
        for i, (s, item_id, text) in enumerate(items):
            ws = text.split()
            L = min(self.n, len(ws))
            lengths.add(L)
            wh = hasher.words(ws)
            if L < self.n:  # anchored at its rarest word in the sets (few places to try in a document)
                k = min(range(L), key=lambda j: (counts[ws[j]], -len(ws[j])))
                anchors.setdefault(int(wh[k]), set()).add((L, k))
            hs = np.unique(hasher.ngrams(wh, (L,))[L])
            parts.append((hs & ~mask) | np.uint64(i))
            self.set_stats[self.set_names[s]]["ngrams"] += len(hs)
            blob += f"{s}\t{item_id}\t{text}".encode()
            offsets.append(len(blob))
        keys = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
        del parts
        self.set_keys(keys)
        self.lengths = tuple(sorted(lengths))
        # short items by anchor word: a short item can only start k words before its anchor, and the
        # (length, k) pairs to try are those of the anchors found
        self.anchor_list = sorted(anchors)
        self.anchor_shapes = [sorted(anchors[a]) for a in self.anchor_list]
        self.anchor_table = np.zeros(1 << 16, dtype=np.bool_)
        self.anchor_table[np.array(self.anchor_list, dtype=np.uint64) & _LOW16] = True
        self.blob = bytes(blob)
        self.offsets = np.array(offsets, dtype=np.int64)
        return self

    def __getstate__(self) -> dict:
        # 16 MiB of bits, cheaper to rebuild than to ship; a mapped blob travels as bytes
        return {**self.__dict__, "filter": None, "blob": bytes(self.blob)}

    def spill(self, folder: str | None = None) -> None:
        """Keep the item texts in a mapped file rather than in memory: only the pages of candidate
        items are ever read, so the index holds 8 bytes per n-gram plus its constant prefilter. The
        file is unlinked at once; the mapping (shared with forked workers) lives on."""
        import mmap
        import os
        import tempfile

        if not self.blob or isinstance(self.blob, mmap.mmap):
            return
        fd, path = tempfile.mkstemp(prefix="decontam-items-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.blob)
            with open(path, "rb") as f:
                self.blob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        finally:
            os.unlink(path)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.filter = _bitset(self.keys >> _FILTER_SHIFT, 1 << FILTER_BITS)

    def set_keys(self, keys: np.ndarray) -> None:
        """The key array (sorted here, in place) and its prefilter."""
        keys.sort()
        self.keys = keys
        self.filter = _bitset(self.keys >> _FILTER_SHIFT, 1 << FILTER_BITS)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + len(self.blob) + self.offsets.nbytes + self.filter.nbytes)

    def item(self, i: int) -> tuple[str, str, str]:
        """(set name, item id, normalised text) of item i."""
        s, item_id, text = self.blob[self.offsets[i] : self.offsets[i + 1]].decode().split("\t", 2)
        return self.set_names[int(s)], item_id, text

    def candidates(self, hashes: np.ndarray | list[int]) -> list[tuple[int, int]]:
        """(position, item) for every position whose hash prefix is in the index (before the exact check)."""
        keys = self.keys
        if not len(keys) or not len(hashes):
            return []
        if len(hashes) <= 8:  # a few short-item starts: straight to the binary search
            maybe: Iterable[int] = range(len(hashes))
        else:
            top = hashes >> _FILTER_SHIFT
            maybe = np.flatnonzero(self.filter[top >> _3] & (_ONE << (top & _7).astype(np.uint8))).tolist()
        # a clean document has a few prefilter false positives: plain Python costs less than more arrays
        mask = (1 << self.item_bits) - 1
        n, out = len(keys), []
        for pos in maybe:
            prefix = int(hashes[pos]) & ~mask
            k = int(keys.searchsorted(np.uint64(prefix)))
            while k < n and int(keys[k]) & ~mask == prefix:
                out.append((pos, int(keys[k]) & mask))
                k += 1
        return out


class DecontamStep(SimpleStep):
    """Drop a contaminated document (mode drop-document, the default) or remove the lines that hold a
    match (mode remove-lines; a document left with no text is dropped). `scan(doc)` also gives the
    matches and the characters removed."""

    name = "decontam"

    def __init__(self, index: EvalIndex, mode: str = "drop-document") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown decontamination mode {mode!r}; expected one of {', '.join(MODES)}")
        self.index = index
        self.mode = mode
        self.hasher = WordHasher()

    def __getstate__(self) -> dict:
        return {**self.__dict__, "hasher": None}  # the word cache is per process

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.hasher = WordHasher()

    def setup(self) -> None:
        """On a worker: the item texts go to a mapped file, so the step holds 8 bytes per n-gram plus
        its constant prefilter (the texts' pages are read only for candidate hits)."""
        self.index.spill()

    def __call__(self, doc: Document) -> StepResult:
        return self.scan(doc).result

    def find(self, text: str) -> tuple[list[str], list[Match]]:
        """The normalised words of `text` and every confirmed match (one per item and start position)."""
        words = normalize(text).split()
        index = self.index
        if not words or not len(index.keys):
            return words, []
        h = self.hasher.words(words)
        prefix, inv = self.hasher.prefix(h)
        # blocks of (length, start positions or None for every position, hashes)
        blocks: list[tuple[int, list[int] | None, np.ndarray | list[int]]] = []
        if index.lengths[-1] == index.n and len(words) >= index.n:
            blocks.append((index.n, None, window(prefix, inv, index.n)))
        if index.anchor_list:
            blocks += self._short_blocks(h, prefix, inv)
        matches, seen = [], set()
        for L, starts, hashes in blocks:
            for offset, item in index.candidates(hashes):
                pos = offset if starts is None else starts[offset]
                self._confirm(words, L, pos, item, matches, seen)
        matches.sort(key=lambda m: (m.start, m.set_name, m.item_id))
        return words, matches

    def _confirm(self, words: list[str], L: int, pos: int, item: int, matches: list, seen: set) -> None:
        """Keep the candidate only when its words are truly the item's (never a hash collision)."""
        index = self.index
        set_name, item_id, item_text = index.item(item)
        gram = " ".join(words[pos : pos + L])
        # an n-gram inside the item, or a short item whole
        exact = (L == index.n and f" {gram} " in f" {item_text} ") or (L < index.n and gram == item_text)
        if exact and (item, pos) not in seen:
            seen.add((item, pos))
            matches.append(Match(set_name, item_id, gram, pos, pos + L))

    def _short_blocks(self, h: np.ndarray, prefix: np.ndarray, inv: np.ndarray) -> list:
        """Blocks for the items shorter than n: the starts k words before each anchor word found. A
        document holds few anchor words, so after the table screen this is plain Python on ints."""
        index = self.index
        maybe = np.flatnonzero(index.anchor_table[h & _LOW16]).tolist()  # a 64 KiB table first
        if not maybe:
            return []
        anchors, m = index.anchor_list, len(h)
        starts_by_len: dict[int, set[int]] = {}
        for a in maybe:
            x = int(h[a])
            j = bisect.bisect_left(anchors, x)
            if j == len(anchors) or anchors[j] != x:
                continue
            for L, k in index.anchor_shapes[j]:
                if 0 <= a - k and a - k + L <= m:
                    starts_by_len.setdefault(L, set()).add(a - k)
        blocks = []
        for L, starts in sorted(starts_by_len.items()):
            ss, c = sorted(starts), L * _LEN % _MOD
            hs = [((int(prefix[s + L]) - int(prefix[s])) * int(inv[s]) + c) % _MOD for s in ss]
            blocks.append((L, ss, np.array(hs, dtype=np.uint64) if len(hs) > 8 else hs))
        return blocks

    def scan(self, doc: Document) -> ScanResult:
        text = doc.text
        _, matches = self.find(text)
        if not matches:
            return ScanResult(doc)
        if self.mode == "drop-document":
            by_set = {m.set_name: len(text) for m in matches}
            return ScanResult(Drop(DROP_REASON), matches, len(text), by_set)
        lines = text.split("\n")
        line_of_word = _line_of_word(normalize(text))
        removed: set[int] = set()
        per_set: dict[str, set[int]] = {}
        for m in matches:
            span = range(int(line_of_word[m.start]), int(line_of_word[m.end - 1]) + 1)
            removed.update(span)
            per_set.setdefault(m.set_name, set()).update(span)
        kept = "\n".join(line for i, line in enumerate(lines) if i not in removed)
        by_set = {s: sum(len(lines[i]) + 1 for i in ls) for s, ls in per_set.items()}
        if not kept.strip():
            return ScanResult(Drop(DROP_REASON), matches, len(text), {s: len(text) for s in per_set})
        return ScanResult(doc.with_text(kept), matches, len(text) - len(kept), by_set)


def _bitset(values: np.ndarray, size: int) -> np.ndarray:
    """A packed bitset of `size` bits with the bits at `values` (sorted) set."""
    bits = np.zeros(size // 8, dtype=np.uint8)
    # the values come from sorted keys, so they are sorted: unique without another sort
    u = values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values
    if len(u):
        byte = u >> _3
        starts = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]])
        bits[byte[starts]] = np.bitwise_or.reduceat((np.uint8(1) << (u & _7).astype(np.uint8)), starts)
    return bits


def _line_of_word(normalised: str) -> np.ndarray:
    """For each word of the normalised text (as str.split() gives them), the line it is on."""
    counts = [len(line.split()) for line in normalised.split("\n")]
    return np.repeat(np.arange(len(counts)), counts)
