"""Model shapes as data: named configs, the LLaMA parameter formula and FLOP accounting.

LLaMA-1 (Touvron et al. 2023, Table 2) gives 7B as dim 4096, 32 layers, 32 heads; the released
tokenizer has 32000 pieces. The parameter formula below reproduces the released 7B count exactly
(6,738,415,616), which the tests check.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelConfig:
    dim: int
    n_layers: int
    n_heads: int
    vocab_size: int = 0  # 0: taken from the mixture's manifest (the tokenizer decides)
    multiple_of: int = 256  # SwiGLU hidden size is rounded up to a multiple of this (llama v1 ModelArgs)
    norm_eps: float = 1e-6
    seq_len: int = 2048  # training context (windows of seq_len + 1 tokens)
    rope_theta: float = 10000.0

    def __post_init__(self) -> None:
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")
        if (self.dim // self.n_heads) % 2:
            raise ValueError("head dim must be even for rotary embeddings")

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @property
    def hidden_dim(self) -> int:
        """SwiGLU width: 2/3 of the usual 4d (three matrices instead of two keep the FLOPs equal,
        Shazeer 2020), rounded up to `multiple_of` as in llama v1."""
        hidden = int(2 * 4 * self.dim / 3)
        return self.multiple_of * math.ceil(hidden / self.multiple_of)

    def n_params(self) -> int:
        """Embedding + untied output head + per layer (4 d^2 attention, 3 d h SwiGLU, 2 norms) + final norm."""
        d, v, h = self.dim, self.vocab_size, self.hidden_dim
        per_layer = 4 * d * d + 3 * d * h + 2 * d
        return 2 * v * d + self.n_layers * per_layer + d

    def matmul_params(self) -> int:
        """Parameters that take part in a matmul (all but the embedding lookup and the norm gains)."""
        d, h = self.dim, self.hidden_dim
        return self.vocab_size * d + self.n_layers * (4 * d * d + 3 * d * h)

    def flops_per_token(self, seq_len: int | None = None) -> float:
        """Training FLOPs per token: 6N for the matmuls (forward 2N, backward 4N; Kaplan et al. 2020)
        plus 12 * L * d * T for the attention scores and the weighted sum (PaLM, Chowdhery et al. 2022,
        appendix B). Causal masking is not discounted, matching how MFU is usually reported."""
        t = self.seq_len if seq_len is None else seq_len
        return 6.0 * self.matmul_params() + 12.0 * self.n_layers * self.dim * t

    def with_vocab(self, vocab_size: int) -> ModelConfig:
        return dataclasses.replace(self, vocab_size=vocab_size)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - fields
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**d)


CONFIGS: dict[str, ModelConfig] = {
    # Trains on 2 CPU cores in minutes; vocab comes from the mixture (a tokenizer sized to the samples).
    "tiny": ModelConfig(dim=128, n_layers=4, n_heads=4, multiple_of=64, seq_len=256),
    # ~110M matmul parameters (GPT-2 small's shape with LLaMA's blocks): the GPU benchmark.
    "100m": ModelConfig(dim=768, n_layers=12, n_heads=12, vocab_size=32000, seq_len=1024),
    # LLaMA-1 7B's shape (Table 2), for FLOP accounting; not meant to be trained here.
    "7b": ModelConfig(dim=4096, n_layers=32, n_heads=32, vocab_size=32000, seq_len=2048),
}

# Peak learning rates: the paper's 3e-4 for 7B; smaller models tolerate (and need) more.
DEFAULT_LR = {"tiny": 3e-3, "100m": 6e-4, "7b": 3e-4}

# Dense bf16 tensor-core peaks (vendor datasheets) for MFU; matched against torch's device name.
PEAK_BF16_FLOPS = [
    ("H200", 989e12),
    ("H100", 989e12),
    ("A100", 312e12),
    ("L40S", 362e12),
    ("A10G", 70e12),
    ("L4", 121e12),
    ("A10", 125e12),
]


def named_config(name: str) -> ModelConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown model config {name!r}; expected one of {', '.join(CONFIGS)}") from None


def peak_flops(device_name: str) -> float | None:
    for key, flops in PEAK_BF16_FLOPS:
        if key in device_name:
            return flops
    return None
