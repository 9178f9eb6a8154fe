"""The training loop: LLaMA-1's optimisation recipe (Touvron et al. 2023, section 2.3) at any size.

AdamW (beta 0.9, 0.95), weight decay 0.1 on matrices only, cosine decay to 10% of the peak after a
linear warmup, gradient clipping at 1.0, bf16 autocast on CUDA, gradient accumulation. Writes
`<out>/metrics.jsonl` (a line per step, plus eval lines), `<out>/summary.json`, and a checkpoint
`<out>/checkpoint/` (state dicts via torch.save, read back with weights_only=True, + state.json)
that resumes exactly: model, optimizer moments, step (the schedule is a function of it) and the data
sampler's RNG state, so a resumed run's losses equal an unbroken run's.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from train_stub.config import DEFAULT_LR, ModelConfig, named_config, peak_flops
from train_stub.data import MixtureData
from train_stub.model import Transformer

log = logging.getLogger(__name__)
CKPT = "checkpoint"


@dataclass
class TrainArgs:
    mixture: str
    out: str
    config: str = "tiny"
    steps: int = 200  # total optimizer steps; the cosine schedule spans these
    device: str = "cpu"
    batch_size: int = 16  # sequences per micro-batch
    grad_accum: int = 1  # micro-batches per optimizer step
    lr: float | None = None  # peak; None: the named config's default
    warmup: int | None = None  # None: 10% of the steps (the paper's 2000 of ~350k is far less)
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    clip: float = 1.0
    eval_every: int = 50
    eval_batches: int = 4
    seed: int = 0
    seq_len: int | None = None  # None: the config's
    stop_after: int | None = None  # stop (and checkpoint) after this step, as a preempted run would
    fresh: bool = False  # ignore an existing checkpoint in `out`
    log_every: int = 10
    threads: int | None = None  # torch CPU threads; None: default_threads()
    peak_tflops: float | None = None  # for MFU when the GPU is not in config.PEAK_BF16_FLOPS
    overrides: dict[str, Any] = field(default_factory=dict)  # ModelConfig fields (tests: small dims)


def lr_at(step: int, peak: float, warmup: int, total: int, min_ratio: float) -> float:
    """Learning rate for update `step` (0-based): linear warmup, then cosine from peak to min_ratio*peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_threads() -> int:
    """The cores this process may use, less one for the OS and anything else running: OpenMP threads
    spin-wait for each other, so one descheduled thread stalls every matmul. On a shared 2-core machine
    bench/bench_train_cpu.py measured 2 threads 2.7-3.9x slower than 1 (load 3-7), never faster."""
    return max(1, available_cores() - 1)


