"""Train the LLaMA BPE tokenizer on a seeded sample of the cleaned sources, then check the model proto.

Writes PREFIX.model and PREFIX.vocab (SentencePiece) and PREFIX.json (settings, per-source sample,
training-data digest, sha256 of the model). All three appear atomically (temp names, then rename).
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from tokenizer.config import LLAMA_NORMALIZER, LLAMA_TRAINER, TrainConfig, resolve_weights, trainer_kwargs
from tokenizer.indexed import sha256_file
from tokenizer.modelproto import load_proto

log = logging.getLogger(__name__)
FORMAT = "llama-data-tokenizer/1"


class SettingsError(ValueError):
    """A trained model whose settings differ from the released LLaMA tokenizer."""


def _proto_value(spec: Any, field: str) -> Any:
    value = getattr(spec, field)
    if field == "model_type":  # enum: 1 unigram, 2 bpe, 3 word, 4 char
        return spec.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number[value].name.lower()
    return value


def settings_diff(proto: Any, vocab_size: int | None = None) -> list[str]:
    """Every LLaMA setting the model differs in, as 'field: got X, want Y' (empty = all match)."""
    diffs: list[str] = []
    for field, want in LLAMA_TRAINER.items():
        got = _proto_value(proto.trainer_spec, field)
        same = abs(got - want) < 1e-6 if isinstance(want, float) else got == want  # proto holds float32
        if not same:
            diffs.append(f"trainer_spec.{field}: got {got!r}, want {want!r}")
    for field, want in LLAMA_NORMALIZER.items():
        got = getattr(proto.normalizer_spec, field)
        if got != want:
            diffs.append(f"normalizer_spec.{field}: got {got!r}, want {want!r}")
    if vocab_size is not None and (proto.trainer_spec.vocab_size, len(proto.pieces)) != (
        vocab_size,
        vocab_size,
    ):
        diffs.append(
            f"vocab_size: trainer {proto.trainer_spec.vocab_size}, pieces {len(proto.pieces)}, want {vocab_size}"
        )
    return diffs


def check_settings(model_path: str, vocab_size: int | None = None) -> Any:
    """Read the proto back and fail loudly on any difference from the LLaMA settings."""
    proto = load_proto(model_path)
    diffs = settings_diff(proto, vocab_size)
    if diffs:
        raise SettingsError(f"{model_path}: differs from the LLaMA tokenizer settings:\n  " + "\n  ".join(diffs))
    return proto


def train(cfg: TrainConfig, verbose: bool = False) -> dict[str, Any]:
    import sentencepiece as spm

    from tokenizer.sample import Sampler
    from tokenizer.sources import discover

    shards = discover(cfg.inputs)
    weights = resolve_weights(cfg.weights, shards)
    log.info("sources: %s", ", ".join(f"{s} ({len(p)} shards, weight {weights[s]:.4f})" for s, p in shards.items()))
    sampler = Sampler(shards, weights, cfg.sample_bytes, cfg.seed, LLAMA_TRAINER["max_sentence_length"])
    kw = trainer_kwargs(cfg.vocab_size, cfg.num_threads, cfg.input_sentence_size)
    out_dir = os.path.dirname(os.path.abspath(cfg.output))
    os.makedirs(out_dir, exist_ok=True)
    tmp_prefix = f"{cfg.output}.tmp-{os.getpid()}"
    log.info(
        "training SentencePiece BPE, vocab %d, %d threads (SentencePiece's own log follows with -v)",
        cfg.vocab_size,
        cfg.num_threads,
    )
    t0 = time.time()
    try:
        spm.SentencePieceTrainer.train(
            # without -v only errors: SentencePiece warns once per piece holding a tab or newline that the
            # human-readable .vocab cannot show it (about 70 lines with byte fallback); the .model is exact
            sentence_iterator=iter(sampler),
            model_prefix=tmp_prefix,
            minloglevel=0 if verbose else 2,
            **kw,
        )
        seconds = time.time() - t0
        check_settings(tmp_prefix + ".model", cfg.vocab_size)  # before the model gets its real name
        os.replace(tmp_prefix + ".model", cfg.output + ".model")
        os.replace(tmp_prefix + ".vocab", cfg.output + ".vocab")
    except RuntimeError as e:
        raise ValueError(
            f"SentencePiece training failed: {e} (a small sample may need a smaller --vocab-size "
            f"or a larger --sample-bytes)"
        ) from None
    finally:
        for ext in ("model", "vocab"):
            if os.path.exists(f"{tmp_prefix}.{ext}"):
                os.remove(f"{tmp_prefix}.{ext}")
    meta = {
        "format": FORMAT,
        "model": os.path.basename(cfg.output) + ".model",
        "sha256": sha256_file(cfg.output + ".model"),
        "vocab_size": cfg.vocab_size,
        "trainer": {k: v for k, v in kw.items() if k != "num_threads"},
        "config": cfg.to_dict(),
        "weights": weights,
        "sample_rates": sampler.rates,
        "sample": sampler.stats,
        "training_data_sha256": sampler.digest,
        "training_bytes": sum(s["bytes"] for s in sampler.stats.values()),
        "training_seconds": round(seconds, 2),
    }
    tmp_json = cfg.output + ".json.tmp"
    with open(tmp_json, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp_json, cfg.output + ".json")
    log.info("trained in %.1f s on %.1f MB; settings check passed", seconds, meta["training_bytes"] / 1e6)
    return meta
