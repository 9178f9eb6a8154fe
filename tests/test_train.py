"""The trainer on small synthetic mixtures: data windows and source accounting, manifest checks, the LR
schedule, learning below the unigram entropy, exact resume, and the `train` subcommand."""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os

import numpy as np
import pytest
import torch
from synthetic_mixture import SOURCE_CODES, write_mixture

from tokenizer.indexed import DatasetError
from train_stub import cli
from train_stub.config import ModelConfig
from train_stub.data import MixtureData
from train_stub.train import TrainArgs, lr_at, train

SMALL = {"dim": 64, "n_layers": 2, "n_heads": 4, "multiple_of": 32}


def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def small_args(mixture: str, out: str, **kw: object) -> TrainArgs:
    base: dict[str, object] = {
        "mixture": mixture,
        "out": out,
        "steps": 12,
        "batch_size": 4,
        "seq_len": 32,
        "eval_every": 4,
        "eval_batches": 2,
        "lr": 3e-3,
        "overrides": SMALL,
        "log_every": 100,
        "threads": 1,  # tiny matmuls: one thread is faster, and kinder to a shared machine
    }
    base.update(kw)
    return TrainArgs(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def mixture(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_mixture(str(tmp_path_factory.mktemp("mix")), docs_per_shard=120, n_shards=3)


def test_windows_and_source_accounting(tmp_path: object) -> None:
    path = write_mixture(
        str(tmp_path),
        sources=("github", "books", "arxiv"),
        vocab=96,
        docs_per_shard=30,
        n_shards=2,
        disjoint=True,
    )
    data = MixtureData(path, seq_len=40, seed=5)
    span = (96 - 3) // 3
    x, y = data.batch(16)
    assert x.shape == y.shape == (16, 40) and np.array_equal(x[:, 1:], y[:, :-1])
    windows, codes = data.train.sample(np.random.default_rng(1), 64)
    targets = windows[:, 1:]
    plain = targets >= 3  # BOS/EOS are shared; every other id tells its source (disjoint ranges)
    by_token = np.array([SOURCE_CODES[s] for s in ("github", "books", "arxiv")])[(targets[plain] - 3) // span]
    assert np.array_equal(codes[plain], by_token)
    served = data.served.copy()
    assert served.sum() == 16 * 40
    data.batch(8)
    assert data.served.sum() == 24 * 40
    mix = data.source_mix()
    assert set(mix) == {"github", "books", "arxiv"} and math.isclose(sum(mix.values()), 1.0)
    # validation is the last shard; training never reads it
    assert data.val.n_tokens == data.manifest["shards"][-1]["tokens"]
    assert data.train.n_tokens == data.manifest["shards"][0]["tokens"]


def test_one_shard_split_holds_out_last_documents(tmp_path: object) -> None:
    path = write_mixture(str(tmp_path), docs_per_shard=60, n_shards=1)
    data = MixtureData(path, seq_len=32, val_fraction=0.1)
    (tr,), (va,) = data.train.segments, data.val.segments
    assert tr.start == 0 and tr.end == va.start and va.end == data.manifest["shards"][0]["tokens"]
    held = int(np.searchsorted(tr.doc_starts, va.start))
    assert held == 54  # 90% of 60 documents train, the last 6 validate


def test_seeded_windows_are_reproducible(mixture: str) -> None:
    a, b, c = (MixtureData(mixture, seq_len=32, seed=s) for s in (3, 3, 4))
    xa, xb, xc = a.batch(8)[0], b.batch(8)[0], c.batch(8)[0]
    assert np.array_equal(xa, xb) and not np.array_equal(xa, xc)
    state = a.state()
    nxt = a.batch(8)[0]
    c.load_state(json.loads(json.dumps(state)))  # survives the JSON round trip of a checkpoint
    assert np.array_equal(c.batch(8)[0], nxt)


def test_manifest_mismatch_refused(tmp_path: object, mixture: str) -> None:
    with pytest.raises(DatasetError, match="vocab_size 64 != model's 32000"):
        MixtureData(mixture, seq_len=32, vocab_size=32000)
    with pytest.raises(DatasetError, match="tokenizer sha256"):
        MixtureData(mixture, seq_len=32, tokenizer_sha256="cd" * 32)
    with pytest.raises(DatasetError, match="vocab_size"):  # a named config with a fixed vocab
        train(small_args(mixture, str(tmp_path / "o100m"), config="100m", overrides={}))  # type: ignore
    # a checkpoint from one tokenizer refuses a mixture made with another
    out = str(tmp_path / "run")  # type: ignore[operator]
    train(small_args(mixture, out, steps=2, eval_every=2))
    other = write_mixture(str(tmp_path / "other"), docs_per_shard=20, tokenizer_sha256="ef" * 32)  # type: ignore
    with pytest.raises(DatasetError, match="differs from the checkpoint"):
        train(small_args(other, out, steps=4))
    with pytest.raises(DatasetError, match="too few for one window"):
        MixtureData(mixture, seq_len=100_000)


def test_lr_schedule_warmup_then_cosine_to_ten_percent() -> None:
    lrs = [lr_at(s, 1e-3, 10, 100, 0.1) for s in range(100)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a <= b for a, b in itertools.pairwise(lrs[:10]))
    assert all(a >= b for a, b in itertools.pairwise(lrs[10:]))
    assert min(lrs) >= 1e-4 - 1e-12 and lr_at(100, 1e-3, 10, 100, 0.1) == pytest.approx(1e-4)
    assert lr_at(55, 1e-3, 10, 100, 0.1) == pytest.approx(0.55e-3)  # halfway: the mean of peak and floor


def test_training_beats_unigram_entropy(tmp_path: object, mixture: str) -> None:
    out = str(tmp_path / "t")  # type: ignore[operator]
    s = train(small_args(mixture, out, steps=80, batch_size=8, eval_every=40, eval_batches=4))
    assert s["first_loss"] > s["unigram_entropy_nats"] > 3.0
    assert s["final_val_loss"] < s["unigram_entropy_nats"] - 1.0, s
    assert set(s["final_val_loss_by_source"]) == {"common_crawl", "wikipedia"}
    assert s["tokens_per_s"] > 0 and s["params"] == ModelConfig(**s["model_config"]).n_params() == 115_008
    rows = read_jsonl(os.path.join(out, "metrics.jsonl"))
    assert [r["step"] for r in rows] == list(range(1, 81))
    assert [r["step"] for r in rows if "val_loss" in r] == [40, 80]
    assert {"loss", "lr", "tokens_per_s", "grad_norm"} <= set(rows[0])
    assert read_json(os.path.join(out, "summary.json"))["final_val_loss"] == s["final_val_loss"]
    assert sum(s["source_mix_served"].values()) == pytest.approx(1.0)


def test_resume_gives_the_same_losses_as_an_unbroken_run(tmp_path: object, mixture: str) -> None:
    whole, split = str(tmp_path / "whole"), str(tmp_path / "split")  # type: ignore[operator]
    train(small_args(mixture, whole, grad_accum=2))
    first = train(small_args(mixture, split, grad_accum=2, stop_after=6))
    assert first["steps"] == 6 and os.path.exists(os.path.join(split, "checkpoint", "model.pt"))
    # a killed run may have logged past its checkpoint: those lines are dropped on resume
    with open(os.path.join(split, "metrics.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps({"step": 7, "loss": 99.0}) + "\n")
    train(small_args(mixture, split, grad_accum=2))
    a = read_jsonl(os.path.join(whole, "metrics.jsonl"))
    b = read_jsonl(os.path.join(split, "metrics.jsonl"))
    assert [r["step"] for r in b] == list(range(1, 13))
    for ra, rb in zip(a, b, strict=True):
        # exact: same weights, optimizer moments, schedule step and data RNG state -> the same floats
        assert ra["loss"] == rb["loss"] and ra["lr"] == rb["lr"] and ra.get("val_loss") == rb.get("val_loss")
    sa = torch.load(os.path.join(whole, "checkpoint", "model.pt"), weights_only=True)
    sb = torch.load(os.path.join(split, "checkpoint", "model.pt"), weights_only=True)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_cli_train_subcommand(tmp_path: object, mixture: str, capsys: pytest.CaptureFixture) -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    out = str(tmp_path / "cli")  # type: ignore[operator]
    args = parser.parse_args(
        [
            "train",
            "--mixture",
            mixture,
            "--steps",
            "3",
            "--out",
            out,
            "--batch-size",
            "2",
            "--seq-len",
            "32",
            "--eval-every",
            "3",
            "--eval-batches",
            "1",
            "--threads",
            "1",
        ]
    )
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert '"final_val_loss"' in printed and os.path.exists(os.path.join(out, "summary.json"))
    assert read_json(os.path.join(out, "summary.json"))["steps"] == 3


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when no CUDA device exists")
def test_cuda_request_without_gpu_is_a_clear_error(tmp_path: object, mixture: str) -> None:
    with pytest.raises(ValueError, match="no CUDA device"):
        train(small_args(mixture, str(tmp_path), device="cuda"))
