"""Encode cleaned Parquet shards into token datasets (Beam-free core; the Beam job is encode_job.py).

One input shard -> one dataset `<out>/<source>/part-NNNNN.{bin,idx,json}`, documents in Parquet order,
each as BOS + tokens + EOS (LLaMA prepends BOS; EOS ends a document so packed windows see boundaries).
Texts are encoded in batches with SentencePiece's multi-threaded `encode(list, num_threads=...)`.
"""

from __future__ import annotations

import glob
import json
import os
from itertools import chain
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tokenizer.config import BOS_ID, EOS_ID
from tokenizer.datasets import FORMAT, SUMMARY, open_token_dataset
from tokenizer.indexed import DatasetError, IndexedWriter, dtype_for_vocab, sha256_file


def dataset_prefix(output: str, source: str, index: int) -> str:
    return os.path.join(output, source, f"part-{index:05d}")


def plan(shards: dict[str, list[str]], output: str) -> list[tuple[str, str, str]]:
    """(source, input shard, output prefix) for every shard, in a stable order."""
    return [
        (src, path, dataset_prefix(output, src, i)) for src, paths in shards.items() for i, path in enumerate(paths)
    ]


def remove_stale(tasks: list[tuple[str, str, str]], output: str) -> list[str]:
    """Delete datasets of an earlier run that this run will not write (e.g. the input lost a shard)."""
    keep = {t[2] for t in tasks}
    removed = []
    for src in {t[0] for t in tasks}:
        for path in glob.glob(os.path.join(output, src, "part-*.*")):
            stem = path.rsplit(".", 1)[0]
            if stem not in keep and path.rsplit(".", 1)[1] in ("bin", "idx", "json"):
                os.remove(path)
                removed.append(path)
    return removed


def up_to_date(prefix: str, shard: str, tokenizer_sha256: str, vocab_size: int) -> dict[str, Any] | None:
    """The existing sidecar when `prefix` is a valid dataset of this very shard and tokenizer, else None."""
    if not os.path.exists(prefix + ".json"):
        return None
    try:
        ds = open_token_dataset(prefix, tokenizer_sha256=tokenizer_sha256, vocab_size=vocab_size)
        if ds.sidecar.get("input_sha256") != sha256_file(shard):
            return None
        ds.verify_hashes()
    except DatasetError:
        return None
    return ds.sidecar


class ShardEncoder:
    """Encodes shards with one loaded SentencePiece model (built once per worker)."""

    def __init__(self, model_proto: bytes, num_threads: int, batch_bytes: int = 8 << 20) -> None:
        import hashlib

        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        self.sha256 = hashlib.sha256(model_proto).hexdigest()
        self.vocab_size = int(self.sp.get_piece_size())
        self.dtype = dtype_for_vocab(self.vocab_size)
        self.num_threads = max(1, num_threads)
        self.batch_bytes = batch_bytes
        if self.sp.bos_id() != BOS_ID or self.sp.eos_id() != EOS_ID:
            raise DatasetError(
                f"tokenizer has bos/eos {self.sp.bos_id()}/{self.sp.eos_id()}, expected "
                f"{BOS_ID}/{EOS_ID} (not a LLaMA-settings model)"
            )

    def _flush(self, writer: IndexedWriter, texts: list[str]) -> None:
        ids = self.sp.encode(texts, add_bos=True, add_eos=True, num_threads=self.num_threads)
        lengths = [len(x) for x in ids]
        flat = np.fromiter(chain.from_iterable(ids), dtype=self.dtype, count=sum(lengths))
        writer.add_flat(flat, lengths)

    def encode_shard(self, source: str, shard: str, prefix: str, config: dict[str, Any]) -> dict[str, Any]:
        writer = IndexedWriter(prefix, self.dtype)
        text_bytes = null_texts = 0
        try:
            pending: list[str] = []
            pending_bytes = 0
            for batch in pq.ParquetFile(shard).iter_batches(batch_size=64, columns=["source", "text"]):
                src_col, text_col = batch.column(0), batch.column(1)
                if len(src_col) and not pc.all(pc.equal(src_col, source)).as_py():
                    raise DatasetError(f"{shard}: holds documents of a source other than {source}")
                nulls = text_col.null_count
                if nulls:  # the store's contract says text is a string; count and skip the rest
                    null_texts += nulls
                    text_col = text_col.drop_null()
                n_bytes = int(pc.sum(pc.binary_length(text_col)).as_py() or 0)
                text_bytes += n_bytes
                pending.extend(text_col.to_pylist())
                pending_bytes += n_bytes
                if pending_bytes >= self.batch_bytes:
                    self._flush(writer, pending)
                    pending, pending_bytes = [], 0
            if pending:
                self._flush(writer, pending)
            sidecar = {
                "format": FORMAT,
                "source": source,
                "vocab_size": self.vocab_size,
                "tokenizer_sha256": self.sha256,
                "bos_id": BOS_ID,
                "eos_id": EOS_ID,
                "text_bytes": text_bytes,
                "input": shard,
                "input_sha256": sha256_file(shard),
                "skipped": {"null_text": null_texts},
                "config": config,
            }
            return writer.finalize(sidecar)
        except BaseException:
            writer.abort()
            raise


def summarise(source: str, sidecars: list[dict[str, Any]]) -> dict[str, Any]:
    docs = sum(s["n_docs"] for s in sidecars)
    tokens = sum(s["n_tokens"] for s in sidecars)
    text_bytes = sum(s["text_bytes"] for s in sidecars)
    content = tokens - 2 * docs  # without BOS/EOS
    return {
        "format": FORMAT,
        "source": source,
        "datasets": len(sidecars),
        "documents": docs,
        "tokens": tokens,
        "content_tokens": content,
        "text_bytes": text_bytes,
        "bytes_per_token": round(text_bytes / content, 4) if content else None,
        "tokenizer_sha256": sorted({s["tokenizer_sha256"] for s in sidecars}),
        "shards": sorted(os.path.basename(s["input"]) for s in sidecars),
    }


def write_summary(directory: str, summary: dict[str, Any]) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, SUMMARY)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return path
