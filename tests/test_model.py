"""The LLaMA stub's architecture: shapes, parameter formula, RoPE, causal SDPA, RMSNorm, overfitting."""

from __future__ import annotations

import math

import pytest
import torch

from train_stub.config import CONFIGS, ModelConfig, named_config, peak_flops
from train_stub.model import Attention, RMSNorm, Transformer, apply_rope, rope_tables


@pytest.fixture(autouse=True)
def one_thread() -> object:
    """Tiny matmuls: one thread is faster than several fighting over a shared machine's cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL = ModelConfig(dim=64, n_layers=2, n_heads=4, vocab_size=50, multiple_of=32, seq_len=32)


def test_7b_shape_matches_released_llama() -> None:
    cfg = named_config("7b")
    assert cfg.hidden_dim == 11008  # int(2*4*4096/3) = 10922 rounded up to a multiple of 256
    assert cfg.n_params() == 6_738_415_616  # the released LLaMA-7B checkpoint's parameter count
    # 6N + attention: the attention term at T=2048 adds 12*32*4096*2048 = 3.2 GFLOPs per token
    expected = 6 * (32000 * 4096 + 32 * (4 * 4096**2 + 3 * 4096 * 11008)) + 12 * 32 * 4096 * 2048
    assert cfg.flops_per_token() == expected
    assert 1.0 < cfg.flops_per_token() / (6 * cfg.n_params()) < 1.1


def test_param_count_matches_formula_and_llama_names() -> None:
    for cfg in (SMALL, CONFIGS["tiny"].with_vocab(300)):
        model = Transformer(cfg)
        assert model.n_params() == cfg.n_params()
    keys = set(Transformer(SMALL).state_dict())
    for k in (
        "tok_embeddings.weight",
        "norm.weight",
        "output.weight",
        "layers.1.attention.wq.weight",
        "layers.1.attention.wo.weight",
        "layers.0.feed_forward.w3.weight",
        "layers.0.attention_norm.weight",
        "layers.0.ffn_norm.weight",
    ):
        assert k in keys
    assert not any("rope" in k for k in keys)  # derived tables are not checkpointed
    m = Transformer(SMALL)
    assert m.output.weight.data_ptr() != m.tok_embeddings.weight.data_ptr()  # untied head


def test_forward_shapes_and_loss() -> None:
    torch.manual_seed(0)
    m = Transformer(SMALL)
    tokens = torch.randint(0, 50, (3, 17))
    logits, loss = m(tokens)
    assert logits.shape == (3, 17, 50) and loss is None
    _, loss = m(tokens, tokens)
    assert loss is not None and abs(float(loss.detach()) - math.log(50)) < 0.3  # near-uniform at init
    with pytest.raises(ValueError, match="seq_len"):
        m(torch.zeros(1, 33, dtype=torch.long))
    with pytest.raises(ValueError, match="vocab"):
        Transformer(CONFIGS["tiny"])
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(dim=65, n_layers=1, n_heads=4)


def test_rope_matches_complex_rotation() -> None:
    """Reference: llama v1's formulation, pairs (x[2i], x[2i+1]) as complex numbers times e^{i m theta_i}."""
    B, T, H, K = 2, 11, 3, 16
    x = torch.randn(B, T, H, K)
    theta = 10000.0 ** (-torch.arange(0, K, 2, dtype=torch.float64) / K)
    rot = torch.polar(torch.ones(T, K // 2, dtype=torch.float64), torch.outer(torch.arange(T).double(), theta))
    ref = torch.view_as_real(torch.view_as_complex(x.double().reshape(B, T, H, K // 2, 2)) * rot[:, None, :])
    cos, sin = rope_tables(K, 64)
    got = apply_rope(x, cos, sin)
    torch.testing.assert_close(got.double(), ref.flatten(-2), atol=1e-5, rtol=1e-5)
    # what makes it "relative": q_m . k_n depends on m - n only
    q, k = torch.randn(K), torch.randn(K)
    qs, ks = q.expand(1, T, 1, K), k.expand(1, T, 1, K)
    dots = apply_rope(qs, cos, sin)[0, :, 0] @ apply_rope(ks, cos, sin)[0, :, 0].T  # (T, T)
    assert torch.allclose(dots[5, 2], dots[8, 5], atol=1e-4) and torch.allclose(dots[3, 3], dots[9, 9], atol=1e-4)
    assert not torch.allclose(dots[5, 2], dots[5, 3], atol=1e-3)


def test_sdpa_causal_equals_explicit_masked_softmax() -> None:
    torch.manual_seed(1)
    attn = Attention(SMALL)
    B, T, D, H, K = 2, 19, SMALL.dim, SMALL.n_heads, SMALL.head_dim
    x = torch.randn(B, T, D)
    cos, sin = rope_tables(K, T)
    got = attn(x, cos, sin)
    q = apply_rope(attn.wq(x).view(B, T, H, K), cos, sin).transpose(1, 2)
    k = apply_rope(attn.wk(x).view(B, T, H, K), cos, sin).transpose(1, 2)
    v = attn.wv(x).view(B, T, H, K).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(K)  # (B, H, T, T)
    scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1), float("-inf"))
    ref = attn.wo((scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D))
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-4)


def test_causal_model_ignores_future_tokens() -> None:
    torch.manual_seed(2)
    m = Transformer(SMALL)
    a = torch.randint(0, 50, (1, 20))
    b = a.clone()
    b[0, 12:] = (b[0, 12:] + 7) % 50
    la, _ = m(a)
    lb, _ = m(b)
    torch.testing.assert_close(la[0, :12], lb[0, :12])
    assert not torch.allclose(la[0, 12:], lb[0, 12:])


def test_rmsnorm_is_computed_in_float32() -> None:
    norm = RMSNorm(8, 1e-6).to(torch.bfloat16)  # bf16 weights, as in a pure-bf16 model
    x = (torch.randn(4, 8) * 300).to(torch.bfloat16)
    out = norm(x)
    assert out.dtype == torch.bfloat16
    xf = x.float()
    ref = (xf / torch.sqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-6)).to(torch.bfloat16)
    assert torch.equal(out, ref)
    assert torch.allclose(out.float().pow(2).mean(-1), torch.ones(4), atol=0.02)


def test_tiny_model_overfits_a_fixed_batch() -> None:
    torch.manual_seed(3)
    m = Transformer(SMALL)
    tokens = torch.randint(0, 50, (4, 33))
    x, y = tokens[:, :-1], tokens[:, 1:]
    opt = torch.optim.AdamW(m.param_groups(0.0), lr=1e-2, betas=(0.9, 0.95))
    first = None
    for _ in range(50):
        _, loss = m(x, y)
        first = float(loss.detach()) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        _, loss = m(x, y)
    assert first > 3.5 and float(loss) < 0.1, (first, float(loss))


def test_param_groups_decay_matrices_only() -> None:
    m = Transformer(SMALL)
    decay, no_decay = m.param_groups(0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"]) and all(p.dim() == 1 for p in no_decay["params"])
    assert len(no_decay["params"]) == 2 * SMALL.n_layers + 1  # two norms per block and the final norm


def test_peak_flops_lookup() -> None:
    assert peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
    assert peak_flops("Some CPU") is None
