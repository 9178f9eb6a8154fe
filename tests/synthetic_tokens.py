"""Small synthetic per-source token datasets in the tokenizer's layout, for tests and the benchmark.

A fixture, not part of the product: it lives beside the tests (bench scripts put tests/ on sys.path).

Documents are BOS, random ids, EOS; lengths are drawn around a mean per source. Written with the real
writer (tokenizer/indexed.py) and the tokenizer's sidecar fields, so the mixture code reads them exactly
as it reads `llama-data tokenizer encode` output.
"""

from __future__ import annotations

import os

import numpy as np

from tokenizer.datasets import FORMAT
from tokenizer.indexed import IndexedWriter, dtype_for_vocab

FAKE_TOKENIZER_SHA256 = "0" * 64


def write_source(
    tokens_dir: str,
    source: str,
    n_docs: int,
    mean_len: int,
    vocab_size: int = 32000,
    seed: int = 0,
    parts: int = 1,
    tokenizer_sha256: str = FAKE_TOKENIZER_SHA256,
) -> list[str]:
    """Write `parts` datasets for one source; returns their prefixes."""
    rng = np.random.default_rng([seed, n_docs, mean_len, sum(source.encode())])
    dtype = dtype_for_vocab(vocab_size)
    lengths = np.maximum(2, rng.geometric(1.0 / max(mean_len, 2), size=n_docs))
    bounds = np.linspace(0, n_docs, parts + 1).astype(int)
    prefixes = []
    for p in range(parts):
        prefix = os.path.join(tokens_dir, source, f"part-{p:05d}")
        w = IndexedWriter(prefix, dtype)
        seg = lengths[bounds[p] : bounds[p + 1]]
        flat = rng.integers(3, vocab_size, size=int(seg.sum()), dtype=dtype)
        ends = np.cumsum(seg)
        flat[ends - seg] = 1  # BOS, as LLaMA
        flat[ends - 1] = 2  # EOS
        w.add_flat(flat, seg.tolist())
        w.finalize(
            {
                "format": FORMAT,
                "source": source,
                "vocab_size": vocab_size,
                "tokenizer_sha256": tokenizer_sha256,
                "bos_id": 1,
                "eos_id": 2,
            }
        )
        prefixes.append(prefix)
    return prefixes


def write_tokens(
    tokens_dir: str,
    docs: dict[str, int],
    mean_len: int | dict[str, int] = 64,
    vocab_size: int = 32000,
    seed: int = 0,
    parts: int = 1,
) -> dict[str, list[str]]:
    """{source: n_docs} -> one synthetic token dataset folder."""
    out = {}
    for source, n in docs.items():
        m = mean_len[source] if isinstance(mean_len, dict) else mean_len
        out[source] = write_source(tokens_dir, source, n, m, vocab_size, seed, parts)
    return out
