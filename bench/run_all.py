"""Run every benchmark in sequence (`make bench`), each as its own process, and save each one's figures as
bench/results/<name>.json, the files `llama-data capacity` reads (by file stem).

    .venv/bin/python bench/run_all.py                  # each bench at its default (small) size
    .venv/bin/python bench/run_all.py --quick          # smaller sizes where the bench has a size option
    .venv/bin/python bench/run_all.py --only tokenizer mixture --dry-run
    .venv/bin/python bench/run_all.py --only cc_scale     # the long CommonCrawl scale bench (not in the default set)

The sample corpus (`llama-data samples`, built once into the cache) is the input of the benches that read
one. bench_cc.py and bench_cc_scale.py also need the demo's models (`make demo`); without them each is
reported and skipped. bench_cc_scale.py (real-page corpus of ~45 MB, memory up to >= 1 GB of text; tens of
minutes on a small machine) is not in the default set: name it with --only. Nor is bench_joins_scaling.py
(`--only joins_scaling`: GitHub, C4, StackExchange and books jobs at 1x and 10x, ~15 MB and ~150 MB of
text each, several minutes; peak RSS slope per MB of input).
bench_train_gpu.py runs only where torch sees CUDA. A bench that fails does not stop the others; the exit
status is 1 when any bench failed (a skip for want of the demo is not a failure).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_MSG = "run `make demo` first"


@dataclass
class Bench:
    name: str  # results file stem
    script: str
    args: Callable[[str, str], list[str]]  # (samples folder, models folder) -> arguments
    quick: list[str] = field(default_factory=list)  # extra arguments under --quick
    headline: Callable[[dict], str] = lambda d: ""
    json: bool = True  # the script takes --json
    default: bool = True  # run without --only (False: long benches, run only when named)


def _sources(d: dict, names: tuple[str, ...]) -> str:
    return ", ".join(f"{s} {d[s]['mb_per_s']:.2f}" for s in names if s in d) + " MB/s"


BENCHES = [
    Bench(
        "cc",
        "bench_cc.py",
        lambda s, m: ["--input", os.path.join(s, "common_crawl", "*.warc.wet.gz"), "--models", m, "--replicate", "4"],
        ["--repeat", "1", "--replicate", "1"],
        lambda d: (
            f"job {d['job_mb_per_s']:.2f} MB/s, {d['job_docs_per_s']:.0f} docs/s, "
            f"peak RSS {d['job_peak_rss_mb']:.0f} MB"
        ),
    ),
    Bench(
        "dedup_scaling",
        "bench_dedup_scaling.py",
        lambda s, m: ["--input", os.path.join(s, "common_crawl", "*.warc.wet.gz")],
        ["--factors", "1,2"],
        lambda d: (
            f"x{d['rows'][-1]['factor']}: {d['rows'][-1]['s_per_mb']} s/MB, "
            f"shuffle {d['rows'][-1]['shuffle_bytes_per_input_mb']:,} B per input MB"
        ),
    ),
    Bench(
        "tokenizer",
        "bench_tokenizer.py",
        lambda s, m: [],
        [
            "--mb-per-source",
            "0.3",
            "--sample-mb",
            "1",
            "--threads",
            "1",
            "--workdir",
            "/tmp/bench_tokenizer_quick",
        ],
        lambda d: f"encode {d['encode_mb_per_s']:.2f} MB/s/core, {d['ratio_vs_bare']:.2f}x bare SentencePiece",
    ),
    Bench(
        "mixture",
        "bench_mixture.py",
        lambda s, m: [],
        ["--small", "5M", "--shard-tokens", "10M"],
        lambda d: (
            f"write {d['write_mb_per_s']:.0f} MB/s = {100 * d['ratio_vs_disk']:.0f}% of disk "
            f"({d['disk_mb_per_s']:.0f} MB/s)"
        ),
    ),
    Bench(
        "sources_a",
        "bench_sources_a.py",
        lambda s, m: [
            "--c4",
            os.path.join(s, "common_crawl", "*.warc.wet.gz"),
            "--github",
            os.path.join(s, "github", "*.jsonl*"),
            "--stackexchange",
            os.path.join(s, "stackexchange", "*", "Posts.xml"),
        ],
        ["--docs", "500"],
        lambda d: _sources(d, ("c4", "github", "stackexchange")),
    ),
    Bench(
        "sources_b",
        "bench_sources_b.py",
        lambda s, m: ["--samples", s],
        ["--repeat", "1"],
        lambda d: _sources(d, ("wikipedia", "books", "arxiv")),
    ),
    Bench(
        "train_cpu",
        "bench_train_cpu.py",
        lambda s, m: [],
        ["--steps", "3", "--threads", "1"],
        lambda d: f"{d['tokens_per_s']:,.0f} tokens/s on {d['threads']} thread(s)",
    ),
    Bench(
        "cc_scale",
        "bench_cc_scale.py",
        lambda s, m: ["--models", m],
        ["--quick"],
        lambda d: (
            ", ".join(
                f"{k} {v['value']:.2f} ({'met' if v['met'] else 'missed'})"
                for k, v in d.get("speed", {}).get("targets", {}).items()
                if v["value"] is not None
            )
            + (
                f"; memory slope {d['memory']['slope_least_squares']:.3f} MB/MB"
                if d.get("memory", {}).get("slope_least_squares") is not None
                else ""
            )
        ),
        default=False,
    ),
    Bench(
        "joins_scaling",
        "bench_joins_scaling.py",
        lambda s, m: ["--samples", s],
        ["--quick"],
        lambda d: (
            ", ".join(
                f"{k} {v['slope_mb_per_mb']:.2f} ({v['verdict']})" if v["slope_mb_per_mb"] is not None else f"{k} n/a"
                for k, v in d["sources"].items()
            )
            + " MB RSS/MB"
        ),
        default=False,
    ),
    # no --json option in this script; it is run for its printed table only
    Bench("train_gpu", "bench_train_gpu.py", lambda s, m: [], ["--steps", "5", "--warmup", "2"], json=False),
]


def cuda_available() -> bool:
    """Asked of a child so that this runner does not import torch itself."""
    r = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
        capture_output=True,
        text=True,
        check=False,
    )
    return r.returncode == 0 and r.stdout.strip().endswith("True")


def run_streaming(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run cmd, echoing its output (stdout and stderr) line by line; returns (rc, last lines)."""
    tail: list[str] = []
    with subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            tail = (tail + [line])[-20:]
    return proc.returncode, "".join(tail)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes where a bench supports them")
    ap.add_argument("--samples", help="sample corpus folder (default: build or reuse the cached one)")
    ap.add_argument(
        "--models",
        default=os.path.join(ROOT, "out", "demo", "models"),
        help="the demo's models folder, for bench_cc.py (default out/demo/models)",
    )
    ap.add_argument(
        "--results",
        default=os.path.join(ROOT, "bench", "results"),
        help="folder for the JSON results (default bench/results)",
    )
    ap.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES], help="run only these benches")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = ap.parse_args()

    benches = [b for b in BENCHES if (b.name in args.only if args.only else b.default)]
    if not args.dry_run and any(b.name == "train_gpu" for b in benches) and not cuda_available():
        print("train_gpu: torch sees no CUDA device; skipped", flush=True)
        benches = [b for b in benches if b.name != "train_gpu"]
    if args.samples:
        samples = os.path.abspath(args.samples)
    elif args.dry_run:
        samples = "<samples>"
    else:
        sys.path.insert(0, ROOT)
        from pipeline.app.samples import ensure_samples

        samples = str(ensure_samples())
    env = {
        **os.environ,
        "BEAM_DIRECT_RUNNER_DISABLE_PRISM": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p),
    }
    if not args.dry_run:
        os.makedirs(args.results, exist_ok=True)

    summary: list[tuple[str, str, float, str]] = []
    failed = False
    for b in benches:
        out = os.path.join(args.results, f"{b.name}.json")
        cmd = [sys.executable, os.path.join(ROOT, "bench", b.script), *b.args(samples, args.models)]
        cmd += b.quick if args.quick else []
        cmd += ["--json", out] if b.json else []
        gpu_only = " (only where CUDA is available)" if b.name == "train_gpu" else ""
        print(f"\n=== {b.name}{gpu_only}: {' '.join(cmd)}", flush=True)
        if args.dry_run:
            continue
        t0 = time.time()
        rc, tail = run_streaming(cmd, env)
        secs = time.time() - t0
        fresh = b.json and os.path.exists(out) and os.path.getmtime(out) >= t0
        if rc == 0 and (fresh or not b.json):
            status, note = "ok", ""
            if fresh:
                try:
                    with open(out, encoding="utf-8") as f:
                        note = b.headline(json.load(f))
                except (ValueError, KeyError, TypeError, IndexError) as e:
                    status, note, failed = "bad json", f"{type(e).__name__}: {e}", True
        elif b.name in ("cc", "cc_scale") and "make demo" in tail:
            status, note = "skipped", f"no demo models in {args.models}: {DEMO_MSG}"
            print(f"{b.name}: {note}", flush=True)
        else:
            failed = True
            status = f"failed ({rc})" if rc else "no json"
            note = tail.strip().splitlines()[-1][:80] if tail.strip() else ""
        summary.append((b.name, status, secs, note))

    if summary:
        print(f"\n{'bench':14s} {'status':10s} {'seconds':>8s}  headline")
        for name, status, secs, note in summary:
            print(f"{name:14s} {status:10s} {secs:8.1f}  {note}")
        print(f"results in {args.results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
