"""Line dedup at scale: the sample CommonCrawl input replicated 1x, 4x and 16x (each copy varied so that
not every line is a duplicate), run through the CommonCrawl job up to the dedup stage with 2 worker
processes. Prints wall time, workers' peak RSS and bytes shuffled per input MB. Time should grow
linearly and memory stay flat.

    python bench/bench_dedup_scaling.py [--input GLOB] [--factors 1,4,16] [--workers 2]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from wet_fixture import write_wet  # noqa: E402

from pipeline.sources import reader_for  # noqa: E402
from pipeline.sources.base import SkipCounter  # noqa: E402


def _tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc (no psutil needed)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in glob.glob(f"/proc/{p}/task/*/children"):
            try:
                todo += [int(c) for c in open(task).read().split()]
            except OSError:
                pass
    return out


def _hwm_kb(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float, int, int]:
    """Run the job, sampling every process of its tree: (result, wall, controller peak KB, worker peak KB).
    The controller is the job's own process (with the DirectRunner it also holds the shuffle buffers);
    the workers are its descendants, the processes a cluster would spread over machines."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peaks: dict[int, int] = {}
    while proc.poll() is None:
        for p in _tree(proc.pid):
            peaks[p] = max(peaks.get(p, 0), _hwm_kb(p))
        time.sleep(0.2)
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    controller = peaks.get(proc.pid, 0)
    workers = max((v for k, v in peaks.items() if k != proc.pid), default=0)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, controller, workers


WORDS = "amber birch cobalt dune ember fjord granite harbor iris juniper kestrel lagoon meadow".split()


def varied(text: str, copy: int, rng: random.Random) -> str:
    """Copy 0 is the original; later copies rewrite ~40% of lines with copy-specific words."""
    if copy == 0:
        return text
    lines = text.split("\n")
    for i in range(len(lines)):
        if lines[i].strip() and rng.random() < 0.4:
            lines[i] = f"{lines[i]} {WORDS[copy % len(WORDS)]} {WORDS[(copy * 7 + i) % len(WORDS)]}{copy}"
    return "\n".join(lines)


def build(pages: list[tuple[str, str]], factor: int, folder: str) -> int:
    rng = random.Random(factor)
    size = 0
    for c in range(factor):
        copy = [(f"{url}?copy={c}", varied(text, c, rng)) for url, text in pages]
        path = os.path.join(folder, f"part-{c:03d}.warc.wet.gz")
        write_wet(path, copy, start=c * 1_000_000)
        size += sum(len(t.encode()) for _, t in copy)
    return size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", default="data/samples/common_crawl/*.warc.wet.gz")
    ap.add_argument("--factors", default="1,4,16")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the table here")
    args = ap.parse_args()
    files = sorted(glob.glob(args.input))
    if not files:
        sys.exit(f"no input matches {args.input} (run `llama-data samples` first)")
    read = reader_for("common_crawl")
    pages = [(d.meta.get("url", d.id), d.text) for f in files for d in read(f, SkipCounter())]
    rows = []
    for factor in (int(x) for x in args.factors.split(",")):
        with tempfile.TemporaryDirectory(prefix=f"dedup-x{factor}-") as tmp:
            text_bytes = build(pages, factor, os.path.join(tmp))
            out = os.path.join(tmp, "out")
            cmd = [
                sys.executable,
                "-m",
                "pipeline.app.cli",
                "run",
                "common_crawl",
                "--input",
                os.path.join(tmp, "*.warc.wet.gz"),
                "--output",
                out,
                "--stop-after",
                "dedup",
            ]
            if args.workers > 1:
                cmd += ["--workers", str(args.workers)]
            proc, wall, controller, worker = run_measured(cmd)
            if proc.returncode != 0:
                sys.exit(proc.stderr[-3000:])
            stats = json.load(open(os.path.join(out, "stats.json")))
        mb = text_bytes / 1e6
        # the dedup's keys and marks (they move through files beside the output; the runner's shuffle
        # carries only (shard, file) references): the bytes a cluster moves per input MB for the dedup
        shuffled = sum(stats.get(k, 0) for k in ("dedup.bytes_distinct_keys", "dedup.bytes_marks"))
        rows.append(
            {
                "factor": factor,
                "documents": stats.get("read"),
                "text_mb": round(mb, 1),
                "wall_s": round(wall, 1),
                "s_per_mb": round(wall / mb, 2),
                "controller_peak_rss_mb": round(controller / 1024),
                "worker_peak_rss_mb": round(worker / 1024),
                "shuffle_mb": round(shuffled / 1e6, 1),
                "shuffle_bytes_per_input_mb": round(shuffled / mb),
                "refs_bytes_per_input_mb": round(stats.get("dedup.bytes_distinct_keys", 0) / mb),
                "removed_char_share": stats.get("dedup.removed_char_share"),
            }
        )
        r = rows[-1]
        print(
            f"x{factor:<3d} {r['documents']:6d} docs {r['text_mb']:7.1f} MB  {r['wall_s']:7.1f} s "
            f"({r['s_per_mb']:.2f} s/MB)  RSS peak workers {r['worker_peak_rss_mb']} MB, "
            f"controller {r['controller_peak_rss_mb']} MB  shuffle {r['shuffle_mb']} MB "
            f"= {r['shuffle_bytes_per_input_mb']:,} B per input MB (distinct keys {r['refs_bytes_per_input_mb']:,})  "
            f"removed {r['removed_char_share']}",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"machine": os.uname().nodename, "cpus": os.cpu_count(), "workers": args.workers, "rows": rows},
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