def save_checkpoint(out: str, model: torch.nn.Module, opt: torch.optim.Optimizer, state: dict) -> None:
    """Write to a temp folder, then swap: a run killed mid-save keeps its previous checkpoint."""
    final, tmp, old = (os.path.join(out, n) for n in (CKPT, CKPT + ".tmp", CKPT + ".old"))
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    torch.save(model.state_dict(), os.path.join(tmp, "model.pt"))
    torch.save(opt.state_dict(), os.path.join(tmp, "optimizer.pt"))
    with open(os.path.join(tmp, "state.json"), "w", encoding="utf-8") as f:
        json.dump(state, f, indent=1)
    if os.path.exists(final):
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def load_state(out: str) -> dict | None:
    path = os.path.join(out, CKPT, "state.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_metrics(path: str, upto: int | None = None) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if upto is None or r["step"] <= upto]


@torch.no_grad()
def evaluate(model: Transformer, batches: list, device: str, autocast: Any) -> tuple[float, dict[int, float]]:
    """Token-weighted validation loss, overall and per source code of the target token."""
    model.eval()
    loss_sum, count = np.zeros(256), np.zeros(256)
    for x, y, codes in batches:
        with autocast():
            logits, _ = model(torch.from_numpy(x).to(device))
        per_tok = (
            F.cross_entropy(logits.float().flatten(0, 1), torch.from_numpy(y).to(device).flatten(), reduction="none")
            .cpu()
            .numpy()
        )
        loss_sum += np.bincount(codes.ravel(), weights=per_tok, minlength=256)
        count += np.bincount(codes.ravel(), minlength=256)
    model.train()
    return float(loss_sum.sum() / count.sum()), {c: float(loss_sum[c] / count[c]) for c in np.flatnonzero(count)}


# Arguments that shape the trajectory: changing one between a checkpoint and its resume breaks exactness.
TRAJECTORY = (
    "config",
    "steps",
    "batch_size",
    "grad_accum",
    "lr",
    "warmup",
    "min_lr_ratio",
    "weight_decay",
    "clip",
    "seed",
    "seq_len",
    "overrides",
)


def check_args(a: TrainArgs, state: dict | None) -> None:
    for name in ("steps", "batch_size", "grad_accum", "eval_every", "eval_batches"):
        if getattr(a, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(a, name)}")
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device visible to torch")
    if state:
        old = state.get("args", {})
        changed = [k for k in TRAJECTORY if k in old and old[k] != getattr(a, k)]
        if changed:
            log.warning("resuming with changed %s: the run will not match an unbroken one", ", ".join(changed))


def train(a: TrainArgs) -> dict[str, Any]:
    torch.set_num_threads(a.threads or default_threads())
    os.makedirs(a.out, exist_ok=True)
    state = None if a.fresh else load_state(a.out)
    check_args(a, state)
    if state:  # the checkpoint fixes the model (and so the tokenizer); the manifest must match it
        cfg = ModelConfig.from_dict(state["model_config"])
        log.info("resuming from %s at step %d", os.path.join(a.out, CKPT), state["step"])
    else:
        cfg = dataclasses.replace(named_config(a.config), **a.overrides)
        cfg = dataclasses.replace(cfg, seq_len=a.seq_len) if a.seq_len else cfg
    sha = state["tokenizer_sha256"] if state else None
    data = MixtureData(a.mixture, cfg.seq_len, cfg.vocab_size or None, tokenizer_sha256=sha, seed=a.seed)
    cfg = cfg if cfg.vocab_size else cfg.with_vocab(data.vocab_size)
    torch.manual_seed(a.seed)
    model = Transformer(cfg).to(a.device)
    cuda = a.device.startswith("cuda")
    peak_lr = a.lr or DEFAULT_LR.get(a.config, 3e-4)
    warmup = a.warmup if a.warmup is not None else max(1, a.steps // 10)
    groups = model.param_groups(a.weight_decay)
    opt = torch.optim.AdamW(groups, lr=peak_lr, betas=(0.9, 0.95), eps=1e-8, fused=cuda)
    start = 0
    if state:
        ckpt = os.path.join(a.out, CKPT)
        for obj, name in ((model, "model.pt"), (opt, "optimizer.pt")):
            obj.load_state_dict(torch.load(os.path.join(ckpt, name), map_location=a.device, weights_only=True))
        data.load_state(state["data"])
        start = state["step"]

    def autocast() -> Any:
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda)

    peak = None
    if cuda:
        peak = a.peak_tflops * 1e12 if a.peak_tflops else peak_flops(torch.cuda.get_device_name())
    flops_tok = cfg.flops_per_token(cfg.seq_len)
    val = data.val_batches(a.eval_batches, a.batch_size, a.seed)
    metrics_path = os.path.join(a.out, "metrics.jsonl")
    rows = read_metrics(metrics_path, upto=start)  # drop lines a killed run wrote after its checkpoint
    with open(metrics_path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    tokens_per_step = a.batch_size * a.grad_accum * cfg.seq_len
    stop = min(a.steps, a.stop_after or a.steps)
    log.info("model %s: %s params, steps %d..%d of %d, %d tokens/step, lr %.1e, warmup %d, %s, %d threads",
             cfg, f"{model.n_params():,}", start + 1, stop, a.steps, tokens_per_step, peak_lr, warmup, a.device,
             torch.get_num_threads())  # fmt: skip

    def checkpoint(step: int) -> None:
        state = {"step": step, "model_config": cfg.to_dict(), "data": data.state(), "mixture": a.mixture,
                 "tokenizer_sha256": data.tokenizer_sha256, "args": dataclasses.asdict(a)}  # fmt: skip
        save_checkpoint(a.out, model, opt, state)

    with open(metrics_path, "a", encoding="utf-8") as mf:
        for step in range(start, stop):
            lr = lr_at(step, peak_lr, warmup, a.steps, a.min_lr_ratio)
            for g in opt.param_groups:
                g["lr"] = lr
            t0 = time.perf_counter()
            loss_sum = torch.zeros((), device=a.device)
            for _ in range(a.grad_accum):
                x, y = (torch.from_numpy(t).to(a.device) for t in data.batch(a.batch_size))
                with autocast():
                    _, loss = model(x, y)
                (loss / a.grad_accum).backward()  # mean over micro-batches = the full batch's mean
                loss_sum += loss.detach()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            row: dict[str, Any] = {"step": step + 1, "loss": float(loss_sum) / a.grad_accum, "lr": lr,
                                   "grad_norm": float(grad_norm)}  # fmt: skip
            row["tokens_per_s"] = tokens_per_step / (time.perf_counter() - t0)  # float() above synced
            if peak:
                row["mfu"] = flops_tok * row["tokens_per_s"] / peak
            if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
                vl, by_code = evaluate(model, val, a.device, autocast)
                row["val_loss"] = vl
                row["val_loss_by_source"] = {data.source_names.get(c, str(c)): v for c, v in by_code.items()}
                per_source = " ".join(f"{k}={v:.3f}" for k, v in row["val_loss_by_source"].items())
                log.info("step %d val loss %.4f %s", step + 1, vl, per_source)
            mf.write(json.dumps(row) + "\n")
            mf.flush()
            if (step + 1) % a.log_every == 0 or step == start:
                mfu = f" mfu {row['mfu']:.1%}" if "mfu" in row else ""
                log.info("step %d/%d loss %.4f lr %.2e %s tok/s%s", step + 1, a.steps, row["loss"], lr,
                         f"{row['tokens_per_s']:,.0f}", mfu)  # fmt: skip
            if (step + 1) % a.eval_every == 0 and step + 1 < stop:
                checkpoint(step + 1)
    if stop > start:
        checkpoint(stop)
    summary = summarize(read_metrics(metrics_path), data, model, cfg, a, flops_tok)
    with open(os.path.join(a.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    return summary


def summarize(
    rows: list[dict], data: MixtureData, model: Transformer, cfg: ModelConfig, a: TrainArgs, flops_tok: float
) -> dict[str, Any]:
    losses = [r["loss"] for r in rows]
    evals = [r for r in rows if "val_loss" in r]
    speeds = [r["tokens_per_s"] for r in rows[1:]] or [r["tokens_per_s"] for r in rows]  # step 1 warms up
    out: dict[str, Any] = {
        "steps": rows[-1]["step"] if rows else 0,
        "steps_planned": a.steps,
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "last_loss_mean10": float(np.mean(losses[-10:])) if losses else None,
        "final_val_loss": evals[-1]["val_loss"] if evals else None,
        "final_val_loss_by_source": evals[-1]["val_loss_by_source"] if evals else {},
        "unigram_entropy_nats": data.unigram_entropy(),
        "tokens_per_s": float(np.median(speeds)) if speeds else None,
        "tokens_seen": len(rows) * a.batch_size * a.grad_accum * cfg.seq_len,
        "params": model.n_params(),
        "flops_per_token": flops_tok,
        "model_config": cfg.to_dict(),
        "device": a.device,
        "threads": torch.get_num_threads(),
        "train_tokens": data.train.n_tokens,
        "val_tokens": data.val.n_tokens,
        "source_mix_served": data.source_mix(),
        "loss_curve": [[r["step"], r["loss"]] for r in rows[:: max(1, len(rows) // 200)]],  # <= ~200 points
    }
    if rows and "mfu" in rows[-1]:
        out["mfu"] = float(np.median([r["mfu"] for r in rows[1:] or rows]))
    return out
