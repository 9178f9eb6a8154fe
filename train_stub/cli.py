"""`llama-data train`: train the LLaMA stub on a mixture folder (torch is imported in the handler)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a small LLaMA on a mixture (loss, tokens/s, MFU, resumable checkpoints)",
        description="Train the minimal LLaMA-1 on a mixture built by `llama-data mixture build`. Writes "
        "OUT/metrics.jsonl, OUT/summary.json and OUT/checkpoint/; rerunning with the same OUT resumes "
        "from the checkpoint exactly (use --fresh to start over).",
    )
    p.add_argument("--mixture", required=True, help="mixture folder (manifest.json + shards)")
    p.add_argument("--config", default="tiny", help="named model config: tiny, 100m, 7b (default tiny)")
    p.add_argument("--steps", type=int, default=200, help="optimizer steps (the LR schedule spans them)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (bf16 autocast on cuda)")
    p.add_argument("--out", default="out/train", help="output folder (default out/train)")
    p.add_argument("--batch-size", type=int, default=16, help="sequences per micro-batch")
    p.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimizer step")
    p.add_argument("--seq-len", type=int, default=None, help="context length (default: the config's)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the config's)")
    p.add_argument("--warmup", type=int, default=None, help="warmup steps (default 10%% of --steps)")
    p.add_argument("--eval-every", type=int, default=50, help="validate (and checkpoint) every N steps")
    p.add_argument("--eval-batches", type=int, default=4, help="validation batches per evaluation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--stop-after",
        type=int,
        default=None,
        help="stop and checkpoint after this step (the schedule still spans --steps)",
    )
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    p.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: usable cores - 1, at least 1)"
    )
    p.add_argument(
        "--peak-tflops",
        type=float,
        default=None,
        help="the GPU's dense bf16 peak for MFU, if torch's device name is not known",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from train_stub.train import TrainArgs, train

    summary = train(
        TrainArgs(
            mixture=args.mixture,
            out=args.out,
            config=args.config,
            steps=args.steps,
            device=args.device,
            batch_size=args.batch_size,
            grad_accum=args.grad_accum,
            lr=args.lr,
            warmup=args.warmup,
            eval_every=args.eval_every,
            eval_batches=args.eval_batches,
            seed=args.seed,
            seq_len=args.seq_len,
            stop_after=args.stop_after,
            fresh=args.fresh,
            threads=args.threads,
            peak_tflops=args.peak_tflops,
        )
    )
    keys = (
        "steps",
        "first_loss",
        "last_loss",
        "final_val_loss",
        "unigram_entropy_nats",
        "tokens_per_s",
        "mfu",
        "params",
        "final_val_loss_by_source",
        "source_mix_served",
    )
    print(json.dumps({k: summary[k] for k in keys if k in summary}, indent=2))
    print(f"wrote {args.out}/summary.json, {args.out}/metrics.jsonl, {args.out}/checkpoint/")
    return 0
