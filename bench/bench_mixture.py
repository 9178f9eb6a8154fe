"""Benchmark `mixture build`: write throughput against this disk's sequential write speed, and peak RSS
at two targets 10x apart (issue 6). Runs in about a minute.

    .venv/bin/python bench/bench_mixture.py [--workdir DIR] [--small 50M] [--scale 10] [--keep]

1. Synthetic per-source token datasets (mixtures/synthetic.py, Table 1 sized so the large target needs
   the paper's epochs), written once.
2. Disk speed: `dd if=/dev/zero bs=8M conv=fdatasync` of as many bytes as the large build writes.
3. Each build runs in a fresh subprocess (the default in-process DirectRunner) and reports its peak
   RSS (ru_maxrss, and VmHWM from /proc) and CPU seconds; its time includes a final os.sync(), so the
   figure is bytes on disk, not in the page cache. The inputs are generated in a subprocess too: Linux
   carries a parent's ru_maxrss across fork+exec, so a big parent would mask the child's own peak.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

MEAN_LEN = {
    "common_crawl": 600,
    "c4": 450,
    "github": 800,
    "wikipedia": 700,
    "books": 20000,
    "arxiv": 9000,
    "stackexchange": 900,
}

CHILD = r"""
import json, os, re, resource, sys, time
sys.path.insert(0, {here!r})
os.environ.setdefault("BEAM_DIRECT_RUNNER_DISABLE_PRISM", "1")
from mixtures.config import load_config
from mixtures.job import build_mixture
t0 = time.perf_counter()
out = build_mixture(load_config(), {tokens!r}, {output!r}, {target}, seed=1, shard_tokens={shard},
                    beam_args={beam_args!r})
os.sync()
dt = time.perf_counter() - t0
m = out["manifest"]
size = sum(os.path.getsize(os.path.join({output!r}, f)) for f in os.listdir({output!r}))
ru = resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/self/status") as f:
    hwm = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024
