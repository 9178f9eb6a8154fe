"""Book-level near-dedup pieces (plain Python + numpy + datasketch; the Beam wiring is in
pipeline/beam/jobs/books.py).

LLaMA section 2.1: books are removed when they have "more than 90% content overlap". Made exact here:
book `a` is removed when |S_a & S_b| / |S_a| > 0.9 for some book `b` kept before it in the stable order
(Gutenberg before Books3, then by id), S = the set of word 5-gram shingles. MinHash LSH (datasketch)
only proposes candidate pairs; the exact containment over the shingle sets decides.

Shingles: word 5-grams of the lower-cased `\\w+` tokens. Tokens ignore punctuation, case and line
wrapping, which differ between a Gutenberg and a Books3 edition of the same book; 5 words is long
enough that unrelated books share almost no shingles (most English 5-grams are rare) and short enough
that an edit spoils only 5 shingles. Each shingle is a 64-bit value: a blake2b hash per distinct word,
combined over the 5 positions with numpy and avalanched (MurmurHash3 fmix64). Two different shingles
collide with probability ~2^-64, so set operations on these hashes are exact for any real corpus.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import numpy as np
from datasketch import MinHash, MinHashLSH

from filters.books import NUM_PERM, SEED  # defined with the books job's other dedup defaults

SHINGLE_WORDS = 5
_WORD_RE = re.compile(r"\w+")
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MASK32 = np.uint64(0xFFFFFFFF)
_CHUNK = 4096  # shingles per block in the signature: bounds the temporary to CHUNK x NUM_PERM words


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * _M1
    h = h ^ (h >> np.uint64(33))
    h = h * _M2
    return h ^ (h >> np.uint64(33))


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def shingle_hashes(text: str, k: int = SHINGLE_WORDS) -> np.ndarray:
    """Sorted unique uint64 hashes of the word k-gram shingles (a text shorter than k words is one)."""
    words = _WORD_RE.findall(text.lower())
    if not words:
        return np.zeros(0, dtype=np.uint64)
    vocab: dict[str, int] = {}
    ids = np.fromiter((vocab.setdefault(w, len(vocab)) for w in words), dtype=np.int64, count=len(words))
    table = np.fromiter((_word_hash(w) for w in vocab), dtype=np.uint64, count=len(vocab))
    wh = table[ids]
    n = max(1, len(wh) - k + 1)
    acc = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(min(k, len(wh))):
            # position-dependent rotation so "a b" and "b a" differ; wrap-around arithmetic is intended
            rot = np.uint64((j * 13) % 64)
            part = wh[j : j + n]
            part = (part << rot) | (part >> (np.uint64(64) - rot)) if rot else part
            acc = _fmix64(acc * _MIX + part)
    return np.unique(acc)


def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> np.ndarray:
    """The (a, b) parameters of datasketch's default `affine32` scheme for (num_perm, seed)."""
    return MinHash(num_perm=num_perm, seed=seed).permutations


def signature(shingles: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """MinHash signature (uint32[num_perm]) of a shingle-hash set, vectorised, identical to what
    datasketch's MinHash(scheme="affine32").update_batch gives for the same 32-bit input hashes
    (input pre-mixed with fmix32, then a*h+b mod 2^32, then the minimum)."""
    a = perms[0].astype(np.uint32)
    b = perms[1].astype(np.uint32)
    sig = np.full(len(a), np.iinfo(np.uint32).max, dtype=np.uint32)
    if len(shingles) == 0:
        return sig
    hv = (shingles & _MASK32).astype(np.uint32)
    with np.errstate(over="ignore"):
        hv = hv ^ (hv >> np.uint32(16))
        hv = hv * np.uint32(0x85EBCA6B)
        hv = hv ^ (hv >> np.uint32(13))
        hv = hv * np.uint32(0xC2B2AE35)
        hv = hv ^ (hv >> np.uint32(16))
        for i in range(0, len(hv), _CHUNK):
            block = hv[i : i + _CHUNK, None] * a[None, :] + b[None, :]
            np.minimum(sig, block.min(axis=0), out=sig)
    return sig


def to_minhash(sig: np.ndarray, perms: np.ndarray) -> MinHash:
    return MinHash(num_perm=len(sig), hashvalues=sig, permutations=perms, scheme="affine32")


def order_key(doc_id: str) -> tuple:
    """The stable order of books: Gutenberg first, then Books3, then anything else; within a source by
    id with numbers compared as numbers (gutenberg:9 before gutenberg:10)."""
    rank = 0 if doc_id.startswith("gutenberg:") else 1 if doc_id.startswith("books3:") else 2
    parts = re.split(r"(\d+)", doc_id)
    return (rank, tuple(int(p) if i % 2 else p for i, p in enumerate(parts)))


def candidate_pairs(
    signatures: Iterable[tuple[str, np.ndarray]], threshold: float, num_perm: int = NUM_PERM, seed: int = SEED
) -> list[tuple[str, str]]:
    """Candidate (earlier, later) id pairs from MinHash LSH at a Jaccard `threshold`, sorted.

    Jaccard is symmetric while the rule is containment: with containment c of A in B,
    J = c|A| / (|B| + (1 - c)|A|), so a book inside a longer one has a low Jaccard (Persuasion inside
    "Northanger Abbey and Persuasion" in the sample corpus: containment 1.0, J = 0.52). The default
    threshold 0.3 (datasketch picks b=37 bands of r=3 rows) proposes c = 0.9 pairs with |B| up to
    ~3 |A| with probability >= 0.6, up to 2 |A| with >= 0.95; false candidates only cost an exact check.
    datasketch's containment index (MinHashLSHEnsemble) was measured at ~28 kB per key in memory,
    ~5.7 GB for 200k books, so the plain LSH at a lower threshold is used instead."""
    perms = permutations(num_perm, seed)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    items = sorted(signatures, key=lambda kv: order_key(kv[0]))
    pairs: set[tuple[str, str]] = set()
    for doc_id, sig in items:  # query before insert: every hit is a book earlier in the stable order
        m = to_minhash(np.asarray(sig, dtype=np.uint32), perms)
        for other in lsh.query(m):
            pairs.add((other, doc_id))
        lsh.insert(doc_id, m)
    return sorted(pairs, key=lambda p: (order_key(p[0]), order_key(p[1])))


def containment(later: np.ndarray, earlier: np.ndarray) -> float:
    """|S_later & S_earlier| / |S_later| over sorted unique shingle hashes (exact)."""
    if len(later) == 0:
        return 0.0
    return len(np.intersect1d(later, earlier, assume_unique=True)) / len(later)


def decide_removals(overlaps: Sequence[tuple[str, str]]) -> list[str]:
    """Given verified (earlier, later) pairs where `later` overlaps `earlier` > 90%, return the books to
    remove, walking the stable order: a book is removed when it overlaps a book that is KEPT. A book
    that only overlaps removed books stays (the rule says "a book kept before it"): with chains
    A <- B <- C where C overlaps only B and B overlaps A, B goes and C stays, so nothing is lost
    because of a book that is itself not in the output."""
    earlier_of: dict[str, list[str]] = {}
    for earlier, later in overlaps:
        earlier_of.setdefault(later, []).append(earlier)
    removed: set[str] = set()
    for later in sorted(earlier_of, key=order_key):
        if any(e not in removed for e in earlier_of[later]):
            removed.add(later)
    return sorted(removed, key=order_key)
