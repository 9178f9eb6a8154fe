"""A small mixture folder (mixtures/reader.py layout) from a seeded synthetic token stream with structure.

Each source is a first-order Markov chain over ids 3..vocab-1 where every token has three successors
(p = 0.6, 0.3, 0.1): the conditional entropy is 0.90 nats while the unigram entropy is near ln(vocab),
so a model that learns from context beats the unigram baseline by a wide margin.
"""

from __future__ import annotations

import json
import os

import numpy as np

from tokenizer.indexed import IndexedWriter, dtype_for_vocab

BOS, EOS = 1, 2
SOURCE_CODES = {
    "common_crawl": 0,
    "c4": 1,
    "github": 2,
    "wikipedia": 3,
    "books": 4,
    "arxiv": 5,
    "stackexchange": 6,
}


def markov_doc(rng: np.random.Generator, succ: np.ndarray, length: int) -> np.ndarray:
    out = np.empty(length + 2, dtype=np.int64)
    out[0], out[-1] = BOS, EOS
    tok = int(succ[int(rng.integers(3, succ.shape[0])), 0])
    branch = rng.choice(3, size=length, p=(0.6, 0.3, 0.1)).tolist()
    for i in range(1, length + 1):
        out[i] = tok
        tok = int(succ[tok, branch[i - 1]])
    return out


def write_mixture(
    path: str,
    sources: tuple[str, ...] = ("common_crawl", "wikipedia"),
    vocab: int = 64,
    docs_per_shard: int = 40,
    n_shards: int = 2,
    doc_len: tuple[int, int] = (80, 240),
    seed: int = 0,
    tokenizer_sha256: str = "ab" * 32,
    disjoint: bool = False,
) -> str:
    """disjoint: source k only uses ids in its own range, so a token tells which source it came from."""
    rng = np.random.default_rng(seed)
    span = (vocab - 3) // len(sources) if disjoint else vocab - 3
    chains = {
        s: 3 + (k * span if disjoint else 0) + rng.integers(0, span, size=(vocab, 3)) for k, s in enumerate(sources)
    }
    dtype = dtype_for_vocab(vocab)
    shards = []
    for k in range(n_shards):
        name = f"shard-{k:05d}"
        w = IndexedWriter(os.path.join(path, name), dtype)
        codes, src_tokens = [], dict.fromkeys(sources, 0)
        for _ in range(docs_per_shard):
            s = sources[int(rng.integers(len(sources)))]
            doc = markov_doc(rng, chains[s], int(rng.integers(*doc_len)))
            w.add(doc)
            codes.append(SOURCE_CODES[s])
            src_tokens[s] += doc.size
        w.finalize({"tokenizer_sha256": tokenizer_sha256, "vocab_size": vocab})
        np.asarray(codes, dtype=np.uint8).tofile(os.path.join(path, name + ".src"))
        shards.append(
            {
                "name": name,
                "tokens": w.tokens,
                "documents": w.documents,
                "source_tokens": src_tokens,
                "sha256": {"bin": "", "idx": "", "src": ""},
            }
        )
    manifest = {
        "format": "llama-data-mixture/1",
        "target_tokens": sum(s["tokens"] for s in shards),
        "seed": seed,
        "tokenizer_sha256": tokenizer_sha256,
        "vocab_size": vocab,
        "dtype": np.dtype(dtype).name,
        "source_codes": SOURCE_CODES,
        "sources": {
            s: {
                "proportion": 1 / len(sources),
                "available_tokens": 0,
                "budget_tokens": 0,
                "epochs": 1.0,
                "tokens_taken": sum(sh["source_tokens"][s] for sh in shards),
                "documents_taken": 0,
            }
            for s in sources
        },
        "shards": shards,
    }
    with open(os.path.join(path, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    return path
