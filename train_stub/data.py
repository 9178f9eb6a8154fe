"""Training batches from a mixture folder (mixtures/reader.py), memory-mapped.

Each shard's documents lie back to back (BOS ... EOS each), so a window of seq_len + 1 tokens may
span documents, as Megatron's GPTDataset packs them. Windows are drawn uniformly over all valid start
positions of the split with a seeded numpy Generator whose state goes into checkpoints (exact resume).
Validation is held out by shard (the last one), or, for a one-shard mixture, by its last documents.
Every served token is attributed to its document's source code (the .src sidecar) through the
documents' token offsets, so the trainer can report the mix it actually saw.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixtures.reader import load_manifest, open_shard
from tokenizer.indexed import DatasetError

log = logging.getLogger(__name__)


@dataclass
class Segment:
    """A contiguous token range [start, end) of one shard with its documents' start offsets and codes."""

    tokens: np.ndarray  # the shard's memory-mapped tokens
    start: int
    end: int
    doc_starts: np.ndarray  # int64, token offset of each document of the shard
    codes: np.ndarray  # uint8, source code of each document

    def windows(self, width: int) -> int:
        return max(0, self.end - self.start - width + 1)

    def source_codes(self, pos: np.ndarray) -> np.ndarray:
        """Source code of the document holding each absolute token position."""
        return self.codes[np.searchsorted(self.doc_starts, pos, side="right") - 1]


