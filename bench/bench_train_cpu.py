"""Training throughput of the tiny config on CPU, through the real loop (`train_stub.train.train`: data
windows from a memory-mapped mixture, forward, backward, AdamW) for each thread count.

    .venv/bin/python bench/bench_train_cpu.py [--steps 8] [--batch-size 8] [--vocab 8000]

Data: a synthetic mixture (tests/synthetic_mixture.py, Markov-chain tokens) with a demo-sized vocab.
The first step (allocation warm-up) is left out of the median.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from synthetic_mixture import write_mixture

from train_stub.config import named_config
from train_stub.train import TrainArgs, available_cores, train


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=8000, help="vocab of the synthetic mixture (demo-sized)")
    ap.add_argument("--threads", type=int, nargs="*", default=None, help="thread counts (default 1..cores)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures here (tokens_per_s: most threads)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cfg = named_config("tiny").with_vocab(args.vocab)
    threads = args.threads or sorted({1, available_cores()})
    print(
        f"tiny config: dim {cfg.dim}, {cfg.n_layers} layers, {cfg.n_heads} heads, seq {cfg.seq_len}, "
        f"vocab {cfg.vocab_size}: {cfg.n_params():,} params, {cfg.flops_per_token() / 1e6:.1f} MFLOP/token"
    )
    print(f"{'threads':>7} {'batch':>5} {'tokens/s':>10} {'GFLOP/s':>8} {'s/step':>7} {'loss first->last':>18}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mix = write_mixture(
            os.path.join(tmp, "mix"), vocab=args.vocab, docs_per_shard=100, n_shards=2, doc_len=(100, 400)
        )
        for n in threads:
            t0 = time.perf_counter()
            s = train(
                TrainArgs(
                    mixture=mix,
                    out=os.path.join(tmp, f"t{n}"),
                    steps=args.steps,
                    batch_size=args.batch_size,
                    eval_every=args.steps,
                    eval_batches=1,
                    threads=n,
                    log_every=10**9,
                )
            )
            per_step = (time.perf_counter() - t0) / args.steps
            tps = s["tokens_per_s"]
            print(
                f"{n:>7} {args.batch_size:>5} {tps:>10,.0f} {tps * s['flops_per_token'] / 1e9:>8.1f} "
                f"{per_step:>7.2f} {s['first_loss']:>8.3f} -> {s['last_loss']:.3f}"
            )
            rows.append(
                {
                    "threads": n,
                    "batch_size": args.batch_size,
                    "tokens_per_s": tps,
                    "gflop_per_s": tps * s["flops_per_token"] / 1e9,
                    "s_per_step": per_step,
                    "first_loss": s["first_loss"],
                    "last_loss": s["last_loss"],
                }
            )
    if args.json:
        best = max(rows, key=lambda r: r["threads"])
        config = {
            "name": "tiny",
            "dim": cfg.dim,
            "n_layers": cfg.n_layers,
            "n_heads": cfg.n_heads,
            "seq_len": cfg.seq_len,
            "vocab_size": cfg.vocab_size,
            "params": cfg.n_params(),
            "flops_per_token": cfg.flops_per_token(),
        }
        out = {
            "machine": os.uname().nodename,
            "cpus": os.cpu_count(),
            "tokens_per_s": best["tokens_per_s"],
            "threads": best["threads"],
            "steps": args.steps,
            "config": config,
            "rows": rows,
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
