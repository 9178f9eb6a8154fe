"""Beam side of the books job: Gutenberg stripping with its counter, and book-level near-dedup.

    docs --Signature (parallel)--> (id, MinHash signature)
         --ToList (one place)--> MinHash LSH --> candidate pairs (earlier, later)
    docs --Shingles (only books in a candidate pair)--> (id, shingle set)
    {shingle sets by id, pair refs by id} --CoGroupByKey--> (pair, both shingle sets)
         --GroupByKey per pair--> exact containment |S_later & S_earlier| / |S_later| > overlap
         --ToList (one place)--> removals in stable order --> side input of the final filter

Size of the one-place steps for the real corpus (~200k books, RedPajama: 205,183): a signature is
128 uint32 = 512 B plus the id, ~0.6 kB a book, so the list is ~120 MB. The datasketch LSH index
(threshold 0.3: 37 bands of 3 rows) measured ~12 kB a book and ~0.25 ms an insert+query here, so
~2.4 GB and ~1 minute in one worker for 200k books. Only candidate books (the duplicates, a small
share) have their shingle sets (8 B per 5-gram, ~1 MB for a 100k-word book) shuffled, and each
verification holds two of them. Verified pairs and removed ids are small.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import numpy as np

from filters import books, minhash
from pipeline.beam.transforms import Counters, Drops, dropped_config
from pipeline.document import Document

_SEP = "\x1f"  # joins the two ids of a pair into one string key


class SignatureFn(beam.DoFn):
    """doc -> (id, uint32 signature bytes); books without a single word get none (never duplicates)."""

    def __init__(self, num_perm: int, seed: int) -> None:
        self.num_perm, self.seed = num_perm, seed

    def setup(self) -> None:
        self._perms = minhash.permutations(self.num_perm, self.seed)

    def process(self, doc: Document) -> Iterator[tuple[str, bytes]]:
        sh = minhash.shingle_hashes(doc.text)
        if len(sh):
            yield doc.id, minhash.signature(sh, self._perms).tobytes()


def _find_candidates(
    sigs: list[tuple[str, bytes]], threshold: float, num_perm: int, seed: int
) -> Iterator[tuple[str, str]]:
    items = ((i, np.frombuffer(s, dtype=np.uint32)) for i, s in sigs)
    yield from minhash.candidate_pairs(items, threshold, num_perm, seed)


class ShinglesFn(beam.DoFn):
    """doc -> (id, sorted unique shingle hashes as bytes), only for books in a candidate pair."""

    def process(self, doc: Document, candidates: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
        if doc.id in candidates:
            yield doc.id, minhash.shingle_hashes(doc.text).tobytes()


def _pair_refs(pair: tuple[str, str]) -> Iterator[tuple[str, str]]:
    key = f"{pair[0]}{_SEP}{pair[1]}"
    yield pair[0], key
    yield pair[1], key


def _fan_out(joined: tuple[str, dict[str, Iterable[Any]]]) -> Iterator[tuple[str, tuple[str, bytes]]]:
    doc_id, groups = joined
    shingles = list(groups["shingles"])
    # every id in a pair has its shingles (pairs come from the same docs); guard anyway
    for key in groups["pairs"] if shingles else ():
        yield key, (doc_id, shingles[0])


class VerifyPairFn(beam.DoFn):
    """(pair, both shingle sets) -> (earlier, later) when the later book's containment > overlap."""

    def __init__(self, overlap: float) -> None:
        self.overlap = overlap

    def setup(self) -> None:
        self._c = Counters("")

    def process(self, item: tuple[str, Iterable[tuple[str, bytes]]]) -> Iterator[tuple[str, str]]:
        key, members = item
        earlier, later = key.split(_SEP)
        sets = {i: np.frombuffer(b, dtype=np.uint64) for i, b in members}
        self._c.inc("dedup_candidate_pairs")
        if minhash.containment(sets[later], sets[earlier]) > self.overlap:
            self._c.inc("dedup_verified_pairs")
            yield earlier, later


class DropRemovedFn(beam.DoFn):
    def __init__(self) -> None:
        self.dropped = dropped_config()

    def setup(self) -> None:
        self._drops = Drops("near_dedup", self.dropped)

    def process(self, doc: Document, removed: dict[str, Any]) -> Iterator[Document]:
        if doc.id in removed:
            self._drops.drop(doc, "near_duplicate")
        else:
            yield doc

    def finish_bundle(self) -> None:
        self._drops.close()


class NearDedupBooks(beam.PTransform):
    """Remove books whose shingles are > `overlap` contained in a book kept before them (stable order)."""

    def __init__(
        self,
        overlap: float = books.OVERLAP,
        lsh_threshold: float = books.LSH_THRESHOLD,
        num_perm: int = books.NUM_PERM,
        seed: int = books.SEED,
    ) -> None:
        super().__init__()
        if not 0.0 < overlap < 1.0 or not 0.0 < lsh_threshold < 1.0:
            raise ValueError("overlap and lsh_threshold must be in (0, 1)")
        self.overlap, self.lsh_threshold, self.num_perm, self.seed = overlap, lsh_threshold, num_perm, seed

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        pairs = (
            docs
            | "Signature" >> beam.ParDo(SignatureFn(self.num_perm, self.seed))
            | "AllSignatures" >> beam.combiners.ToList()
            | "LSHCandidates" >> beam.FlatMap(_find_candidates, self.lsh_threshold, self.num_perm, self.seed)
        )
        candidates = (
            pairs
            | "CandidateIds" >> beam.FlatMap(lambda p: p)
            | "DistinctIds" >> beam.Distinct()
            | "AsKV" >> beam.Map(lambda i: (i, True))
        )
        shingles = docs | "Shingles" >> beam.ParDo(ShinglesFn(), beam.pvalue.AsDict(candidates))
        refs = pairs | "PairRefs" >> beam.FlatMap(_pair_refs)
        verified = (
            {"shingles": shingles, "pairs": refs}
            | "JoinShingles" >> beam.CoGroupByKey()
            | "FanOut" >> beam.FlatMap(_fan_out)
            | "GroupPairs" >> beam.GroupByKey()
            | "Containment" >> beam.ParDo(VerifyPairFn(self.overlap))
        )
        removed = (
            verified
            | "AllVerified" >> beam.combiners.ToList()
            | "DecideRemovals" >> beam.FlatMap(minhash.decide_removals)
            | "RemovedKV" >> beam.Map(lambda i: (i, True))
        )
        # The filter must wait for the whole dedup, which itself reads `docs`: a Reshuffle puts it in a
        # stage of its own (without it the FnApiRunner fuses it with the docs' producer and leaves
        # "watermark-pending bundles"; a cluster runner materialises `docs` here anyway).
        return (
            docs
            | "WaitForDedup" >> beam.Reshuffle()
            | "DropNearDuplicates" >> beam.ParDo(DropRemovedFn(), beam.pvalue.AsDict(removed))
        )
