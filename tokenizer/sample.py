"""The tokenizer's training text: a seeded sample of the cleaned documents at the mixture weights.

Streaming, bounded memory: a document is taken when stable_hash64(seed, source, id) falls below a
per-source threshold p_s * 2^64, where p_s = (weight_s * sample_bytes) / text bytes of s. The text
bytes come from the Parquet footers (uncompressed size of the `text` column), so the first pass reads
no data. The sample then depends on the seed and the document ids only, not on shard order or runner.

Documents are fed to the trainer as lines. SentencePiece skips any sentence longer than
max_sentence_length bytes, so longer lines are cut (at the last whitespace before the limit, else at a
UTF-8 character boundary) instead of being dropped.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator

import pyarrow.parquet as pq

from pipeline.document import stable_hash64

log = logging.getLogger(__name__)
_TWO64 = float(1 << 64)


def split_line(line: str, max_bytes: int) -> list[str]:
    """Cut one line into pieces of at most max_bytes UTF-8 bytes, preferring whitespace boundaries."""
    data = line.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return [line]
    out: list[str] = []
    while len(data) > max_bytes:
        cut = max_bytes
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # never cut inside a multi-byte character
            cut -= 1
        ws = max(data.rfind(b" ", 0, cut), data.rfind(b"\t", 0, cut))
        if ws > max_bytes // 2:  # cut after the whitespace, so it stays with the left piece
            cut = ws + 1
        out.append(data[:cut].decode("utf-8", "surrogatepass"))
        data = data[cut:]
    if data:
        out.append(data.decode("utf-8", "surrogatepass"))
    return out


def text_bytes_estimate(shard: str) -> int:
    """Uncompressed bytes of the `text` column from the Parquet footer (no data read)."""
    md = pq.ParquetFile(shard).metadata
    names = [md.schema.column(i).name for i in range(md.num_columns)]
    if "text" not in names:
        raise ValueError(f"{shard}: no `text` column (not a cleaned-documents shard)")
    j = names.index("text")
    return sum(md.row_group(g).column(j).total_uncompressed_size for g in range(md.num_row_groups))


class Sampler:
    """Iterate sampled training lines; afterwards `stats` and `digest` describe what was yielded."""

    def __init__(
        self,
        shards: dict[str, list[str]],
        weights: dict[str, float],
        sample_bytes: int,
        seed: int,
        max_sentence_bytes: int,
        progress_every: float = 10.0,
    ) -> None:
        self.shards, self.weights, self.seed = shards, weights, seed
        self.max_bytes = max_sentence_bytes
        self.progress_every = progress_every
        self.rates: dict[str, float] = {}
        for src, paths in shards.items():
            avail = sum(text_bytes_estimate(p) for p in paths)
            budget = weights.get(src, 0.0) * sample_bytes
            self.rates[src] = 1.0 if sample_bytes == 0 else (min(1.0, budget / avail) if avail else 0.0)
        self.stats: dict[str, dict[str, int]] = {}
        self._sha = hashlib.sha256()

    @property
    def digest(self) -> str:
        return self._sha.hexdigest()

    def __iter__(self) -> Iterator[str]:
        t0 = last = time.time()
        total = 0
        for src, paths in self.shards.items():
            rate = self.rates[src]
            st = self.stats.setdefault(src, {"documents": 0, "bytes": 0, "lines": 0, "split_lines": 0})
            if rate <= 0:
                continue
            threshold = rate * _TWO64
            for path in paths:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=64, columns=["id", "text"]):
                    ids, texts = batch.column(0).to_pylist(), batch.column(1)
                    for i, doc_id in enumerate(ids):
                        if rate < 1.0 and stable_hash64(str(self.seed), src, str(doc_id)) >= threshold:
                            continue
                        text = texts[i].as_py()
                        if not text:
                            continue
                        st["documents"] += 1
                        for line in text.split("\n"):
                            if not line:
                                continue
                            pieces = split_line(line, self.max_bytes)
                            st["split_lines"] += len(pieces) - 1
                            for piece in pieces:
                                data = piece.encode("utf-8", "surrogatepass")
                                self._sha.update(data + b"\n")
                                st["lines"] += 1
                                st["bytes"] += len(data)
                                total += len(data)
                                yield piece
                    now = time.time()
                    if now - last >= self.progress_every:
                        last = now
                        log.info(
                            "sampling: %.1f MB from %s so far (%.1f MB/s)",
                            total / 1e6,
                            src,
                            total / 1e6 / max(now - t0, 1e-9),
                        )
        log.info(
            "sampled %.1f MB in %.1f s: %s",
            total / 1e6,
            time.time() - t0,
            ", ".join(f"{s} {v['bytes'] / 1e6:.2f} MB" for s, v in self.stats.items()),
        )
