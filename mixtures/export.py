"""`llama-data mixture export-megatron TOKENS_DIR`: the per-source token datasets as a Megatron-LM
`--data-path` blend, for users who mix at training time instead of writing mixture shards.

Megatron takes `--data-path w1 prefix1 w2 prefix2 ...` and normalises the weights; it samples dataset d
with probability w_d and repeats or subsamples each as needed (its blended dataset). A source with
several parts gets its Table 1 weight split over them by token count, so each source still totals
its proportion.
"""

from __future__ import annotations

import os

from mixtures.config import MixtureConfig
from mixtures.inputs import summarize
from tokenizer.indexed import DatasetError


def blend(config: MixtureConfig, tokens_dir: str) -> list[tuple[float, str]]:
    summaries = summarize(tokens_dir)
    missing = [s.name for s in config.sources if s.name not in summaries]
    if missing:
        raise DatasetError(f"{tokens_dir}: no token datasets for {', '.join(missing)}")
    pairs = []
    for s in config.sources:
        summ = summaries[s.name]
        for part, prefix in zip(summ.parts, summ.prefixes):
            share = part["n_tokens"] / summ.tokens if summ.tokens else 1.0 / len(summ.parts)
            pairs.append((s.proportion * share, os.path.abspath(prefix)))
    return pairs


def blend_string(pairs: list[tuple[float, str]]) -> str:
    return " ".join(f"{w:.8g} {p}" for w, p in pairs)
