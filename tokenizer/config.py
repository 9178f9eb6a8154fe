"""Tokenizer settings: the released LLaMA SentencePiece settings and the mixture
weights the training sample is drawn at.

The LLaMA values are those printed from the released `tokenizer.model` proto (md5 eeec4125...):
BPE, 32000 pieces,
digits split, byte fallback, identity normaliser, no whitespace collapsing, dummy prefix.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from typing import Any

from mixtures.config import load_config

# Table 1 of Touvron et al. 2023 (LLaMA), "sampling proportion" per source, in the pipeline's source
# order: read from mixtures/llama1.yaml, the one place the numbers are written (with their provenance).
TABLE1_WEIGHTS: dict[str, float] = {s.name: s.proportion for s in load_config().sources}

# SentencePiece trainer_spec fields that must equal the released LLaMA model (vocab_size is checked
# against the requested size separately, since small vocabs are allowed for samples and tests).
LLAMA_TRAINER: dict[str, Any] = {
    "model_type": "bpe",
    "character_coverage": 0.99995,
    "split_digits": True,
    "byte_fallback": True,
    "allow_whitespace_only_pieces": True,
    "max_sentence_length": 4192,
    "max_sentencepiece_length": 16,
    "split_by_unicode_script": True,
    "split_by_whitespace": True,
    "split_by_number": True,
    "treat_whitespace_as_suffix": False,
    "unk_id": 0,
    "bos_id": 1,
    "eos_id": 2,
    "pad_id": -1,
    "unk_piece": "<unk>",
    "bos_piece": "<s>",
    "eos_piece": "</s>",
    "shuffle_input_sentence": True,
    "hard_vocab_limit": True,
    "use_all_vocab": False,
    "vocabulary_output_piece_score": True,
}
# normalizer_spec of the released model: no NFKC, whitespace kept as is, a leading "▁" added.
LLAMA_NORMALIZER: dict[str, Any] = {
    "name": "identity",
    "add_dummy_prefix": True,
    "remove_extra_whitespaces": False,
}
# The released model used input_sentence_size=200M sentences (reservoir-sampled by the trainer).
LLAMA_INPUT_SENTENCE_SIZE = 200_000_000
LLAMA_VOCAB_SIZE = 32000
BOS_ID, EOS_ID = LLAMA_TRAINER["bos_id"], LLAMA_TRAINER["eos_id"]


def trainer_kwargs(
    vocab_size: int, num_threads: int, input_sentence_size: int = LLAMA_INPUT_SENTENCE_SIZE
) -> dict[str, Any]:
    """Keyword arguments for SentencePieceTrainer.train with the LLaMA settings."""
    kw = dict(LLAMA_TRAINER)
    kw.update(
        vocab_size=vocab_size,
        num_threads=num_threads,
        input_sentence_size=input_sentence_size,
        normalization_rule_name=LLAMA_NORMALIZER["name"],
        add_dummy_prefix=LLAMA_NORMALIZER["add_dummy_prefix"],
        remove_extra_whitespaces=LLAMA_NORMALIZER["remove_extra_whitespaces"],
    )
    return kw


@dataclasses.dataclass
class TrainConfig:
    inputs: list[str]
    output: str  # prefix: writes PREFIX.model, PREFIX.vocab, PREFIX.json
    vocab_size: int = LLAMA_VOCAB_SIZE
    sample_bytes: int = 1_000_000_000  # 0 = every document
    weights: str = "table1"  # table1 | uniform | path to a YAML/JSON mapping source -> weight
    seed: int = 0
    num_threads: int = 0  # 0 = all cores
    input_sentence_size: int = LLAMA_INPUT_SENTENCE_SIZE

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ValueError("tokenizer train: at least one --input folder is needed")
        if self.vocab_size < 260:
            raise ValueError(f"vocab size {self.vocab_size} is too small: byte fallback alone needs 3 + 256 pieces")
        if self.sample_bytes < 0:
            raise ValueError("--sample-bytes must be >= 0")
        if self.num_threads <= 0:
            self.num_threads = os.cpu_count() or 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _weights_from_file(path: str) -> dict[str, float]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if isinstance(data, dict):  # accept {sources: {...}} or {weights: {...}} wrappers, as mixture files use
        for key in ("weights", "sources"):
            if isinstance(data.get(key), dict):
                data = data[key]
                break
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping source -> weight")  # noqa: TRY004 - CLI reports ValueError
    out: dict[str, float] = {}
    for src, v in data.items():
        if isinstance(v, dict):
            v = v.get("proportion", v.get("weight"))
        if not isinstance(v, (int, float)) or v < 0:
            raise ValueError(f"{path}: weight of {src!r} must be a number >= 0, got {v!r}")
        out[str(src)] = float(v)
    return out


def resolve_weights(spec: str, present: Iterable[str]) -> dict[str, float]:
    """Weights of the sources present, renormalised to sum to 1. Sources without a weight get 0."""
    present = sorted(present)
    if spec == "table1":
        raw = dict(TABLE1_WEIGHTS)
    elif spec == "uniform":
        raw = {s: 1.0 for s in present}
    elif os.path.exists(spec):
        raw = _weights_from_file(spec)
    else:
        raise ValueError(f"--weights {spec!r}: expected table1, uniform, or a YAML/JSON file")
    w = {s: raw.get(s, 0.0) for s in present}
    total = sum(w.values())
    if total <= 0:
        raise ValueError(f"--weights {spec}: no weight for any source present ({', '.join(present)})")
    return {s: v / total for s, v in w.items()}
