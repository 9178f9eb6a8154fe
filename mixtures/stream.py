"""A source's seeded, epoch-repeated document stream, addressed by token position.

The stream of source s is epoch 0, epoch 1, ... back to back, each epoch a fresh seeded permutation of all
the source's documents, cut at the budget B_s. So e = B_s / A_s epochs are floor(e) whole passes plus
the prefix of one more fresh permutation holding (e - floor(e)) x A_s tokens: a seeded subset sized in
tokens (each document equally likely), which is also what e < 1 takes. A document belongs to the slice
holding its midpoint; the one at token position x lies in epoch x // A_s, so shard k finds its slice
with one permutation and one prefix sum per epoch it touches (O(documents of the source)), never
materialising the stream (which grows with the target).

Orders come from splitmix64 of (document number XOR a stable per-epoch key), sorted: defined by integer
arithmetic alone, so the output does not depend on NumPy's random generators or Python's hash().
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from pipeline.document import stable_hash64

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised: a bijection on uint64 (so sort keys never tie)."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def seeded_order(n: int, *key: str | int) -> np.ndarray:
    """A permutation of range(n) determined by `key` (seed, names, numbers)."""
    k = np.uint64(stable_hash64(*(str(p) for p in key)))
    ids = np.arange(n, dtype=np.uint64)
    order = np.argsort(mix64(ids ^ k))
    return order.astype(np.int32) if n < 2**31 else order


class SourceStream:
    """Slices of one source's stream by token position; caches the epoch(s) it built last (shards are
    written in index order per worker, so consecutive shards mostly share an epoch). An epoch costs
    12 bytes per document (int32 order + int64 midpoints), plus about 20 while it is being built."""

    def __init__(self, name: str, lengths: np.ndarray, seed: int, cache_epochs: int = 1) -> None:
        self.name = name
        self.lengths = lengths
        self.seed = seed
        self.epoch_tokens = int(lengths.sum(dtype=np.int64))
        if self.epoch_tokens <= 0:
            raise ValueError(f"{name}: no tokens to draw from")
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_epochs = cache_epochs

    def epoch(self, e: int) -> tuple[np.ndarray, np.ndarray]:
        """(order, mid2): the documents of epoch e in order, and twice each one's midpoint token position
        within the epoch (start + end, an integer, strictly increasing since no document is empty)."""
        hit = self._cache.get(e)
        if hit is not None:
            self._cache.move_to_end(e)
            return hit
        while len(self._cache) >= self._cache_epochs:  # free before building: peak ~ one epoch
            self._cache.popitem(last=False)
        order = seeded_order(self.lengths.size, "mixture-epoch", self.seed, self.name, e)
        ends = np.cumsum(self.lengths[order], dtype=np.int64)
        mid2 = ends.copy()
        mid2[1:] += ends[:-1]  # end + start, where a document starts at the previous one's end
        del ends
        self._cache[e] = (order, mid2)
        return order, mid2

    def take(self, lo: int, hi: int) -> np.ndarray:
        """Document ids (int64) of the stream whose midpoint lies in [lo, hi), in stream order.

        Assigning a document by its midpoint makes consecutive slices partition the stream and puts each
        slice within half a document of its cut at both ends (so within one document of hi - lo tokens),
        with no systematic overshoot of a source's budget."""
        if hi <= lo:
            return np.zeros(0, dtype=np.int64)
        a = self.epoch_tokens
        pieces = []
        for e in range(lo // a, (hi - 1) // a + 1):
            order, mid2 = self.epoch(e)
            i = np.searchsorted(mid2, 2 * max(lo - e * a, 0), side="left")
            j = np.searchsorted(mid2, 2 * min(hi - e * a, a), side="left")
            pieces.append(order[i:j].astype(np.int64))
        return np.concatenate(pieces) if len(pieces) != 1 else pieces[0]


def cut(budget: int, num_shards: int, k: int) -> tuple[int, int]:
    """Token range [lo, hi) of a source's stream that shard k takes: the budget split evenly, exactly."""
    return budget * k // num_shards, budget * (k + 1) // num_shards
