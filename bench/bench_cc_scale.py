"""The CommonCrawl job at scale, on real pages: speed side by side with a cc_net-style reference and the
plain loop over the bare libraries, fixed start-up, and peak memory against input size.

    .venv/bin/python bench/bench_cc_scale.py                        # full run: ~40+ MB real corpus, 3 rounds,
                                                                    # memory at 1x, 10x, 50x (>= 1 GB of text)
    .venv/bin/python bench/bench_cc_scale.py --quick                # tiny sizes, 1 round: to try it
    .venv/bin/python bench/bench_cc_scale.py --skip-memory --rounds 5
    .venv/bin/python bench/bench_cc_scale.py --skip-speed --memory-sizes 1,10,50 --memory-full
    .venv/bin/python bench/run_all.py --only cc_scale               # the same through the bench runner

Needs the demo's models (`make demo`: out/demo/models/lm/en.sp.model, en.arpa.bin, quality.bin,
cutoffs.json); without them it stops and says so. Prints the tables and saves everything to
bench/results/cc_scale.json (--json to change). Run nothing else heavy meanwhile: it times one core.

Corpora (bench/cc_bench_corpus.py; built once into ~/.cache/llama-data/bench/, reused):
  cc_real/        every real page the sample packages ship, each once, no copies: the Python 3.11 HTML
                  docs, every Debian handbook locale in the cached .deb, the trafilatura/newspaper4k news
                  pages; 16 WET files (one gzip member per record). Its natural duplicates (menus,
                  untranslated handbook paragraphs) give line dedup real work; LID keeps the English part.
  cc_unique_<U>mb/ the memory corpus: files of ~U MB text (default 21), every line of every file made
                  unique (a letter token per line; digits would all normalise to 0); factor k = files
                  0..k-1, so 50x = 50 files >= 1 GB of text.

1. Speed. R paired rounds (--rounds, default 3; the order of the pipelines reversed every other round),
   each pipeline a subprocess on the same corpus and the same models, timed by its wall time:
     job, 1 core      `llama-data run common_crawl ... --lm-dir --cutoffs --quality-model` in-process
                      (no --workers), under `taskset -c <cpu>`
     job, 2 workers   the same with --workers 2, no taskset (both cores)
     cc_net-style     bench/ccnet_style.py under taskset: cc_net's algorithm written here in plain Python
                      (two passes over the WET files, per-line regex normalisation, SHA-1 keys counted in a
                      dict, LID, SentencePiece + KenLM per line, buckets, classifier, json.gz output)
     plain loop       bench/plain_loop.py under taskset: the bare libraries in one loop (FastWARC, the
                      project's normalisation + hashlib, fastText, SentencePiece, KenLM; one read, texts
                      held in memory), writing one zstd Parquet file of the kept documents
   Columns: docs read (each pipeline's own count), kept (should agree roughly: same stages, same models),
   wall s (median over rounds), docs/s = docs read / wall (start-up included), net docs/s = docs read /
   (wall - that pipeline's start-up), peak RSS of the pipeline's process (largest process for workers 2),
   "job vs it" = the median over rounds of the paired ratio (job 1 core docs/s) / (its docs/s); for the
   2-worker row it is the scaling (2 workers docs/s) / (1 core docs/s). Targets: job >= 1.5x cc_net-style,
   >= 0.9x plain loop, 2 workers >= 1.8x 1 core; each marked met or missed.
   Start-up: every pipeline on tiny/startup.warc.wet.gz (5 pages), R rounds, median wall; target: job
   start-up within 0.5 s of the plain loop's.
2. Memory. The job with --stop-after dedup (--memory-workers, default 2) on the unique-lines corpus at each
   size of --memory-sizes (default 1,10,50); peak RSS of the whole process tree = the sum over every
   process seen of its VmHWM, sampled from /proc every 0.2 s (as bench_dedup_scaling.run_measured), plus
   wall time and s/MB. Slope (MB of RSS per MB of text): least squares over all sizes, and between the two
   largest; target <= 0.5 MB/MB, marked met or missed. --memory-full adds runs of the full stages at the
   sizes <= 10x (slower: perplexity on every English line).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from bench_dedup_scaling import _hwm_kb, _tree  # noqa: E402
from cc_bench_corpus import real_corpus, unique_corpus  # noqa: E402

TARGETS = {"vs_ccnet": 1.5, "vs_plain": 0.9, "workers2": 1.8, "startup_s": 0.5, "slope": 0.5}
PIPELINES = ("job1", "job2", "ccnet", "plain")
LABELS = {
    "job1": "job, 1 core (in-process)",
    "job2": "job, --workers 2",
    "ccnet": "cc_net-style, 1 core",
    "plain": "plain loop, 1 core",
}


def log(msg: str) -> None:
    print(msg, flush=True)


def env() -> dict[str, str]:
    return {
        **os.environ,
        "BEAM_DIRECT_RUNNER_DISABLE_PRISM": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p),
    }


def pin() -> list[str]:
    """`taskset -c <first allowed cpu>` where taskset exists, else nothing."""
    if shutil.which("taskset") is None or not hasattr(os, "sched_getaffinity"):
        return []
    return ["taskset", "-c", str(min(os.sched_getaffinity(0)))]


def job_cli() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "llama-data")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "pipeline.app.cli"]


class Models:
    def __init__(self, folder: str) -> None:
        self.lm_dir = os.path.join(folder, "lm")
        self.quality = os.path.join(folder, "quality.bin")
        cut = os.path.join(folder, "cutoffs.json")
        self.cutoffs = cut if os.path.exists(cut) else None
        for p in (os.path.join(self.lm_dir, "en.sp.model"), os.path.join(self.lm_dir, "en.arpa.bin"), self.quality):
            if not os.path.exists(p):
                sys.exit(f"missing {p}: run `make demo` first (it trains the models from the samples)")

    def args(self) -> list[str]:
        out = ["--lm-dir", self.lm_dir, "--quality-model", self.quality]
        return out + (["--cutoffs", self.cutoffs] if self.cutoffs else [])


def command(name: str, files: list[str], out: str, models: Models) -> list[str]:
    """The command line of one pipeline; `out` is a fresh temporary folder."""
    if name in ("job1", "job2"):
        cmd = [*job_cli(), "run", "common_crawl", "--input", *files, "--output", os.path.join(out, "job")]
        cmd += models.args()
        return cmd + ["--workers", "2"] if name == "job2" else pin() + cmd
    if name == "ccnet":
        script, output = "ccnet_style.py", os.path.join(out, "kept.json.gz")
    else:
        script, output = "plain_loop.py", os.path.join(out, "kept.parquet")
    cmd = [sys.executable, os.path.join(ROOT, "bench", script), "--input", *files, "--output", output]
    return pin() + cmd + models.args()


def run_timed(cmd: list[str], timeout: float) -> dict:
    """Run cmd: wall seconds, exit status, output tails, and the peak RSS of its own process (wait4)."""
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, cwd=ROOT, env=env())
        deadline = t + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        return {
            "rc": proc.returncode,
            "wall": wall,
            "stdout": so.read().decode("utf-8", "replace")[-4000:],
            "stderr": se.read().decode("utf-8", "replace")[-4000:],
            "rss_mb": usage.ru_maxrss / 1024,
        }


def run_pipeline(name: str, files: list[str], models: Models, timeout: float) -> dict:
    out = tempfile.mkdtemp(prefix=f"cc-scale-{name}-")
    try:
        cmd = command(name, files, out, models)
        r = run_timed(cmd, timeout)
        res = {"wall_s": r["wall"], "rss_mb": r["rss_mb"], "ok": r["rc"] == 0}
        if r["rc"] != 0:
            res["error"] = f"exit {r['rc']}: " + (r["stderr"].strip() or r["stdout"].strip())[-1500:]
            return res
        if name.startswith("job"):
            with open(os.path.join(out, "job", "stats.json"), encoding="utf-8") as f:
                st = json.load(f)
        else:
            st = json.loads(r["stdout"].strip().splitlines()[-1])
        res.update(read=st.get("read", 0), kept=st.get("kept", 0), dropped=st.get("dropped", {}))
        return res
    finally:
        shutil.rmtree(out, ignore_errors=True)


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def speed(args: argparse.Namespace, corpus: dict, models: Models) -> dict:
    files = corpus["paths"][: args.speed_files] if args.speed_files else corpus["paths"]
    text_mb = sum(corpus["files"][os.path.basename(p)]["text_bytes"] for p in files) / 1e6
    pages = sum(corpus["files"][os.path.basename(p)]["pages"] for p in files)
    log(f"\nspeed corpus: {len(files)} WET files, {pages} pages, {text_mb:.1f} MB of text")
    cpu = pin()
    log(f"single-core runs pinned with: {' '.join(cpu) if cpu else '(no taskset: not pinned)'}")

    # fixed start-up, on a tiny input: also warms the page cache and the bytecode of every pipeline
    startup: dict[str, list[float]] = {n: [] for n in PIPELINES}
    for r in range(args.rounds):
        for name in PIPELINES if r % 2 == 0 else PIPELINES[::-1]:
            res = run_pipeline(name, [corpus["tiny_path"]], models, args.timeout)
            if res["ok"]:
                startup[name].append(res["wall_s"])
            else:
                log(f"  start-up run of {name} failed: {res['error'][-400:]}")
    start = {n: median(v) for n, v in startup.items()}
    log("start-up (tiny input, median wall s): " + ", ".join(f"{n} {fmt(start[n])}" for n in PIPELINES))

    rounds = []
    for r in range(args.rounds):
        order = PIPELINES if r % 2 == 0 else PIPELINES[::-1]
        row = {}
        for name in order:
            res = run_pipeline(name, files, models, args.timeout)
            row[name] = res
            if res["ok"]:
                log(
                    f"  round {r + 1}/{args.rounds} {name:6s} {res['wall_s']:7.1f} s  read {res['read']}  "
                    f"kept {res['kept']}  {res['read'] / res['wall_s']:.1f} docs/s"
                )
            else:
                log(f"  round {r + 1}/{args.rounds} {name:6s} FAILED: {res['error'][-600:]}")
        rounds.append(row)

    def rate(res: dict) -> float | None:
        return res["read"] / res["wall_s"] if res.get("ok") and res.get("read") else None

    def paired(a: str, b: str) -> float | None:
        xs = [rate(r[a]) / rate(r[b]) for r in rounds if rate(r[a]) and rate(r[b])]
        return median(xs)

    summary = {}
    for name in PIPELINES:
        ok = [r[name] for r in rounds if r[name]["ok"]]
        wall = median([x["wall_s"] for x in ok])
        read = ok[0]["read"] if ok else None
        net = None
        if wall and start[name] is not None and wall > start[name]:
            net = read / (wall - start[name])
        summary[name] = {
            "label": LABELS[name],
            "runs_ok": len(ok),
            "read": read,
            "kept": ok[0]["kept"] if ok else None,
            "wall_s": wall,
            "docs_per_s": median([rate(x) for x in ok]),
            "mb_per_s": text_mb / wall if wall else None,
            "net_docs_per_s": net,
            "startup_s": start[name],
            "peak_rss_mb": max((x["rss_mb"] for x in ok), default=None),
            "errors": [r[name]["error"] for r in rounds if not r[name]["ok"]][:1],
        }
    ratios = {
        "job_vs_ccnet": paired("job1", "ccnet"),
        "job_vs_plain": paired("job1", "plain"),
        "workers2_vs_1": paired("job2", "job1"),
    }
    startup_gap = None if start["job1"] is None or start["plain"] is None else start["job1"] - start["plain"]
    checks = {
        "job >= 1.5x cc_net-style": (ratios["job_vs_ccnet"], TARGETS["vs_ccnet"], ">="),
        "job >= 0.9x plain loop": (ratios["job_vs_plain"], TARGETS["vs_plain"], ">="),
        "workers 2 >= 1.8x 1 core": (ratios["workers2_vs_1"], TARGETS["workers2"], ">="),
        "start-up within 0.5 s of plain loop": (startup_gap, TARGETS["startup_s"], "<="),
    }
    verdicts = {
        k: {"value": v, "target": t, "met": None if v is None else (v >= t if op == ">=" else v <= t)}
        for k, (v, t, op) in checks.items()
    }

    log(f"\nspeed, {args.rounds} round(s), {text_mb:.1f} MB text, {pages} pages in {len(files)} files")
    head = (
        f"{'pipeline':26s} {'read':>6s} {'kept':>6s} {'wall s':>8s} {'docs/s':>8s} {'MB/s':>6s} "
        f"{'net docs/s':>10s} {'start s':>7s} {'RSS MB':>7s}  {'job vs it':>9s}  target"
    )
    log(head)
    rel = {
        "job1": None,
        "job2": ratios["workers2_vs_1"],
        "ccnet": ratios["job_vs_ccnet"],
        "plain": ratios["job_vs_plain"],
    }
    tgt = {
        "job1": "",
        "job2": f"2w/1c >= 1.8x: {mark(verdicts['workers 2 >= 1.8x 1 core']['met'])}",
        "ccnet": f">= 1.5x: {mark(verdicts['job >= 1.5x cc_net-style']['met'])}",
        "plain": f">= 0.9x: {mark(verdicts['job >= 0.9x plain loop']['met'])}",
    }
    for name in PIPELINES:
        s = summary[name]
        log(
            f"{s['label']:26s} {fmt(s['read'], 'd'):>6s} {fmt(s['kept'], 'd'):>6s} {fmt(s['wall_s'], '.1f'):>8s} "
            f"{fmt(s['docs_per_s'], '.1f'):>8s} {fmt(s['mb_per_s']):>6s} {fmt(s['net_docs_per_s'], '.1f'):>10s} "
            f"{fmt(s['startup_s']):>7s} {fmt(s['peak_rss_mb'], '.0f'):>7s}  "
            f"{(fmt(rel[name]) + 'x') if rel[name] else '':>9s}  {tgt[name]}"
        )
        if s["errors"]:
            log(f"{'':26s} failed: {s['errors'][0][-300:]}")
    log(
        f"start-up: job {fmt(start['job1'])} s, plain loop {fmt(start['plain'])} s, gap {fmt(startup_gap)} s "
        f"(target <= 0.5 s: {mark(verdicts['start-up within 0.5 s of plain loop']['met'])})"
    )
    return {
        "files": len(files),
        "pages": pages,
        "text_mb": round(text_mb, 2),
        "rounds": args.rounds,
        "pinned_with": " ".join(cpu),
        "pipelines": summary,
        "ratios": ratios,
        "startup_gap_s": startup_gap,
        "targets": verdicts,
        "raw_rounds": [{n: {k: v for k, v in r[n].items() if k != "dropped"} for n in r} for r in rounds],
        "startup_raw": startup,
    }


def run_tree_measured(cmd: list[str], timeout: float) -> dict:
    """Run cmd sampling every process of its tree from /proc: the sum over processes of their peak
    (VmHWM), the largest concurrent sum of VmRSS, and the wall time."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, cwd=ROOT, env=env())
        peaks: dict[int, int] = {}
        concurrent = 0
        while proc.poll() is None:
            now = 0
            for p in _tree(proc.pid):
                peaks[p] = max(peaks.get(p, 0), _hwm_kb(p))
                now += _rss_kb(p)
            concurrent = max(concurrent, now)
            if time.perf_counter() - t > timeout:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.2)
        wall = time.perf_counter() - t
        se.seek(0)
        err = se.read().decode("utf-8", "replace")[-3000:]
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "tree_hwm_mb": sum(peaks.values()) / 1024,
        "processes": len(peaks),
        "controller_hwm_mb": peaks.get(proc.pid, 0) / 1024,
        "concurrent_rss_mb": concurrent / 1024,
        "stderr": err,
    }


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def slope(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else None


def memory(args: argparse.Namespace, models: Models) -> dict:
    sizes = sorted({int(x) for x in args.memory_sizes.split(",") if x.strip()})
    corpus = unique_corpus(args.unit_mb, max(sizes), log=log)
    plan = [(k, "dedup") for k in sizes]
    if args.memory_full:
        plan += [(k, "full") for k in sizes if k <= 10]
    rows = []
    log(
        f"\nmemory: unique-lines corpus, {args.unit_mb:g} MB text per file, sizes {sizes}, "
        f"workers {args.memory_workers}"
    )
    for k, stages in plan:
        files = corpus["paths"][:k]
        text_mb = sum(f["text_bytes"] for f in corpus["files"][:k]) / 1e6
        pages = sum(f["pages"] for f in corpus["files"][:k])
        out = tempfile.mkdtemp(prefix=f"cc-scale-mem-{k}x-")
        try:
            cmd = [*job_cli(), "run", "common_crawl", "--input", *files, "--output", out]
            cmd += ["--stop-after", "dedup"] if stages == "dedup" else models.args()
            if args.memory_workers:
                cmd += ["--workers", str(args.memory_workers)]
            log(f"  {k}x ({stages}): {len(files)} files, {text_mb:.1f} MB text ...")
            r = run_tree_measured(cmd, args.timeout)
            stats = {}
            if r["rc"] == 0:
                with open(os.path.join(out, "stats.json"), encoding="utf-8") as f:
                    stats = json.load(f)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        row = {
            "factor": k,
            "stages": stages,
            "files": len(files),
            "pages": pages,
            "text_mb": round(text_mb, 1),
            "ok": r["rc"] == 0,
            "wall_s": round(r["wall_s"], 1),
            "s_per_mb": round(r["wall_s"] / text_mb, 3),
            "tree_peak_rss_mb": round(r["tree_hwm_mb"]),
            "controller_peak_rss_mb": round(r["controller_hwm_mb"]),
            "concurrent_rss_mb": round(r["concurrent_rss_mb"]),
            "processes": r["processes"],
            "read": stats.get("read"),
            "kept": stats.get("kept"),
            "dedup_removed_char_share": stats.get("dedup.removed_char_share"),
            "dedup_duplicated_keys": stats.get("dedup.duplicated_keys"),
            "job_reported_peak_rss_mb": stats.get("peak_rss_mb"),
        }
        if r["rc"] != 0:
            row["error"] = f"exit {r['rc']}: {r['stderr'].strip()[-1500:]}"
        rows.append(row)
        log(
            f"  {k:3d}x {stages:5s} {row['text_mb']:8.1f} MB  {row['wall_s']:7.1f} s ({row['s_per_mb']:.2f} s/MB)  "
            f"tree peak {row['tree_peak_rss_mb']} MB over {row['processes']} processes, largest concurrent "
            f"{row['concurrent_rss_mb']} MB" + ("" if row["ok"] else f"  FAILED: {row['error'][-500:]}")
        )
    ok = [r for r in rows if r["ok"] and r["stages"] == "dedup"]
    xs, ys = [r["text_mb"] for r in ok], [r["tree_peak_rss_mb"] for r in ok]
    fit = slope(xs, ys)
    tail = slope(xs[-2:], ys[-2:]) if len(ok) >= 2 else None
    verdict = {
        "least_squares": {
            "value": fit,
            "target": TARGETS["slope"],
            "met": None if fit is None else fit <= TARGETS["slope"],
        },
        "two_largest": {
            "value": tail,
            "target": TARGETS["slope"],
            "met": None if tail is None else tail <= TARGETS["slope"],
        },
    }
    log(
        f"\n{'size':>5s} {'stages':6s} {'text MB':>8s} {'pages':>7s} {'wall s':>8s} {'s/MB':>6s} "
        f"{'tree peak RSS MB':>16s} {'concurrent MB':>13s}"
    )
    for r in rows:
        log(
            f"{r['factor']:4d}x {r['stages']:6s} {r['text_mb']:8.1f} {r['pages']:7d} {r['wall_s']:8.1f} "
            f"{r['s_per_mb']:6.2f} {r['tree_peak_rss_mb']:16d} {r['concurrent_rss_mb']:13d}"
            + ("" if r["ok"] else "  FAILED")
        )
    between = f"{ok[-2]['factor']}x-{ok[-1]['factor']}x" if len(ok) >= 2 else "-"
    log(
        f"slope, MB RSS per MB text (--stop-after dedup): least squares {fmt(fit, '.3f')} "
        f"({mark(verdict['least_squares']['met'])}), between {between} {fmt(tail, '.3f')} "
        f"({mark(verdict['two_largest']['met'])}); target <= {TARGETS['slope']}"
    )
    return {
        "unit_mb": args.unit_mb,
        "workers": args.memory_workers,
        "corpus_folder": corpus["folder"],
        "rows": rows,
        "slope_least_squares": fit,
        "slope_two_largest": tail,
        "targets": verdict,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=os.path.join(ROOT, "out", "demo", "models"))
    ap.add_argument("--rounds", type=int, default=3, help="paired rounds of the speed runs (default 3)")
    ap.add_argument("--speed-files", type=int, default=0, help="use only the first N real-corpus files (0 = all)")
    ap.add_argument("--memory-sizes", default="1,10,50", help="factors of the unique-lines corpus (default 1,10,50)")
    ap.add_argument("--unit-mb", type=float, default=21.0, help="MB of text per unique-lines file = 1x (default 21)")
    ap.add_argument(
        "--memory-workers", type=int, default=2, help="--workers of the memory runs (default 2; 0 = in-process)"
    )
    ap.add_argument("--memory-full", action="store_true", help="also run the full stages at the sizes <= 10x")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument(
        "--quick", action="store_true", help="tiny sizes to try it: 1 corpus file, 1 round, memory 0.5 MB x 1,2,4"
    )
    ap.add_argument("--timeout", type=float, default=7200, help="seconds before one run is killed (default 7200)")
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "cc_scale.json"))
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.speed_files = 1, args.speed_files or 1
        args.unit_mb, args.memory_sizes = 0.5, "1,2,4"
    models = Models(args.models)
    corpus = real_corpus(log=log)
    result: dict = {
        "machine": os.uname().nodename,
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "models": args.models,
        "corpus": {
            "folder": corpus["folder"],
            "files": len(corpus["paths"]),
            "pages": corpus["pages"],
            "text_mb": round(corpus["text_bytes"] / 1e6, 2),
            "groups": corpus["groups"],
            "handbook_locales": corpus["locales"],
        },
    }
    c = result["corpus"]
    groups = ", ".join(f"{g} {v['pages']} pages {v['text_mb']} MB" for g, v in c["groups"].items())
    log(
        f"real corpus: {c['text_mb']:.1f} MB of text, {c['pages']} pages, {c['files']} WET files "
        f"({groups}; "
        f"{len(c['handbook_locales'])} handbook locales: {' '.join(c['handbook_locales'])})"
    )
    if c["text_mb"] < 40:
        log(f"note: the real pages available come to {c['text_mb']:.1f} MB, under 40 MB; all of it is used, no copies")
    if not args.skip_speed:
        result["speed"] = speed(args, corpus, models)
    if not args.skip_memory:
        result["memory"] = memory(args, models)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
        log(f"\nsaved {args.json}")


if __name__ == "__main__":
    main()
