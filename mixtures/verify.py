"""`llama-data mixture verify DIR`: re-check a built mixture end to end.

Per shard: the Megatron index is consistent with the .bin (tokenizer/indexed.py), every file re-hashes
to the manifest and the sidecar, token ids are below the vocab size, the .src sidecar has one known
source code per document, and per-source token and document counts match the sidecar and the manifest.
Then the per-source totals against the manifest. Every problem is collected, not just the first.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from mixtures.reader import load_manifest
from pipeline.document import SOURCES
from tokenizer.indexed import DatasetError, IndexedDataset, sha256_file

_SCAN = 1 << 24  # tokens per step of the vocab scan (bounded memory on large shards)


def _check_shard(
    mixture_dir: str, shard: dict[str, Any], manifest: dict[str, Any], totals: dict[str, list[int]]
) -> list[str]:
    name = shard["name"]
    prefix = os.path.join(mixture_dir, name)
    errors: list[str] = []
    for ext in ("bin", "idx", "src"):
        path = f"{prefix}.{ext}"
        if not os.path.exists(path):
            return [f"{name}.{ext}: missing"]
        if sha256_file(path) != shard["sha256"][ext]:
            errors.append(f"{name}.{ext}: sha256 differs from the manifest (corrupt or modified)")
    try:
        ds = IndexedDataset(
            prefix,
            expect={"tokenizer_sha256": manifest["tokenizer_sha256"], "vocab_size": manifest["vocab_size"]},
        )
    except DatasetError as e:
        return errors + [str(e)]
    side = ds.sidecar
    for ext in ("bin", "idx", "src"):
        if side.get(f"{ext}_sha256") != shard["sha256"][ext]:
            errors.append(f"{name}.json: {ext}_sha256 differs from the manifest")
    if len(ds) != shard["documents"] or ds.n_tokens != shard["tokens"]:
        errors.append(
            f"{name}: {len(ds)} documents / {ds.n_tokens} tokens, manifest says "
            f"{shard['documents']} / {shard['tokens']}"
        )
    vocab = int(manifest["vocab_size"])
    for i in range(0, ds.n_tokens, _SCAN):
        block = np.asarray(ds.tokens[i : i + _SCAN])
        lo, hi = int(block.min()), int(block.max())
        if lo < 0 or hi >= vocab:
            errors.append(f"{name}.bin: token ids in [{lo}, {hi}] outside the vocab of {vocab} (near token {i})")
            break
    codes = np.fromfile(prefix + ".src", dtype=np.uint8)
    if codes.size != len(ds):
        return errors + [f"{name}.src: {codes.size} source codes for {len(ds)} documents (truncated?)"]
    if hashlib.sha256(codes.tobytes()).hexdigest() != side.get("src_sha256"):
        errors.append(f"{name}.src: sha256 differs from its sidecar")
    if codes.size and int(codes.max()) >= len(SOURCES):
        errors.append(f"{name}.src: unknown source code {int(codes.max())}")
        return errors
    tok = np.bincount(codes, weights=ds.sizes, minlength=len(SOURCES)).astype(np.int64)
    docs = np.bincount(codes, minlength=len(SOURCES))
    for src, code in manifest["source_codes"].items():
        want_t = shard["source_tokens"].get(src, 0)
        want_d = shard["source_documents"].get(src, 0)
        if int(tok[code]) != want_t or int(docs[code]) != want_d:
            errors.append(
                f"{name}: {src} has {int(tok[code])} tokens / {int(docs[code])} documents per .src, "
                f"manifest says {want_t} / {want_d}"
            )
        if side.get("source_tokens", {}).get(src, 0) != want_t:
            errors.append(f"{name}.json: {src} token count differs from the manifest")
        totals.setdefault(src, [0, 0])
        totals[src][0] += int(tok[code])
        totals[src][1] += int(docs[code])
    return errors


def verify_mixture(mixture_dir: str) -> tuple[list[str], dict[str, Any]]:
    """(errors, manifest); no errors means the mixture is intact."""
    manifest = load_manifest(mixture_dir)
    errors: list[str] = []
    totals: dict[str, list[int]] = {}
    if len(manifest["shards"]) != manifest.get("num_shards", len(manifest["shards"])):
        errors.append(f"manifest lists {len(manifest['shards'])} shards, num_shards says {manifest['num_shards']}")
    for shard in manifest["shards"]:
        errors += _check_shard(mixture_dir, shard, manifest, totals)
    for src, row in manifest["sources"].items():
        got = totals.get(src, [0, 0])
        if got != [row["tokens_taken"], row["documents_taken"]] and not errors:
            errors.append(
                f"{src}: shards hold {got[0]} tokens / {got[1]} documents, manifest says "
                f"{row['tokens_taken']} / {row['documents_taken']}"
            )
    return errors, manifest
