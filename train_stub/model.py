"""LLaMA-1 (Touvron et al. 2023, section 2.2) as a trainable torch module.

Pre-norm RMSNorm (Zhang & Sennrich 2019) computed in float32, SwiGLU feed-forward (Shazeer 2020) with
hidden 2/3 * 4d, rotary position embeddings (Su et al. 2021), no biases, an untied output head.
Module names follow the released llama v1 `model.py` (wq/wk/wv/wo, w1/w2/w3, attention_norm,
ffn_norm, tok_embeddings, norm, output) so its checkpoints' keys line up. Unlike the released code
(inference only: last-token logits under inference_mode) this returns full-sequence logits and the
training loss. Attention goes through `scaled_dot_product_attention(is_causal=True)`, which picks the
fused flash / memory-efficient kernels on GPU (the paper used xformers' causal kernel for the same reason).

Shape names: B batch, T sequence, D model dim, H heads, K head dim (D = H * K), F SwiGLU hidden, V vocab.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from train_stub.config import ModelConfig


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # float32 even under bf16 autocast: the mean of squares loses too much in 8 mantissa bits
        xf = x.float()
        normed = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.type_as(x) * self.weight


def rope_tables(head_dim: int, seq_len: int, theta: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of position * theta^(-2i/K) for pair i: (T, K/2) each, float32."""
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # (K/2,)
    angles = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv_freq)  # (T, K/2)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate each adjacent pair (x[2i], x[2i+1]) of x (B, T, H, K) by its angle.

    Adjacent pairs, as llama v1's `view_as_complex` on (..., K/2, 2), so the same weights give the same
    function; done with real cos/sin because complex tensors do not run under bf16 autocast.
    """
    T = x.shape[1]
    xf = x.float().unflatten(-1, (-1, 2))  # (B, T, H, K/2, 2)
    x0, x1 = xf[..., 0], xf[..., 1]  # (B, T, H, K/2)
    c, s = cos[:T, None, :], sin[:T, None, :]  # (T, 1, K/2): broadcast over batch and heads
    out = torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1)  # (B, T, H, K/2, 2)
    return out.flatten(-2).type_as(x)  # (B, T, H, K)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_heads, self.head_dim = cfg.n_heads, cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.wo = nn.Linear(cfg.dim, cfg.dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.head_dim)  # (B, T, H, K)
        k = self.wk(x).view(B, T, self.n_heads, self.head_dim)  # (B, T, H, K)
        v = self.wv(x).view(B, T, self.n_heads, self.head_dim)  # (B, T, H, K)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, T, K)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, K); scale 1/sqrt(K)
        return self.wo(y.transpose(1, 2).reshape(B, T, D))  # (B, T, D)


class FeedForward(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.w1 = nn.Linear(cfg.dim, cfg.hidden_dim, bias=False)  # gate
        self.w2 = nn.Linear(cfg.hidden_dim, cfg.dim, bias=False)  # down
        self.w3 = nn.Linear(cfg.dim, cfg.hidden_dim, bias=False)  # up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))  # (B, T, F) -> (B, T, D)


class TransformerBlock(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.attention = Attention(cfg)
        self.feed_forward = FeedForward(cfg)
        self.attention_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        h = x + self.attention(self.attention_norm(x), cos, sin)  # pre-norm residual
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.vocab_size <= 0:
            raise ValueError("model config has no vocab_size (take it from the mixture manifest)")
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(TransformerBlock(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.output = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)  # untied, as LLaMA-1
        cos, sin = rope_tables(cfg.head_dim, cfg.seq_len, cfg.rope_theta)
        # not persistent: derived from the config, so checkpoints hold only learned weights
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The paper does not state an init; GPT-2's is used: N(0, 0.02), and the two projections that
        write into the residual stream (wo, w2) scaled by 1/sqrt(2L) so its variance stays bounded."""
        for name, p in self.named_parameters():
            if p.dim() == 1:
                nn.init.ones_(p)  # RMSNorm gains
            elif name.endswith(("wo.weight", "w2.weight")):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * self.cfg.n_layers))
            else:
                nn.init.normal_(p, std=0.02)

    def forward(
        self, tokens: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """tokens (B, T) int64 -> logits (B, T, V); loss = mean next-token cross-entropy when
        targets (B, T) are given."""
        T = tokens.shape[1]
        if T > self.cfg.seq_len:
            raise ValueError(f"sequence of {T} tokens exceeds the model's seq_len {self.cfg.seq_len}")
        h = self.tok_embeddings(tokens)  # (B, T, D)
        for layer in self.layers:
            h = layer(h, self.rope_cos, self.rope_sin)
        logits = self.output(self.norm(h))  # (B, T, V)
        loss = None
        if targets is not None:
            # float32 log-softmax: bf16 logits would round the loss the optimizer sees
            loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
        return logits, loss

    def param_groups(self, weight_decay: float) -> list[dict]:
        """Decay the matrices (embedding, projections, head); not the norm gains (nor biases: none)."""
        decay = [p for p in self.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.parameters() if p.dim() < 2]
        return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