print(json.dumps({{"seconds": dt, "bytes": size, "tokens": m["total_tokens"], "shards": m["num_shards"],
                  "docs": m["total_documents"],
                  "maxrss_mb": ru.ru_maxrss / 1024, "hwm_mb": hwm, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "workers_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""

MAKE_INPUTS = r"""
import sys
sys.path.insert(0, {here!r})
from mixtures.synthetic import write_tokens
write_tokens({tokens!r}, {docs!r}, {mean_len!r}, seed=7)
"""


def dd_speed(path: str, nbytes: int) -> float:
    """Sequential write MB/s with the data forced to disk (conv=fdatasync)."""
    count = max(1, nbytes // (8 << 20))
    r = subprocess.run(
        ["dd", "if=/dev/zero", f"of={path}", "bs=8M", f"count={count}", "conv=fdatasync"],
        capture_output=True,
        text=True,
        check=True,
    )
    os.remove(path)
    m = re.search(r"(\d+) bytes .* copied, ([0-9.]+) s", r.stderr)
    assert m, r.stderr
    return int(m.group(1)) / float(m.group(2)) / 1e6


def run_build(tokens: str, output: str, target: int, shard: int, workers: int = 0) -> dict:
    beam_args = ["--runner=DirectRunner"]
    if workers > 1:
        beam_args += ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
    code = CHILD.format(here=HERE, tokens=tokens, output=output, target=target, shard=shard, beam_args=beam_args)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if r.returncode:
        raise SystemExit(f"build failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def write_json(path: str, rows: list[dict], disk: float, marginal: float, growth: float) -> None:
    """The capacity planner's keys. write_mb_per_s is the steady-state rate of one process: the extra bytes
    of the large build over its extra wall seconds (os.sync included), so the fixed Beam start-up, which a
    1.4T build pays once, is left out; build_mb_per_s is the large build end to end."""
    small, big = rows
    build = big["bytes"] / big["seconds"] / 1e6
    extra_s = big["seconds"] - small["seconds"]
    write = (big["bytes"] - small["bytes"]) / extra_s / 1e6 if extra_s > 0 else build
    out = {
        "machine": os.uname().nodename,
        "cpus": os.cpu_count(),
        "write_mb_per_s": write,
        "disk_mb_per_s": disk,
        "ratio_vs_disk": write / disk,
        "build_mb_per_s": build,
        "peak_rss_mb": {str(r["target"]): r["maxrss_mb"] for r in rows},
        "peak_rss_growth": growth,
        "marginal_mb_per_cpu_s": marginal,
        "builds": rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)


def main() -> int:
    from mixtures.config import load_config, parse_tokens

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", help="folder on the disk to measure (default: a temp folder)")
    ap.add_argument("--small", default="50M", help="smaller target in tokens (default 50M)")
    ap.add_argument("--scale", type=int, default=10, help="larger target = small x scale (default 10)")
    ap.add_argument("--shard-tokens", default="25M")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument(
        "--workers",
        type=int,
        default=0,
        help="also build the larger target with N worker processes (shards are independent)",
    )
    ap.add_argument("--json", metavar="PATH", help="also write the figures here (read by `llama-data capacity`)")
    args = ap.parse_args()
    small, shard = parse_tokens(args.small), parse_tokens(args.shard_tokens)
    large = small * args.scale
    work = args.workdir or tempfile.mkdtemp(prefix="bench_mixture_")
    os.makedirs(work, exist_ok=True)
    tokens = os.path.join(work, "tokens")
    try:
        t0 = time.perf_counter()
        config = load_config()
        docs = {
            s.name: max(1, round(s.proportion * large / s.epochs_at_reference / MEAN_LEN[s.name]))
            for s in config.sources
        }
        subprocess.run(
            [
                sys.executable,
                "-c",
                MAKE_INPUTS.format(here=HERE, tokens=tokens, docs=docs, mean_len=MEAN_LEN),
            ],
            check=True,
        )
        os.sync()
        in_tokens = 0
        for n in docs:
            with open(os.path.join(tokens, n, "part-00000.json"), encoding="utf-8") as f:
                in_tokens += json.load(f)["n_tokens"]
        print(
            f"inputs: {in_tokens / 1e6:.0f}M tokens, {sum(docs.values())} documents "
            f"({time.perf_counter() - t0:.1f} s to write)"
        )
        rows = []
        for target in (small, large):
            res = run_build(tokens, os.path.join(work, f"mix-{target}"), target, shard)
            res["target"] = target
            rows.append(res)
            shutil.rmtree(os.path.join(work, f"mix-{target}"))
        disk = dd_speed(os.path.join(work, "dd.tmp"), rows[-1]["bytes"])
        print(f"disk sequential write (dd conv=fdatasync, {rows[-1]['bytes'] / 1e9:.2f} GB): {disk:.0f} MB/s")
        print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for r in rows:
            mbs = r["bytes"] / r["seconds"] / 1e6
            print(
                f"target {r['target'] / 1e6:.0f}M tokens: {r['shards']} shards, {r['bytes'] / 1e6:.0f} MB in "
                f"{r['seconds']:.2f} s (incl. os.sync) = {mbs:.0f} MB/s = {100 * mbs / disk:.0f}% of disk; "
                f"CPU {r['cpu_s']:.2f} s ({r['bytes'] / r['cpu_s'] / 1e6:.0f} MB per CPU-second, Beam start "
                f"included); peak RSS {r['maxrss_mb']:.0f} MB (VmHWM {r['hwm_mb']:.0f} MB)"
            )
        a, b = rows
        marginal = (b["bytes"] - a["bytes"]) / max(b["cpu_s"] - a["cpu_s"], 1e-9) / 1e6
        print(
            f"marginal CPU rate (large - small build, no start-up): {marginal:.0f} MB per CPU-second, "
            f"{100 * marginal / disk:.0f}% of disk per busy core; "
            f"{(b['cpu_s'] - a['cpu_s']) / (b['docs'] - a['docs']) * 1e6:.1f} us CPU per document"
        )
        growth = rows[1]["maxrss_mb"] / rows[0]["maxrss_mb"]
        print(f"peak RSS ratio large/small target (x{args.scale}): {growth:.2f}")
        parallel = None
        if args.workers > 1:  # shards are independent: the same large build over N worker processes
            parallel = run_build(tokens, os.path.join(work, "mix-par"), large, shard, args.workers)
            shutil.rmtree(os.path.join(work, "mix-par"))
            mbs = parallel["bytes"] / parallel["seconds"] / 1e6
            print(
                f"target {large / 1e6:.0f}M tokens with {args.workers} worker processes: {parallel['seconds']:.2f} s "
                f"(incl. Beam start and os.sync) = {mbs:.0f} MB/s = {100 * mbs / disk:.0f}% of disk; "
                f"peak RSS driver {parallel['maxrss_mb']:.0f} MB, workers {parallel['workers_maxrss_mb']:.0f} MB"
            )
        if args.json:
            write_json(args.json, rows, disk, marginal, growth)
            if parallel is not None:
                with open(args.json, encoding="utf-8") as f:
                    data = json.load(f)
                data["parallel"] = {
                    "workers": args.workers,
                    **parallel,
                    "mb_per_s": parallel["bytes"] / parallel["seconds"] / 1e6,
                }
                with open(args.json, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=2)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
