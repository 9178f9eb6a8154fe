"""The per-source token datasets a mixture is drawn from, seen as one list of documents per source.

Each source may have several parts (`<tokens>/<source>/part-NNNNN.*`, written by `llama-data tokenizer
encode`); the mixture numbers its documents 0..n-1 across the parts in name order. Only the index
(sequence lengths) is held in memory, O(documents of the source); tokens stay memory-mapped.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from pipeline.document import SOURCES
from tokenizer.datasets import list_token_datasets, open_token_dataset
from tokenizer.indexed import DatasetError, IndexedDataset, read_sidecar


@dataclasses.dataclass(frozen=True)
class SourceSummary:
    """What the planner needs, read from the sidecars only (no index is opened)."""

    name: str
    prefixes: tuple[str, ...]
    tokens: int
    documents: int
    dtype: str
    vocab_size: int
    tokenizer_sha256: str
    parts: tuple[dict[str, Any], ...]  # per part: prefix (relative), n_tokens, n_docs, bin_sha256


def summarize(tokens_dir: str) -> dict[str, SourceSummary]:
    """{source: summary} for every known source under `tokens_dir`; all must share one tokenizer."""
    found = list_token_datasets(tokens_dir)
    unknown = sorted(set(found) - set(SOURCES))
    if unknown:
        raise DatasetError(f"{tokens_dir}: token datasets for unknown source(s) {unknown}")
    out: dict[str, SourceSummary] = {}
    for name in (s for s in SOURCES if s in found):
        parts = []
        for prefix in found[name]:
            side = read_sidecar(prefix)
            parts.append(
                {
                    "prefix": os.path.relpath(prefix, tokens_dir),
                    "n_tokens": int(side["n_tokens"]),
                    "n_docs": int(side["n_docs"]),
                    "bin_sha256": side.get("bin_sha256"),
                    "idx_sha256": side.get("idx_sha256"),
                    "dtype": side.get("dtype"),
                    "vocab_size": side.get("vocab_size"),
                    "tokenizer_sha256": side.get("tokenizer_sha256"),
                }
            )
        first = parts[0]
        for p in parts:
            for key in ("dtype", "vocab_size", "tokenizer_sha256"):
                if p[key] != first[key]:
                    raise DatasetError(
                        f"{tokens_dir}/{p['prefix']}: {key} {p[key]!r} differs from {first['prefix']} ({first[key]!r})"
                    )
        out[name] = SourceSummary(
            name=name,
            prefixes=tuple(found[name]),
            tokens=sum(p["n_tokens"] for p in parts),
            documents=sum(p["n_docs"] for p in parts),
            dtype=str(first["dtype"]),
            vocab_size=int(first["vocab_size"]),
            tokenizer_sha256=str(first["tokenizer_sha256"]),
            parts=tuple({k: p[k] for k in ("prefix", "n_tokens", "n_docs", "bin_sha256", "idx_sha256")} for p in parts),
        )
    ref = next(iter(out.values()))
    for s in out.values():
        for key in ("dtype", "vocab_size", "tokenizer_sha256"):
            if getattr(s, key) != getattr(ref, key):
                raise DatasetError(
                    f"{tokens_dir}: {s.name} has {key} {getattr(s, key)!r} but {ref.name} has "
                    f"{getattr(ref, key)!r}; a mixture needs one tokenizer"
                )
    return out


class SourceTokens:
    """One source's documents across its parts: lengths in memory, tokens memory-mapped.

    Empty documents (no tokens) are left out of the numbering and counted in `skipped_empty`: they carry
    nothing to train on and would sit on an epoch boundary of the stream."""

    def __init__(self, summary: SourceSummary, max_doc_tokens: int = 0) -> None:
        self.name = summary.name
        self.code = SOURCES.index(summary.name)
        self.datasets: list[IndexedDataset] = [
            open_token_dataset(p, tokenizer_sha256=summary.tokenizer_sha256, vocab_size=summary.vocab_size)
            for p in summary.prefixes
        ]
        sizes = [ds.sizes for ds in self.datasets]
        raw = sizes[0] if len(sizes) == 1 else np.concatenate(sizes)
        self.part_starts = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in sizes], out=self.part_starts[1:])
        empty = raw == 0
        self.skipped_empty = int(empty.sum())
        # valid document i of the mixture -> raw document number across parts (None: the identity)
        self.valid: np.ndarray | None = np.flatnonzero(~empty) if self.skipped_empty else None
        self.lengths: np.ndarray = raw[self.valid] if self.valid is not None else raw
        # Optional pieces: a document longer than max_doc_tokens is drawn as consecutive pieces of at most
        # that many tokens. A whole book (~100k tokens) cannot land within one document of a small
        # per-shard budget; its pieces can. Pieces are the stream's units; the index then holds one
        # sequence per piece (BOS at the first piece of a document, EOS at its last).
        self.piece_doc: np.ndarray | None = None
        self.piece_offset: np.ndarray | None = None
        if max_doc_tokens and self.lengths.size and int(self.lengths.max()) > max_doc_tokens:
            per_doc = -(-self.lengths.astype(np.int64) // max_doc_tokens)
            self.piece_doc = np.repeat(np.arange(self.lengths.size, dtype=np.int64), per_doc)
            first = np.concatenate([[0], np.cumsum(per_doc)[:-1]])
            self.piece_offset = (
                np.arange(self.piece_doc.size, dtype=np.int64) - first[self.piece_doc]
            ) * max_doc_tokens
            self.lengths = np.minimum(
                self.lengths[self.piece_doc].astype(np.int64) - self.piece_offset, max_doc_tokens
            ).astype(self.lengths.dtype)
        self.n_docs = int(self.lengths.size)
        self.n_tokens = int(self.lengths.sum(dtype=np.int64))
        self.dtype = self.datasets[0].dtype
        # Tokens are copied with pread into the writer's buffer, not through the memory maps: mapped pages
        # (whole large folios at a time) would count as resident and grow with every page the writer
        # touches; pread keeps the resident set at the index plus the copy buffers.
        self.fds = [os.open(ds.prefix + ".bin", os.O_RDONLY) for ds in self.datasets]

    def locate(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For mixture document (or piece) ids: (part number, first token offset in that part, length)."""
        offset = None
        lengths = self.lengths[ids].astype(np.int64)
        if self.piece_doc is not None:
            offset = self.piece_offset[ids]  # type: ignore[index]
            ids = self.piece_doc[ids]
        raw = self.valid[ids] if self.valid is not None else ids
        part = np.searchsorted(self.part_starts, raw, side="right") - 1
        start = np.empty(ids.size, dtype=np.int64)
        item = self.dtype.itemsize
        for p, ds in enumerate(self.datasets):
            sel = part == p
            if sel.any():
                start[sel] = ds.pointers[raw[sel] - self.part_starts[p]] // item
        if offset is not None:
            start += offset
        return part, start, lengths

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []
