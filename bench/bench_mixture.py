"""Benchmark `mixture build`: write throughput against this disk's sequential write speed with 1 and N
worker processes, and peak RSS at two targets 10x apart (issues 6 and 19). About two minutes.

    .venv/bin/python bench/bench_mixture.py [--workdir DIR] [--small 50M] [--scale 10] [--workers 2]
                                            [--rounds 3] [--keep] [--json bench/results/mixture.json]

1. Synthetic per-source token datasets (tests/synthetic_tokens.py, Table 1 sized so the large target needs
   the paper's epochs), written once.
2. Rounds, each in this order: the small and the large target with 1 worker; the disk's sequential
   write speed, measured twice with dd on as many bytes as the large build wrote (`bs=8M
   conv=fdatasync`, through the page cache, and `oflag=direct`); both targets with N workers. A round's
   disk figure is the faster dd of the two (so the ratio is never flattered by a slow dd), and its ratios
   compare builds and dd measured within the same minute. The machine is shared and its disk is virtual
   (dd alone ranges from 0.3 to 1.5 GB/s here): the figures quoted are medians over rounds; every round's
   figures are in the JSON.
3. A writer's speed is its marginal rate: the large build's extra bytes over its extra seconds against
   the small build, so the fixed start-up (Beam's, and with N workers the worker processes'), which a
   1.4T build pays once, is left out. Every build runs in a fresh subprocess and its time includes a
   final os.sync(): bytes on disk, not in the page cache. Peak RSS is each build's ru_maxrss (and VmHWM);
   with N workers the workers' largest too. The inputs are written in a subprocess because Linux carries a
   parent's ru_maxrss across fork+exec, so a big parent would mask the child's own peak.

`llama-data mixture plan --workers N` and `mixture build --dry-run` read the JSON this writes to say how
long a target takes (mixtures/estimate.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
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
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
with open("/proc/self/status") as f:
    hwm = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024
print(json.dumps({{"seconds": dt, "bytes": size, "tokens": m["total_tokens"], "shards": m["num_shards"],
                  "docs": m["total_documents"],
                  "maxrss_mb": ru.ru_maxrss / 1024, "hwm_mb": hwm, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "workers_cpu_s": kids.ru_utime + kids.ru_stime, "workers_maxrss_mb": kids.ru_maxrss / 1024}}))
"""

MAKE_INPUTS = r"""
import os, sys
sys.path[:0] = [{here!r}, os.path.join({here!r}, "tests")]
from synthetic_tokens import write_tokens
write_tokens({tokens!r}, {docs!r}, {mean_len!r}, seed=7)
"""


