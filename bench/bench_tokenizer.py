"""Tokenizer benchmark: training time + peak RSS, encode throughput of the Beam job against bare
SentencePiece on the same text, bytes per token per source, and (optionally) a check that Megatron-LM's
own IndexedDataset opens the written datasets.

    .venv/bin/python bench/bench_tokenizer.py --mb-per-source 1 --vocab 2000 [--megatron-path /tmp/mcore]

The corpus is built from local text (tests/local_corpus.py), so the numbers measure the machinery,
not web text. `--megatron-path` is a folder holding an installed `megatron` package (e.g.
`pip install --no-deps --target /tmp/mcore megatron-core`); it is put on PYTHONPATH of a child only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [HERE, os.path.join(HERE, "tests")]  # the project, and the test fixtures
os.environ.setdefault("BEAM_DIRECT_RUNNER_DISABLE_PRISM", "1")

TRAIN_CHILD = """
import sys, time, resource, json
from tokenizer.config import TrainConfig
from tokenizer.train import train
t0 = time.time()
cfg = TrainConfig([sys.argv[1]], sys.argv[2], vocab_size=int(sys.argv[3]), sample_bytes=int(sys.argv[4]))
meta = train(cfg)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.time() - t0, "rss_mb": rss, "bytes": meta["training_bytes"]}))
"""

MEGATRON_CHILD = """
import sys, json, numpy as np
from megatron.core.datasets.indexed_dataset import IndexedDataset as MegatronDataset
from tokenizer.datasets import list_token_datasets, open_token_dataset
checked = docs = 0
for src, prefixes in list_token_datasets(sys.argv[1]).items():
    for p in prefixes:
        m, ours = MegatronDataset(p), open_token_dataset(p)
        assert len(m) == len(ours), p
        for i in range(len(ours)):
            assert np.array_equal(m[i], ours[i]), (p, i)
        docs += len(ours); checked += 1
print(json.dumps({"datasets": checked, "documents": docs}))
"""


def bare_encode(model: str, texts: list[str], threads: int) -> tuple[float, int]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=model)
    t0 = time.perf_counter()
    ids = sp.encode(texts, add_bos=True, add_eos=True, num_threads=threads)
    return time.perf_counter() - t0, sum(map(len, ids))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default="/tmp/bench_tokenizer")
    ap.add_argument("--mb-per-source", type=float, default=1.0)
    ap.add_argument("--vocab", type=int, default=2000)
    ap.add_argument("--sample-mb", type=float, default=3.0, help="training sample size")
    ap.add_argument("--threads", default="", help="comma list of thread counts to compare (default 1,cores)")
    ap.add_argument("--megatron-path", help="folder with megatron-core installed (--target); optional")
    ap.add_argument("--json", metavar="PATH", help="also write the figures here (read by `llama-data capacity`)")
    args = ap.parse_args()

    import pyarrow.parquet as pq
    from local_corpus import build_clean_folder

    from tokenizer.encode_job import run_encode
    from tokenizer.sources import discover

    clean, tokens, prefix = (os.path.join(args.workdir, n) for n in ("clean", "tokens", "tok"))
    if not os.path.isdir(clean):
        build_clean_folder(clean, int(args.mb_per_source * 1e6), shards_per_source=2)
    cores = os.cpu_count() or 1
    report: dict = {"cores": cores, "vocab": args.vocab}

    env = {**os.environ, "PYTHONPATH": HERE}
    out = subprocess.run(
        [sys.executable, "-c", TRAIN_CHILD, clean, prefix, str(args.vocab), str(int(args.sample_mb * 1e6))],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    report["train"] = json.loads(out.stdout.strip().splitlines()[-1])
    model = prefix + ".model"

    texts = [
        t for paths in discover([clean]).values() for p in paths for t in pq.read_table(p).column("text").to_pylist()
    ]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    report["text_mb"] = round(mb, 3)
    rows = []
    thread_list = sorted({int(x) for x in args.threads.split(",")} if args.threads else {1, cores})
    for threads in thread_list:
        secs, n_tok = bare_encode(model, texts, threads)
        rows.append({"what": "bare SentencePiece", "threads": threads, "seconds": secs, "tokens": n_tok})
        res = run_encode(model, [clean], tokens, ["--runner=DirectRunner"], num_threads=threads, force=True)
        n = sum(s["tokens"] for s in res["sources"].values())
        rows.append({"what": "Beam encode job", "threads": threads, "seconds": res["wall_seconds"], "tokens": n})
    for r in rows:
        r["mb_s"], r["tok_s"] = mb / r["seconds"], r["tokens"] / r["seconds"]
    report["encode"] = rows
    report["bytes_per_token"] = {s: v["bytes_per_token"] for s, v in res["sources"].items()}
    if args.megatron_path:
        env_m = {**env, "PYTHONPATH": f"{HERE}:{args.megatron_path}"}
        m = subprocess.run(
            [sys.executable, "-c", MEGATRON_CHILD, tokens],
            env=env_m,
            capture_output=True,
            text=True,
            check=False,
        )
        report["megatron_core"] = (
            json.loads(m.stdout.strip().splitlines()[-1])
            if m.returncode == 0
            else {"error": m.stderr.strip().splitlines()[-1:]}
        )

    t = report["train"]
    print(
        f"training: {t['bytes'] / 1e6:.2f} MB sample, vocab {args.vocab}: {t['seconds']:.2f} s, "
        f"peak RSS {t['rss_mb']:.0f} MB"
    )
    print(f"encode of {mb:.2f} MB of text ({cores} cores):")
    print(f"| {'what':20s} | threads | {'MB/s':>7s} | {'tokens/s':>10s} |")
    for r in rows:
        print(f"| {r['what']:20s} | {r['threads']:7d} | {r['mb_s']:7.2f} | {r['tok_s']:10.0f} |")
    for threads in thread_list:
        bare = next(r for r in rows if r["threads"] == threads and r["what"].startswith("bare"))
        beam = next(r for r in rows if r["threads"] == threads and r["what"].startswith("Beam"))
        print(f"Beam / bare at {threads} thread(s): {beam['mb_s'] / bare['mb_s']:.2f}x")
    print("bytes per token:", ", ".join(f"{s} {v}" for s, v in report["bytes_per_token"].items()))
    if "megatron_core" in report:
        print("megatron-core IndexedDataset:", report["megatron_core"])
    with open(os.path.join(args.workdir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(f"rusage self max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        write_json(args.json, report, rows)
    return 0


def write_json(path: str, report: dict, rows: list[dict]) -> None:
    """The capacity planner's keys: the Beam job's MB/s and tokens/s per core (from the fewest-threads run,
    divided by its thread count: a capacity plan counts cores), and the same for bare SentencePiece."""
    threads = min(r["threads"] for r in rows)
    beam = next(r for r in rows if r["threads"] == threads and r["what"].startswith("Beam"))
    bare = next(r for r in rows if r["threads"] == threads and r["what"].startswith("bare"))
    out = {
        "machine": os.uname().nodename,
        "cpus": os.cpu_count(),
        "threads": threads,
        "encode_mb_per_s": beam["mb_s"] / threads,
        "bare_mb_per_s": bare["mb_s"] / threads,
        "ratio_vs_bare": beam["mb_s"] / bare["mb_s"],  # throughput ratio, as the "Beam / bare" line prints
        "tokens_per_s": beam["tok_s"] / threads,
        "bare_tokens_per_s": bare["tok_s"] / threads,
        **report,
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
