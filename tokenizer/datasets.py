"""The reader API for the per-source token datasets written by `llama-data tokenizer encode`.

Layout: `<tokens>/<source>/part-NNNNN.{bin,idx,json}` plus `<tokens>/<source>/summary.json`.
The checks on the index (sizes, offsets, monotone document index, file sizes) and on the sidecar
live in tokenizer/indexed.py; this module adds what a token dataset must also satisfy: our format
tag, a dtype that fits the vocab, and (when given) the tokenizer and vocab the caller expects.
"""

from __future__ import annotations

import glob
import os

import numpy as np

from tokenizer.indexed import DatasetError, IndexedDataset, dtype_for_vocab, read_sidecar

FORMAT = "llama-data-tokens/1"
SUMMARY = "summary.json"


def open_token_dataset(
    prefix: str,
    tokenizer_sha256: str | None = None,
    vocab_size: int | None = None,
    check_tokens: bool = False,
) -> IndexedDataset:
    """Open `prefix.{bin,idx,json}`; raise DatasetError on any mismatch. `check_tokens` also scans every
    token id against the vocab (reads the whole .bin)."""
    expect: dict[str, object] = {"format": FORMAT}
    if tokenizer_sha256 is not None:
        expect["tokenizer_sha256"] = tokenizer_sha256
    if vocab_size is not None:
        expect["vocab_size"] = vocab_size
    ds = IndexedDataset(prefix, expect=expect)
    vocab = ds.sidecar.get("vocab_size")
    if not isinstance(vocab, int) or vocab <= 0:
        raise DatasetError(f"{prefix}.json: vocab_size missing or invalid ({vocab!r})")
    if dtype_for_vocab(vocab) != ds.dtype:
        raise DatasetError(
            f"{prefix}: dtype {ds.dtype.name} does not match vocab {vocab} (expected {dtype_for_vocab(vocab).name})"
        )
    if check_tokens and ds.n_tokens:
        top = int(np.max(ds.tokens))
        low = int(np.min(ds.tokens))
        if top >= vocab or low < 0:
            raise DatasetError(f"{prefix}.bin: token ids in [{low}, {top}] outside the vocab of {vocab}")
    return ds


def list_token_datasets(directory: str) -> dict[str, list[str]]:
    """{source: [dataset prefixes in name order]} under a tokens folder (or one source's folder)."""
    if not os.path.isdir(directory):
        raise DatasetError(f"{directory}: not a folder of token datasets")
    idx = glob.glob(os.path.join(directory, "part-*.idx")) + glob.glob(os.path.join(directory, "*", "part-*.idx"))
    out: dict[str, list[str]] = {}
    for path in sorted(idx):
        prefix = path[: -len(".idx")]
        side = read_sidecar(prefix)
        if side.get("format") != FORMAT:
            raise DatasetError(f"{prefix}.json: format {side.get('format')!r}, expected {FORMAT!r}")
        source = side.get("source")
        if not isinstance(source, str):
            raise DatasetError(f"{prefix}.json: no source")
        out.setdefault(source, []).append(prefix)
    if not out:
        raise DatasetError(f"{directory}: no token datasets (part-*.idx) found")
    return out