class Split:
    def __init__(self, name: str, segments: list[Segment], seq_len: int) -> None:
        self.name, self.seq_len = name, seq_len
        self.segments = [s for s in segments if s.windows(seq_len + 1) > 0]
        counts = np.array([s.windows(seq_len + 1) for s in self.segments], dtype=np.int64)
        if counts.sum() == 0:
            total = sum(s.end - s.start for s in segments)
            raise DatasetError(f"{name} split has {total} tokens: too few for one window of {seq_len + 1}")
        self.cum = np.cumsum(counts)  # window k lives in the segment where k < cum

    @property
    def n_tokens(self) -> int:
        return sum(s.end - s.start for s in self.segments)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n windows (n, seq_len + 1) int64 and the source code of each target token (n, seq_len)."""
        picks = rng.integers(0, int(self.cum[-1]), size=n)
        seg_ids = np.searchsorted(self.cum, picks, side="right")
        width = self.seq_len + 1
        out = np.empty((n, width), dtype=np.int64)
        codes = np.empty((n, self.seq_len), dtype=np.uint8)
        for row, (k, si) in enumerate(zip(picks, seg_ids, strict=True)):
            seg = self.segments[si]
            start = seg.start + int(k - (self.cum[si - 1] if si else 0))
            out[row] = seg.tokens[start : start + width]
            codes[row] = seg.source_codes(np.arange(start + 1, start + width))  # targets are tokens 1..T
        return out, codes


class MixtureData:
    """Opens every shard of a mixture (checked against its manifest) and serves seeded random windows."""

    def __init__(
        self,
        mixture_dir: str,
        seq_len: int,
        vocab_size: int | None = None,
        tokenizer_sha256: str | None = None,
        seed: int = 0,
        val_fraction: float = 0.05,
    ) -> None:
        self.manifest = load_manifest(mixture_dir)
        self.vocab_size = int(self.manifest["vocab_size"])
        self.tokenizer_sha256 = str(self.manifest["tokenizer_sha256"])
        # A model trained with one tokenizer reads garbage from another's ids: refuse, do not train on it.
        if vocab_size and vocab_size != self.vocab_size:
            raise DatasetError(
                f"{mixture_dir}: mixture vocab_size {self.vocab_size} != model's {vocab_size} "
                "(tokenized with a different tokenizer?)"
            )
        if tokenizer_sha256 and tokenizer_sha256 != self.tokenizer_sha256:
            raise DatasetError(
                f"{mixture_dir}: tokenizer sha256 {self.tokenizer_sha256[:12]}... differs from "
                f"the checkpoint's {tokenizer_sha256[:12]}... (a different tokenizer)"
            )
        self.source_names = {int(c): n for n, c in self.manifest["source_codes"].items()}
        shards = [open_shard(mixture_dir, s, self.manifest) for s in self.manifest["shards"]]
        if not shards:
            raise DatasetError(f"{mixture_dir}: manifest lists no shards")
        train, val = self._split(shards, val_fraction)
        self.train = Split("train", train, seq_len)
        self.val = Split("validation", val, seq_len)
        self.rng = np.random.default_rng(seed)
        self.served = np.zeros(256, dtype=np.int64)  # target tokens served, by source code

    @staticmethod
    def _split(shards: list, val_fraction: float) -> tuple[list[Segment], list[Segment]]:
        segs = []
        for ds, codes in shards:
            starts = np.asarray(ds.pointers, dtype=np.int64) // ds.dtype.itemsize
            segs.append(Segment(ds.tokens, 0, ds.n_tokens, starts, codes))
        if len(segs) > 1:
            return segs[:-1], segs[-1:]
        # One shard: hold out its last documents (the builder shuffles, so the tail is a fair sample).
        seg = segs[0]
        n_docs = len(seg.doc_starts)
        if n_docs < 2:
            raise DatasetError("a one-shard mixture needs at least 2 documents for a validation split")
        first_val = min(n_docs - 1, max(1, round(n_docs * (1 - val_fraction))))
        cut = int(seg.doc_starts[first_val])
        return (
            [Segment(seg.tokens, 0, cut, seg.doc_starts, seg.codes)],
            [Segment(seg.tokens, cut, seg.end, seg.doc_starts, seg.codes)],
        )

    def batch(self, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """A training batch: inputs (B, T) and targets (B, T) as int64."""
        windows, codes = self.train.sample(self.rng, batch_size)
        if int(windows.max()) >= self.vocab_size:  # an Embedding lookup would fail far less clearly
            raise DatasetError(f"token id {int(windows.max())} >= vocab_size {self.vocab_size} in the mixture")
        self.served += np.bincount(codes.ravel(), minlength=256)
        return windows[:, :-1], windows[:, 1:]

    def val_batches(self, n_batches: int, batch_size: int, seed: int) -> list[tuple[np.ndarray, ...]]:
        """A fixed validation set (same windows at every eval): [(inputs, targets, target codes)]."""
        rng = np.random.default_rng([seed, 0x7A1])  # its own stream: evals never perturb training draws
        out = []
        for _ in range(n_batches):
            windows, codes = self.val.sample(rng, batch_size)
            out.append((windows[:, :-1], windows[:, 1:], codes))
        return out

    def source_mix(self) -> dict[str, float]:
        """Share of served training tokens per source name."""
        total = int(self.served.sum())
        return (
            {self.source_names.get(c, str(c)): int(n) / total for c, n in enumerate(self.served) if n} if total else {}
        )

    def unigram_entropy(self, max_tokens: int = 1 << 26, chunk: int = 1 << 22) -> float:
        """Entropy (nats) of the training split's token frequencies: the loss of the best model that
        ignores context. Counted in chunks (bounded memory); at most max_tokens, spread over segments."""
        counts = np.zeros(self.vocab_size, dtype=np.int64)
        per_seg = max(1, max_tokens // len(self.train.segments))
        for seg in self.train.segments:
            end = min(seg.end, seg.start + per_seg)
            for a in range(seg.start, end, chunk):
                c = np.bincount(np.asarray(seg.tokens[a : min(end, a + chunk)]), minlength=self.vocab_size)
                if c.size > self.vocab_size:
                    raise DatasetError(f"token id {c.size - 1} >= vocab_size {self.vocab_size} in the mixture")
                counts += c
        p = counts[counts > 0] / counts.sum()
        return float(-(p * np.log(p)).sum())

    def state(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state, "served": self.served.tolist()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.served = np.asarray(state["served"], dtype=np.int64)
