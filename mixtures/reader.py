"""Reading a mixture folder: manifest.json + shard-NNNNN.{bin,idx,json,src}.

Layout:
    <dir>/manifest.json
    <dir>/shard-00000.bin/.idx/.json   Megatron indexed dataset (tokenizer/indexed.py), one sequence per
                                       document (BOS ... EOS)
    <dir>/shard-00000.src              raw uint8, one source code per document (code = SOURCES.index(name))
The manifest:
    {"format": "llama-data-mixture/1", "target_tokens", "seed", "tokenizer_sha256", "vocab_size", "dtype",
     "source_codes": {name: code}, "sources": {name: {"proportion", "available_tokens", "budget_tokens",
     "epochs", "tokens_taken", "documents_taken"}},
     "shards": [{"name": "shard-00000", "tokens", "documents", "source_tokens": {name: n},
                 "sha256": {"bin", "idx", "src"}}]}
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from tokenizer.indexed import DatasetError, IndexedDataset

MANIFEST = "manifest.json"
FORMAT = "llama-data-mixture/1"


def load_manifest(mixture_dir: str) -> dict[str, Any]:
    path = os.path.join(mixture_dir, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise DatasetError(
            f"{path}: no manifest (is {mixture_dir} a mixture built by `llama-data mixture build`?)"
        ) from None
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}: not valid JSON ({e})") from None
    if manifest.get("format") != FORMAT:
        raise DatasetError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def open_shard(
    mixture_dir: str, shard: dict[str, Any], manifest: dict[str, Any] | None = None
) -> tuple[IndexedDataset, np.ndarray]:
    """The shard's token dataset and its per-document source codes, checked against each other and
    against the manifest's tokenizer and vocab."""
    prefix = os.path.join(mixture_dir, shard["name"])
    expect = {}
    if manifest is not None:
        expect = {"tokenizer_sha256": manifest["tokenizer_sha256"], "vocab_size": manifest["vocab_size"]}
    ds = IndexedDataset(prefix, expect=expect)
    src_path = prefix + ".src"
    if not os.path.exists(src_path):
        raise DatasetError(f"{src_path}: missing source sidecar")
    codes = np.fromfile(src_path, dtype=np.uint8)
    if codes.size != len(ds):
        raise DatasetError(f"{src_path}: {codes.size} source codes for {len(ds)} documents")
    if len(ds) != shard["documents"] or ds.n_tokens != shard["tokens"]:
        raise DatasetError(
            f"{prefix}: {len(ds)} docs / {ds.n_tokens} tokens, manifest says {shard['documents']} / {shard['tokens']}"
        )
    return ds, codes
