"""GPU training throughput and MFU of the ~100M config in bf16: SDPA flash vs memory-efficient vs math kernel.

    .venv/bin/python bench/bench_train_gpu.py [--batch-size 16] [--steps 20] [--seq-lens 1024 2048]

Per (attention kernel, sequence length): a full training step (bf16 autocast forward, float32 loss,
backward, clipping, fused AdamW) on random tokens, timed over --steps after --warmup steps, with
`torch.nn.attention.sdpa_kernel` pinning the kernel. MFU = (6N + 12*L*d*T) * tokens/s / the GPU's dense
bf16 peak (train_stub/config.py). Then a short run of the real trainer (`train_stub.train.train`, tiny
config, synthetic mixture) on CUDA, so the loop itself is shown to run on a GPU unchanged.
Finishes in well under 5 minutes on an A100/H100-class GPU; exits 0 with a message when no CUDA.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

import torch

from train_stub.config import ModelConfig, named_config, peak_flops
from train_stub.model import Transformer


def bench_step(cfg: ModelConfig, backend: object, batch: int, steps: int, warmup: int, device: str) -> dict:
    from torch.nn.attention import sdpa_kernel

    cuda = device == "cuda"
    torch.manual_seed(0)
    model = Transformer(cfg).to(device)
    opt = torch.optim.AdamW(model.param_groups(0.1), lr=3e-4, betas=(0.9, 0.95), fused=cuda)
    x = torch.randint(0, cfg.vocab_size, (batch, cfg.seq_len + 1), device=device)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times = []
    with sdpa_kernel(backend):
        for i in range(warmup + steps):
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
                _, loss = model(x[:, :-1], x[:, 1:])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            if cuda:
                torch.cuda.synchronize()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    dt = sorted(times)[len(times) // 2]  # median: robust to a stray slow step
    mem = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
    out = {
        "tokens_per_s": batch * cfg.seq_len / dt,
        "ms_per_step": dt * 1e3,
        "loss": float(loss.detach()),
        "mem": mem,
    }
    del model, opt
    if cuda:
        torch.cuda.empty_cache()
    return out


def smoke_train(steps: int, device: str) -> None:
    """The trainer itself on CUDA: bf16 autocast, fused AdamW, MFU logging, eval, checkpoint."""
    from synthetic_mixture import write_mixture

    from train_stub.train import TrainArgs, train

    with tempfile.TemporaryDirectory() as tmp:
        mix = write_mixture(os.path.join(tmp, "mix"), vocab=512, docs_per_shard=400, n_shards=2, doc_len=(200, 800))
        t0 = time.perf_counter()
        s = train(
            TrainArgs(
                mixture=mix,
                out=os.path.join(tmp, "run"),
                steps=steps,
                device=device,
                batch_size=32 if device == "cuda" else 2,
                eval_every=steps,
                log_every=10**9,
            )
        )
        print(
            f"\ntrainer on {device} (tiny config, vocab 512, {steps} steps, {time.perf_counter() - t0:.1f} s): "
            f"loss {s['first_loss']:.3f} -> {s['last_loss']:.3f}, val {s['final_val_loss']:.3f} "
            f"(unigram entropy {s['unigram_entropy_nats']:.3f}), {s['tokens_per_s']:,.0f} tokens/s, "
            f"MFU {s.get('mfu', float('nan')):.2%}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="100m")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--seq-lens", type=int, nargs="+", default=[1024, 2048])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak, if the GPU is not known")
    ap.add_argument("--no-smoke", action="store_true", help="skip the short run of the real trainer")
    ap.add_argument("--cpu-check", action="store_true", help="run the script's logic on CPU with tiny shapes")
    args = ap.parse_args()
    device = "cpu" if args.cpu_check else "cuda"
    if args.cpu_check:  # exercises every code path but the CUDA-only calls; the numbers mean nothing
        args.config, args.seq_lens, args.batch_size, args.steps, args.warmup = "tiny", [64, 128], 2, 2, 1
    elif not torch.cuda.is_available():
        print("bench_train_gpu: no CUDA device visible to torch; nothing to measure (run it on a GPU machine).")
        return 0
    from torch.nn.attention import SDPBackend

    name = torch.cuda.get_device_name() if device == "cuda" else "CPU check"
    peak = args.peak_tflops * 1e12 if args.peak_tflops else peak_flops(name)
    base = named_config(args.config)
    base = base.with_vocab(512) if args.cpu_check else base
    print(
        f"{name}, torch {torch.__version__}, peak bf16 "
        f"{f'{peak / 1e12:.0f} TFLOP/s' if peak else 'unknown (pass --peak-tflops)'}"
    )
    print(
        f"config {args.config}: dim {base.dim}, {base.n_layers} layers, {base.n_heads} heads, vocab "
        f"{base.vocab_size}, {base.n_params() / 1e6:.1f}M params ({base.matmul_params() / 1e6:.1f}M in matmuls)"
    )
    print(f"\n{'kernel':>6} {'seq':>5} {'batch':>5} {'tokens/s':>11} {'ms/step':>8} {'MFU':>7} {'mem GiB':>8}")
    # one batch size for both lengths keeps the tokens per step comparable: halve it at 2x length
    for seq in args.seq_lens:
        cfg = dataclasses.replace(base, seq_len=seq)
        batch = max(1, args.batch_size * args.seq_lens[0] // seq)
        kernels = (
            ("flash", SDPBackend.FLASH_ATTENTION),
            ("effic", SDPBackend.EFFICIENT_ATTENTION),
            ("math", SDPBackend.MATH),
        )
        for label, backend in kernels:
            try:
                r = bench_step(cfg, backend, batch, args.steps, args.warmup, device)
            except (RuntimeError, torch.cuda.OutOfMemoryError) as e:  # e.g. no flash kernel on this GPU
                print(f"{label:>6} {seq:>5} {batch:>5}  failed: {str(e).splitlines()[0][:80]}")
                torch.cuda.empty_cache()
                continue
            mfu = cfg.flops_per_token(seq) * r["tokens_per_s"] / peak if peak else float("nan")
            print(
                f"{label:>6} {seq:>5} {batch:>5} {r['tokens_per_s']:>11,.0f} {r['ms_per_step']:>8.1f} "
                f"{mfu:>7.1%} {r['mem']:>8.1f}"
            )
    if not args.no_smoke:
        smoke_train(3 if args.cpu_check else 60, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
