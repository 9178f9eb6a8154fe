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

PEAK_WRAPPER = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print('peak_rss_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)
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
                "pipeline.cli",
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
            t = time.perf_counter()
            # a small wrapper process reports the peak RSS of the job and all its workers (its children)
            proc = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, *cmd], capture_output=True, text=True, cwd=ROOT)
            wall = time.perf_counter() - t
            if proc.returncode != 0:
                sys.exit(proc.stderr[-3000:])
            peak = int(proc.stderr.strip().splitlines()[-1].split()[-1])
            stats = json.load(open(os.path.join(out, "stats.json")))
        mb = text_bytes / 1e6
        shuffled = sum(
            stats.get(k, 0)
            for k in ("dedup.shuffle_bytes_refs", "dedup.shuffle_bytes_marks", "dedup.shuffle_bytes_docs")
        )
        rows.append(
            {
                "factor": factor,
                "documents": stats.get("read"),
                "text_mb": round(mb, 1),
                "wall_s": round(wall, 1),
                "s_per_mb": round(wall / mb, 2),
                "peak_rss_mb": round(peak / 1024),
                "shuffle_mb": round(shuffled / 1e6, 1),
                "shuffle_bytes_per_input_mb": round(shuffled / mb),
                "refs_bytes_per_input_mb": round(stats.get("dedup.shuffle_bytes_refs", 0) / mb),
                "removed_char_share": stats.get("dedup.removed_char_share"),
            }
        )
        r = rows[-1]
        print(
            f"x{factor:<3d} {r['documents']:6d} docs {r['text_mb']:7.1f} MB  {r['wall_s']:7.1f} s "
            f"({r['s_per_mb']:.2f} s/MB)  peak RSS {r['peak_rss_mb']} MB  shuffle {r['shuffle_mb']} MB "
            f"= {r['shuffle_bytes_per_input_mb']:,} B per input MB (refs {r['refs_bytes_per_input_mb']:,})  "
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