def dd_speed(path: str, nbytes: int, how: str) -> float:
    """Sequential write MB/s of /dev/zero to `path`, forced to disk: `how` is conv=fdatasync (through
    the page cache, flushed before dd ends) or oflag=direct."""
    count = max(1, nbytes // (8 << 20))
    r = subprocess.run(
        ["dd", "if=/dev/zero", f"of={path}", "bs=8M", f"count={count}", how],
        capture_output=True,
        text=True,
        check=True,
    )
    os.remove(path)
    m = re.search(r"(\d+) bytes .* copied, ([0-9.]+) s", r.stderr)
    assert m, r.stderr
    return int(m.group(1)) / float(m.group(2)) / 1e6


def run_build(tokens: str, output: str, target: int, shard: int, workers: int = 1) -> dict:
    beam_args = ["--runner=DirectRunner"]
    if workers > 1:
        beam_args += ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
    code = CHILD.format(here=HERE, tokens=tokens, output=output, target=target, shard=shard, beam_args=beam_args)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if r.returncode:
        raise SystemExit(f"build failed:\n{r.stderr[-3000:]}")
    shutil.rmtree(output)
    return {**json.loads(r.stdout.strip().splitlines()[-1]), "target": target, "workers": workers}


def marginal(small: dict, large: dict) -> float:
    """MB/s of the large build's extra bytes over its extra seconds (start-up cancels out)."""
    extra_s = large["seconds"] - small["seconds"]
    return (large["bytes"] - small["bytes"]) / extra_s / 1e6 if extra_s > 0 else large["bytes"] / large["seconds"] / 1e6


def one_round(tokens: str, work: str, small: int, large: int, shard: int, workers: list[int]) -> dict:
    builds: dict[int, list[dict]] = {}
    dd_bytes = None
    disk: dict[str, float] = {}
    for n in workers:
        builds[n] = [run_build(tokens, os.path.join(work, f"mix-{n}w-{t}"), t, shard, n) for t in (small, large)]
        if dd_bytes is None:  # dd right after the first large build: the same bytes, the same minute
            dd_bytes = builds[n][1]["bytes"]
            for how in ("conv=fdatasync", "oflag=direct"):
                disk[how] = dd_speed(os.path.join(work, "dd.tmp"), dd_bytes, how)
    disk_mb_s = max(disk.values())
    out = {"dd_mb_per_s": disk, "disk_mb_per_s": disk_mb_s, "load_average": os.getloadavg()[0], "workers": {}}
    for n, (a, b) in builds.items():
        w = marginal(a, b)
        cpu = (b["cpu_s"] + b["workers_cpu_s"]) - (a["cpu_s"] + a["workers_cpu_s"])
        out["workers"][str(n)] = {
            "write_mb_per_s": w,
            "ratio_vs_disk": w / disk_mb_s,
            "mb_per_cpu_s": (b["bytes"] - a["bytes"]) / cpu / 1e6 if cpu > 0 else None,
            "builds": [a, b],
        }
    return out


def summarize(rounds: list[dict], workers: list[int]) -> dict:
    med = statistics.median
    first = rounds[0]["workers"][str(workers[0])]["builds"]
    small, large = first[0]["target"], first[1]["target"]
    summary: dict = {
        "disk_mb_per_s": med(r["disk_mb_per_s"] for r in rounds),
        "dd_mb_per_s": {how: med(r["dd_mb_per_s"][how] for r in rounds) for how in ("conv=fdatasync", "oflag=direct")},
        "workers": {},
    }
    for n in map(str, workers):
        rows = [r["workers"][n] for r in rounds]
        peak_small = max(x["builds"][0]["maxrss_mb"] for x in rows)
        peak_large = max(x["builds"][1]["maxrss_mb"] for x in rows)
        bl = [x["builds"][1] for x in rows]
        summary["workers"][n] = {
            "write_mb_per_s": med(x["write_mb_per_s"] for x in rows),
            "ratio_vs_disk": med(x["ratio_vs_disk"] for x in rows),
            "mb_per_cpu_s": med(x["mb_per_cpu_s"] or 0.0 for x in rows),
            "build_mb_per_s": med(b["bytes"] / b["seconds"] for b in bl) / 1e6,
            "peak_rss_mb": {str(small): peak_small, str(large): peak_large},
            "peak_rss_growth": peak_large / peak_small,
            "workers_peak_rss_mb": max(b["workers_maxrss_mb"] for b in bl),
        }
    return summary


def main() -> int:
    from mixtures.config import load_config, parse_tokens

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", help="folder on the disk to measure (default: a temp folder)")
    ap.add_argument("--small", default="50M", help="smaller target in tokens (default 50M)")
    ap.add_argument("--scale", type=int, default=10, help="larger target = small x scale (default 10)")
    ap.add_argument("--shard-tokens", default="25M")
    ap.add_argument("--workers", type=int, default=2, help="also build both targets with N workers (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of dd + builds; medians are quoted (default 3)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", metavar="PATH", help="also write the figures here (read by `llama-data capacity`)")
    args = ap.parse_args()
    small, shard = parse_tokens(args.small), parse_tokens(args.shard_tokens)
    large = small * args.scale
    workers = [1] + ([args.workers] if args.workers > 1 else [])
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
        code = MAKE_INPUTS.format(here=HERE, tokens=tokens, docs=docs, mean_len=MEAN_LEN)
        subprocess.run([sys.executable, "-c", code], check=True)
        os.sync()
        in_tokens = 0
        for n in docs:
            with open(os.path.join(tokens, n, "part-00000.json"), encoding="utf-8") as f:
                in_tokens += json.load(f)["n_tokens"]
        print(
            f"inputs: {in_tokens / 1e6:.0f}M tokens, {sum(docs.values())} documents "
            f"({time.perf_counter() - t0:.1f} s to write)"
        )
        rounds = []
        for i in range(args.rounds):
            r = one_round(tokens, work, small, large, shard, workers)
            rounds.append(r)
            dd = ", ".join(f"{how} {v:.0f}" for how, v in r["dd_mb_per_s"].items())
            per = "; ".join(
                f"{n} worker(s) {w['write_mb_per_s']:.0f} MB/s = {w['ratio_vs_disk']:.2f} of disk"
                for n, w in r["workers"].items()
            )
            print(
                f"round {i + 1}: disk {r['disk_mb_per_s']:.0f} MB/s (dd {dd}); {per}; "
                f"load average {r['load_average']:.1f} on {os.cpu_count()} CPUs",
                flush=True,
            )
        s = summarize(rounds, workers)
        big = rounds[-1]["workers"]["1"]["builds"][1]
        busy = [r["load_average"] for r in rounds if r["load_average"] > (os.cpu_count() or 1)]
        if busy:
            print(f"note: {len(busy)} round(s) ran with more runnable processes than CPUs (other work on the machine)")
        print(
            f"disk sequential write, median of {len(rounds)} rounds: {s['disk_mb_per_s']:.0f} MB/s "
            f"(dd conv=fdatasync {s['dd_mb_per_s']['conv=fdatasync']:.0f}, oflag=direct "
            f"{s['dd_mb_per_s']['oflag=direct']:.0f}; {big['bytes'] / 1e9:.2f} GB)"
        )
        for n, w in s["workers"].items():
            rss = " / ".join(f"{v:.0f}" for v in w["peak_rss_mb"].values())
            extra = f", workers {w['workers_peak_rss_mb']:.0f} MB" if n != "1" else ""
            print(
                f"{n} worker(s): writer {w['write_mb_per_s']:.0f} MB/s, ratio against disk "
                f"{w['ratio_vs_disk']:.2f}, {w['mb_per_cpu_s']:.0f} MB per CPU-second (target {large / 1e6:.0f}M "
                f"end to end: {w['build_mb_per_s']:.0f} MB/s); "
                f"peak RSS {rss} MB at {small / 1e6:.0f}M / {large / 1e6:.0f}M tokens "
                f"(x{w['peak_rss_growth']:.2f}{extra})"
            )
        cpu = big["cpu_s"] - rounds[-1]["workers"]["1"]["builds"][0]["cpu_s"]
        docs_extra = big["docs"] - rounds[-1]["workers"]["1"]["builds"][0]["docs"]
        print(
            f"1 worker, last round: {cpu / docs_extra * 1e6:.1f} us CPU per document "
            f"(mean document {big['bytes'] / big['docs']:.0f} bytes)"
        )
        if args.json:
            write_json(args.json, s, rounds, workers, big)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def write_json(path: str, s: dict, rounds: list[dict], workers: list[int], big: dict) -> None:
    """Top-level keys as before (1 worker; `llama-data capacity` and bench/run_all.py read them), plus
    every worker count and every round. `write_mb_per_s` is the marginal rate of one process."""
    one = s["workers"]["1"]
    out = {
        "machine": os.uname().nodename,
        "cpus": os.cpu_count(),
        "date": datetime.date.today().isoformat(),
        "write_mb_per_s": one["write_mb_per_s"],
        "disk_mb_per_s": s["disk_mb_per_s"],
        "ratio_vs_disk": one["ratio_vs_disk"],
        "build_mb_per_s": one["build_mb_per_s"],
        "peak_rss_mb": one["peak_rss_mb"],
        "peak_rss_growth": one["peak_rss_growth"],
        "mean_doc_bytes": big["bytes"] / big["docs"],
        "dd_mb_per_s": s["dd_mb_per_s"],
        "workers": s["workers"],
        "rounds": rounds,
    }
    if len(workers) > 1:
        n = str(workers[-1])
        out["parallel"] = {"workers": workers[-1], **s["workers"][n]}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
