"""Write one mixture shard; Beam-free, so any runner (or a plain loop) can call it.

Shard k of K takes from every source s the documents of s's stream (mixtures/stream.py) centred in
[B_s k / K, B_s (k+1) / K), puts them in a seeded order, and copies their tokens from the source .bin
files into `shard-NNNNN.{bin,idx,json}` (Megatron's format, tokenizer/indexed.py; written by
mixtures/shard_writer.py) plus `shard-NNNNN.src`, one uint8 source code per document. Memory: the
sources' indexes (O(documents)), one or two epoch orders per source, the shard's document list and two
copy buffers; none of it grows with the target.

Commit order: .src, then .bin/.idx, then the .json sidecar last (ShardWriter.finalize): the sidecar
carries the build's fingerprint and every file's sha256, so a shard is "done" exactly when its sidecar
matches this build and the files re-hash to it; anything else is rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from typing import Any

import numpy as np

from mixtures.inputs import SourceSummary, SourceTokens, summarize
from mixtures.shard_writer import ALIGN, ShardWriter, WriterThreads, aligned_buffer
from mixtures.stream import SourceStream, cut, seeded_order
from pipeline.document import SOURCES
from tokenizer.indexed import read_sidecar, sha256_file

SHARD_FORMAT = "llama-data-mixture-shard/1"
ALGORITHM = "epoch-stream/2"  # bump when the selection or order logic changes: old shards then rebuild
DEFAULT_CHUNK_TOKENS = 1 << 23  # 16 MB copy buffer of uint16
COPY_BUFFERS = 2  # one chunk being gathered while the previous one is hashed and written


def shard_name(k: int) -> str:
    return f"shard-{k:05d}"


@dataclasses.dataclass(frozen=True)
class BuildSpec:
    """Everything a worker needs; plain data, so it pickles to any Beam runner."""

    tokens_dir: str
    output: str
    seed: int
    num_shards: int
    budgets: tuple[tuple[str, int], ...]  # (source, budget tokens) in SOURCES order
    fingerprint: str
    vocab_size: int
    tokenizer_sha256: str
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    max_doc_tokens: int = 0  # 0: whole documents; else documents are drawn in pieces of at most this


def fingerprint(
    summaries: dict[str, SourceSummary],
    budgets: dict[str, int],
    seed: int,
    num_shards: int,
    max_doc_tokens: int = 0,
) -> str:
    """sha256 of what decides the bytes of every shard: inputs (by their recorded hashes), budgets, seed."""
    doc = {
        "algorithm": ALGORITHM,
        "seed": seed,
        "num_shards": num_shards,
        **({"max_doc_tokens": max_doc_tokens} if max_doc_tokens else {}),
        "budgets": {n: budgets[n] for n in sorted(budgets)},
        "inputs": {n: [dict(p) for p in summaries[n].parts] for n in sorted(budgets)},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _atomic_write_bytes(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class ShardBuilder:
    """Opens the sources once (per Beam worker) and writes shards on request."""

    def __init__(self, spec: BuildSpec) -> None:
        self.spec = spec
        summaries = summarize(spec.tokens_dir)
        budgets = dict(spec.budgets)
        missing = [n for n in budgets if n not in summaries]
        if missing:
            raise FileNotFoundError(f"{spec.tokens_dir}: no token datasets for {missing}")
        if fingerprint(summaries, budgets, spec.seed, spec.num_shards, spec.max_doc_tokens) != spec.fingerprint:
            raise RuntimeError(f"{spec.tokens_dir}: token datasets changed since the build was planned")
        self.sources = {n: SourceTokens(summaries[n], spec.max_doc_tokens) for n in budgets}
        self.streams = {n: SourceStream(n, src.lengths, spec.seed) for n, src in self.sources.items()}
        self.dtype = next(iter(self.sources.values())).dtype
        # one flat list of open token files: (source, part) -> file number
        self.fds: list[int] = []
        self.file_base: dict[str, int] = {}
        for n, src in self.sources.items():
            self.file_base[n] = len(self.fds)
            self.fds.extend(src.fds)
        # reused across shards: fresh buffers would cost a page fault per page on every shard
        nbytes = spec.chunk_tokens * self.dtype.itemsize + 2 * ALIGN
        self._buffers = [aligned_buffer(nbytes) for _ in range(COPY_BUFFERS)]
        self._threads = WriterThreads()

    def close(self) -> None:
        self._threads.shutdown()
        for src in self.sources.values():
            src.close()

    def prefix(self, k: int) -> str:
        return os.path.join(self.spec.output, shard_name(k))

    def up_to_date(self, k: int) -> bool:
        """True when shard k's sidecar belongs to this build and its files re-hash to it."""
        prefix = self.prefix(k)
        try:
            side = read_sidecar(prefix)
        except ValueError:
            return False
        if side.get("mixture_fingerprint") != self.spec.fingerprint or side.get("shard_index") != k:
            return False
        try:
            return all(sha256_file(f"{prefix}.{ext}") == side.get(f"{ext}_sha256") for ext in ("bin", "idx", "src"))
        except FileNotFoundError:
            return False

    def select(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
        """Shard k's documents in their final order: (source code, file number, token start, length),
        plus each source's planned token count."""
        code_l, files, starts, lengths, planned = [], [], [], [], {}
        for name, budget in self.spec.budgets:
            lo, hi = cut(budget, self.spec.num_shards, k)
            planned[name] = hi - lo
            ids = self.streams[name].take(lo, hi)
            part, start, length = self.sources[name].locate(ids)
            code_l.append(np.full(ids.size, SOURCES.index(name), dtype=np.uint8))
            files.append(part + self.file_base[name])
            starts.append(start)
            lengths.append(length)
        code = np.concatenate(code_l)
        order = seeded_order(code.size, "mixture-shard", self.spec.seed, k)
        return (
            code[order],
            np.concatenate(files)[order],
            np.concatenate(starts)[order],
            np.concatenate(lengths)[order],
            planned,
        )

    def build(self, k: int, force: bool = False) -> dict[str, Any]:
        """Write shard k unless an identical one is already there; returns its sidecar (+ "status")."""
        if not force and self.up_to_date(k):
            return {**read_sidecar(self.prefix(k)), "status": "kept"}
        t0 = time.perf_counter()
        code, file, start, length, planned = self.select(k)
        prefix = self.prefix(k)
        writer = ShardWriter(prefix, self.dtype, self._buffers, self._threads)
        try:
            writer.write(self.fds, file, start, length, self.spec.chunk_tokens)
            src_bytes = code.tobytes()
            _atomic_write_bytes(prefix + ".src", src_bytes)
            side = writer.finalize(self.sidecar(k, code, length, planned, src_bytes))
        except BaseException:
            writer.abort()
            raise
        return {**side, "status": "built", "seconds": time.perf_counter() - t0}

    def sidecar(
        self, k: int, code: np.ndarray, length: np.ndarray, planned: dict[str, int], src_bytes: bytes
    ) -> dict[str, Any]:
        """Shard k's sidecar fields beyond the indexed dataset's own (dtype, counts, .bin/.idx hashes)."""
        tok = np.bincount(code, weights=length, minlength=len(SOURCES)).astype(np.int64)
        docs = np.bincount(code, minlength=len(SOURCES))
        names = [n for n, _ in self.spec.budgets]
        return {
            "format": SHARD_FORMAT,
            "source": "mixture",
            "vocab_size": self.spec.vocab_size,
            "tokenizer_sha256": self.spec.tokenizer_sha256,
            "bos_id": 1,
            "eos_id": 2,
            "mixture_fingerprint": self.spec.fingerprint,
            "shard_index": k,
            "num_shards": self.spec.num_shards,
            "seed": self.spec.seed,
            "src_sha256": hashlib.sha256(src_bytes).hexdigest(),
            "source_tokens": {n: int(tok[SOURCES.index(n)]) for n in names},
            "source_documents": {n: int(docs[SOURCES.index(n)]) for n in names},
            "planned_source_tokens": planned,
            "skipped_empty_documents": {n: self.sources[n].skipped_empty for n in names},
        }
