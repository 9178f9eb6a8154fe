"""Memory of the whole-run joins at scale: GitHub's exact file dedup, C4's whole-line dedup
(`--mode clean`), StackExchange's grouping by question and the books' MinHash signatures / near-dedup.
Each source's input is built from the sample corpus in the source's own format at 1x (about --unit-mb of
document text) and 10x, every copy varied so that the join's keys are mostly unique (the worst case for a
join), then `llama-data run SOURCE` runs on it in-process (DirectRunner, default options) while the peak
RSS (VmHWM) of its whole process tree is sampled. The slope is MB of peak RSS per MB of input text
between the smallest and the largest size; a join whose memory is flat in the input stays under
--target (0.5 MB/MB).

    python bench/bench_joins_scaling.py [--sources github,c4,stackexchange,books] [--sizes 1,10]
                                        [--quick] [--baseline] [--json bench/results/joins_scaling.json]

Inputs, per source and number of copies (text written = the readers' document text):
  github         BigQuery JSONL (.jsonl.gz), one file a copy: each sample file with ~40% of its lines
                 rewritten (so its SHA-256 is new), repo renamed per copy, licence relabelled to
                 mit/apache-2.0/bsd-3-clause so that files reach the join instead of the licence filter
  c4             CommonCrawl WET, one file a copy: the sample WET pages plus the C4 sample's pages, half
                 the sentences of each copy marked with a copy-specific word (so about half the lines
                 are new); run with --mode clean --lid-threshold 0.9 (with the default 0.99 the
                 bundled lid.176.ftz keeps no page of the sample, and the line dedup would see nothing;
                 the job's help gives 0.9 as the ftz equivalent of C4's 0.99)
  stackexchange  Posts.xml per site folder (16 copies a file): post, parent and accepted-answer ids
                 shifted per copy (every (site, question) key is new), bodies varied
  books          copy 0 is the sample as is (Gutenberg .txt and Books3 .jsonl.zst, with its natural
                 near-duplicates); every later copy is one Books3 .jsonl.zst of the sample books with
                 their words permuted within each word length (same sizes, new shingles; the near-duplicate
                 pairs inside a copy stay pairs, so LSH candidates grow linearly)

Built once into ~/.cache/llama-data/bench/joins/<source>/copies-NNNN/input/ (the manifest.json beside
it, written last, marks a finished build) and reused. `--baseline` also runs each job with its join switched off (github
--no-file-dedup, c4 --dedup none, books --no-dedup; stackexchange has no switch), which separates the
join's share of the slope from the read/write path's (WriteToParquet groups every kept document).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from xml.sax.saxutils import quoteattr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from bench_dedup_scaling import WORDS, _hwm_kb, _tree, varied  # noqa: E402
from wet_fixture import write_wet  # noqa: E402

from pipeline.sources import reader_for  # noqa: E402
from pipeline.sources.base import SkipCounter, iter_json_lines  # noqa: E402

BUILD_VERSION = 1  # bump when a builder changes: cached inputs of another version are rebuilt
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "llama-data", "bench", "joins")
SOURCES = ("github", "c4", "stackexchange", "books")
TARGET = 0.5  # MB of peak RSS per MB of input text
JOIN = {
    "github": "exact file dedup (CombinePerKey by SHA-256)",
    "c4": "whole lines (CombinePerKey line, CoGroupByKey id)",
    "stackexchange": "GroupByKey (site, question id)",
    "books": "signatures ToList + LSH, shingle CoGroupByKey",
}
EXTRA_ARGS = {"c4": ["--mode", "clean", "--lid-threshold", "0.9"]}
NO_JOIN_ARGS = {"github": ["--no-file-dedup"], "c4": ["--dedup", "none"], "books": ["--no-dedup"]}
PERMISSIVE = ("mit", "apache-2.0", "bsd-3-clause")
SE_COPIES_PER_FILE = 16
SE_ID_OFFSET = 100_000  # sample post ids are below 5,000


def _rng(source: str, copy: int) -> random.Random:
    return random.Random(f"{source}-{copy}")


def _text_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


# -- base material from the sample corpus -----------------------------------------------------------
def _sample_files(samples: str, source: str) -> list[str]:
    pattern = {
        "github": "github/*.jsonl*",
        "c4": "common_crawl/*.warc.wet.gz",
        "stackexchange": "stackexchange/*/Posts.xml",
        "books": "books/*/*",
    }[source]
    files = sorted(glob.glob(os.path.join(samples, pattern)))
    if source == "c4":
        files += sorted(glob.glob(os.path.join(samples, "c4", "*.json.gz")))
    if not files:
        sys.exit(f"no {source} sample files under {samples} (run `llama-data samples` first)")
    return files


def _fingerprint(files: list[str]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f"{os.path.basename(f)}:{os.path.getsize(f)}\n".encode())
    return h.hexdigest()[:16]


def load_github(files: list[str]) -> list[dict]:
    rows = []
    for f in files:
        for _, obj in iter_json_lines(f, SkipCounter()):
            if isinstance(obj.get("content"), str) and isinstance(obj.get("repo_name"), str):
                rows.append(obj)
    return rows


def load_c4(files: list[str]) -> list[tuple[str, str]]:
    """(url, text) of the sample's WET pages and of the C4 sample's pages (clean English news)."""
    pages = []
    for f in files:
        read = reader_for("c4" if f.endswith(".json.gz") else "common_crawl")
        pages += [(str(d.meta.get("url") or d.id), d.text) for d in read(f, SkipCounter())]
    return pages


def load_stackexchange(files: list[str]) -> dict[str, list[dict[str, str]]]:
    """{site folder: [row attributes]} of each sample Posts.xml."""
    import xml.etree.ElementTree as ET

    out: dict[str, list[dict[str, str]]] = {}
    for f in files:
        site = os.path.basename(os.path.dirname(f))
        out[site] = [dict(el.attrib) for _, el in ET.iterparse(f) if el.tag == "row"]
    return out


def load_books(files: list[str]) -> list[tuple[str, str]]:
    """(title, text) of every sample book, Gutenberg licence text included."""
    read = reader_for("books")
    return [(str(d.meta.get("title") or d.id), d.text) for f in files for d in read(f, SkipCounter())]


# -- per-copy variation ------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<![.!?])([.!?]+)(?=[\"'\u201d\u2019)\]]*(?:\s|$))")


def varied_sentences(text: str, copy: int, rng: random.Random, share: float = 0.5) -> str:
    """Copy 0 is the original; later copies put a copy-specific word before the end mark of `share` of
    the sentences (lines keep their terminal punctuation, so C4's line rules keep them)."""
    if copy == 0:
        return text
    n = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        if rng.random() < share:
            return f" {WORDS[(copy * 7 + n) % len(WORDS)]}{copy}{m.group(1)}"
        return m.group(1)

    return _SENTENCE_END.sub(sub, text)


_WORD = re.compile(r"[A-Za-z]+")


def word_permutation(texts: list[str], copy: int) -> dict[str, str]:
    """A bijection of the books' words that keeps each word's length (so a copy has the original's size
    and word-length profile, and new 5-gram shingles)."""
    by_len: dict[int, list[str]] = {}
    for w in sorted({w for t in texts for w in _WORD.findall(t)}):
        by_len.setdefault(len(w), []).append(w)
    rng = _rng("books", copy)
    mapping: dict[str, str] = {}
    for words in by_len.values():
        shuffled = words[:]
        rng.shuffle(shuffled)
        mapping.update(zip(words, shuffled, strict=True))
    return mapping


def permute(text: str, mapping: dict[str, str]) -> str:
    return _WORD.sub(lambda m: mapping.get(m.group(), m.group()), text)


# -- builders: (base material, folder, copies) -> manifest fields --------------------------------------
def build_github(rows: list[dict], folder: str, copies: int) -> dict:
    import gzip

    size = docs = 0
    for c in range(copies):
        rng = _rng("github", c)
        out = []
        for i, r in enumerate(rows):
            content = varied(r["content"], c, rng)
            repo = r["repo_name"] if c == 0 else f"{r['repo_name']}-c{c}"
            out.append({**r, "repo_name": repo, "content": content, "license": PERMISSIVE[i % len(PERMISSIVE)]})
            size += _text_bytes(content)
        docs += len(out)
        data = "".join(json.dumps(o) + "\n" for o in out).encode()
        with gzip.open(os.path.join(folder, f"github-{c:05d}.jsonl.gz"), "wb", compresslevel=1) as f:
            f.write(data)
    return {"text_bytes": size, "documents": docs, "glob": "github-*.jsonl.gz"}


def build_c4(pages: list[tuple[str, str]], folder: str, copies: int) -> dict:
    size = 0
    for c in range(copies):
        rng = _rng("c4", c)
        copy = [(f"{url}?copy={c}" if c else url, varied_sentences(text, c, rng)) for url, text in pages]
        write_wet(os.path.join(folder, f"part-{c:05d}.warc.wet.gz"), copy, start=c * 1_000_000)
        size += sum(_text_bytes(t) for _, t in copy)
    return {"text_bytes": size, "documents": copies * len(pages), "glob": "*.warc.wet.gz"}


_ESCAPES = {"\n": "&#xA;", "\r": "&#xD;", "\t": "&#x9;"}


def build_stackexchange(sites: dict[str, list[dict[str, str]]], folder: str, copies: int) -> dict:
    size = docs = 0
    for start in range(0, copies, SE_COPIES_PER_FILE):
        for site, rows in sites.items():
            os.makedirs(os.path.join(folder, f"part-{start // SE_COPIES_PER_FILE:04d}", site))
            lines = ['<?xml version="1.0" encoding="utf-8"?>', "<posts>"]
            for c in range(start, min(copies, start + SE_COPIES_PER_FILE)):
                rng = _rng(f"stackexchange-{site}", c)
                for r in rows:
                    a = dict(r)
                    for k in ("Id", "ParentId", "AcceptedAnswerId"):
                        if a.get(k, "").isdigit():
                            a[k] = str(int(a[k]) + c * SE_ID_OFFSET)
                    a["Body"] = varied(a.get("Body", ""), c, rng)
                    if a.get("PostTypeId") in ("1", "2"):
                        size += _text_bytes(a["Body"])
                        docs += 1
                    attrs = " ".join(f"{k}={quoteattr(v, _ESCAPES)}" for k, v in a.items())
                    lines.append(f"  <row {attrs} />")
            lines.append("</posts>\n")
            path = os.path.join(folder, f"part-{start // SE_COPIES_PER_FILE:04d}", site, "Posts.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
    return {"text_bytes": size, "documents": docs, "glob": "*/*/Posts.xml"}


def build_books(base: tuple[list[str], list[tuple[str, str]]], folder: str, copies: int) -> dict:
    import zstandard

    files, books = base
    size = docs = 0
    for f in files:  # copy 0: the sample files as they are
        shutil.copy(f, os.path.join(folder, os.path.basename(f)))
    size += sum(_text_bytes(t) for _, t in books)
    docs += len(books)
    texts = [t for _, t in books]
    for c in range(1, copies):
        mapping = word_permutation(texts, c)
        rows = []
        for title, text in books:
            new = permute(text, mapping)
            rows.append({"text": new, "meta": {"title": f"{title} (copy {c})"}})
            size += _text_bytes(new)
        docs += len(rows)
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        with open(os.path.join(folder, f"books3-c{c:05d}.jsonl.zst"), "wb") as f:
            f.write(zstandard.ZstdCompressor(level=3).compress(data))
    return {"text_bytes": size, "documents": docs, "glob": "*"}


LOADERS: dict[str, Callable[[list[str]], object]] = {
    "github": load_github,
    "c4": load_c4,
    "stackexchange": load_stackexchange,
    "books": lambda files: (files, load_books(files)),
}
BUILDERS: dict[str, Callable[..., dict]] = {
    "github": build_github,
    "c4": build_c4,
    "stackexchange": build_stackexchange,
    "books": build_books,
}


class Inputs:
    """The cached inputs of one source: base material loaded once, each copy count built once."""

    def __init__(self, source: str, samples: str, cache: str) -> None:
        self.source, self.cache = source, cache
        self.files = _sample_files(samples, source)
        self.fingerprint = _fingerprint(self.files)
        self._base: object = None

    def base(self) -> object:
        if self._base is None:
            self._base = LOADERS[self.source](self.files)
        return self._base

    def copy_bytes(self) -> int:
        """Text bytes of one copy (from a one-copy build, itself cached)."""
        return self.ensure(1)["text_bytes"]

    def ensure(self, copies: int) -> dict:
        folder = os.path.join(self.cache, self.source, f"copies-{copies:04d}")
        manifest = os.path.join(folder, "manifest.json")
        if os.path.exists(manifest):
            with open(manifest, encoding="utf-8") as f:
                m = json.load(f)
            if m.get("version") == BUILD_VERSION and m.get("samples") == self.fingerprint:
                return {**m, "folder": folder}
        shutil.rmtree(folder, ignore_errors=True)
        tmp = folder + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        t = time.perf_counter()
        os.makedirs(os.path.join(tmp, "input"))
        m = BUILDERS[self.source](self.base(), os.path.join(tmp, "input"), copies)
        m["glob"] = os.path.join("input", m["glob"])
        m.update(
            version=BUILD_VERSION,
            samples=self.fingerprint,
            copies=copies,
            build_seconds=round(time.perf_counter() - t, 1),
        )
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(m, f, indent=2)
        os.rename(tmp, folder)
        print(
            f"  built {self.source} x{copies} copies: {m['text_bytes'] / 1e6:.1f} MB text in "
            f"{m['build_seconds']} s -> {folder}",
            flush=True,
        )
        return {**m, "folder": folder}


# -- running and measuring ---------------------------------------------------------------------------
def run_measured(cmd: list[str], timeout: float, max_rss_mb: float) -> dict:
    """bench_dedup_scaling's sampling (VmHWM of every process of the tree, every 0.2 s), plus a time
    limit and a memory cap past which the run is stopped and recorded as failed (not the bench)."""
    t = time.perf_counter()
    env = {**os.environ, "BEAM_DIRECT_RUNNER_DISABLE_PRISM": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env)
        peaks: dict[int, int] = {}
        failure = None
        while proc.poll() is None:
            for p in _tree(proc.pid):
                peaks[p] = max(peaks.get(p, 0), _hwm_kb(p))
            if proc.poll() is not None:
                break
            if time.perf_counter() - t > timeout:
                failure = f"timeout ({timeout:.0f} s)"
            elif sum(peaks.values()) / 1024 > max_rss_mb:
                failure = f"killed at {max_rss_mb:.0f} MB RSS"
            if failure:
                for p in reversed(_tree(proc.pid)):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                proc.wait()
                break
            time.sleep(0.2)
        wall = time.perf_counter() - t
        log.seek(0)
        tail = log.read()[-3000:]
    if failure is None and proc.returncode != 0:
        oom = proc.returncode in (-signal.SIGKILL, 137)
        failure = "killed (out of memory?)" if oom else f"failed (rc {proc.returncode})"
    controller = peaks.get(proc.pid, 0)
    workers = max((v for k, v in peaks.items() if k != proc.pid), default=0)
    return {
        "ok": failure is None,
        "failure": failure,
        "wall_s": round(wall, 1),
        "controller_peak_rss_mb": round(controller / 1024),
        "worker_peak_rss_mb": round(workers / 1024),
        # the tree's peak: the sum of each process's own peak (an upper bound when several run; the
        # default in-process DirectRunner is one process, and then it is that process's VmHWM)
        "peak_rss_mb": round(sum(peaks.values()) / 1024),
        "log_tail": tail if failure else "",
    }


STAT_KEYS = (
    "read",
    "kept",
    "dedup_candidate_pairs",
    "dedup_verified_pairs",
    "peak_rss_mb",
    "wall_seconds",
)


def run_one(source: str, inputs: dict, size: int, args: argparse.Namespace, join: bool) -> dict:
    out = tempfile.mkdtemp(prefix=f"joins-{source}-x{size}-")
    cmd = [
        sys.executable,
        "-m",
        "pipeline.app.cli",
        "run",
        source,
        "--input",
        os.path.join(inputs["folder"], inputs["glob"]),
    ]
    cmd += ["--output", out, *EXTRA_ARGS.get(source, [])]
    cmd += [] if join else NO_JOIN_ARGS[source]
    try:
        r = run_measured(cmd, args.timeout, args.max_rss_mb)
        stats = {}
        if r["ok"] and os.path.exists(os.path.join(out, "stats.json")):
            with open(os.path.join(out, "stats.json"), encoding="utf-8") as f:
                full = json.load(f)
            stats = {k: full[k] for k in STAT_KEYS if k in full}
            stats["dropped"] = full.get("dropped", {})
    finally:
        shutil.rmtree(out, ignore_errors=True)
    mb = inputs["text_bytes"] / 1e6
    row = {
        "source": source,
        "join": join,
        "size": size,
        "copies": inputs["copies"],
        "documents": inputs["documents"],
        "text_mb": round(mb, 1),
        **{k: v for k, v in r.items() if k != "log_tail" or v},
        "s_per_mb": round(r["wall_s"] / mb, 2) if mb else None,
        "stats": stats,
    }
    what = "" if join else " (join off)"
    if r["ok"]:
        print(
            f"  {source}{what} x{size}: {mb:.1f} MB text, {inputs['documents']} docs, read {stats.get('read')}, "
            f"kept {stats.get('kept')}: peak RSS {r['peak_rss_mb']} MB, {r['wall_s']} s",
            flush=True,
        )
    else:
        print(f"  {source}{what} x{size}: {mb:.1f} MB text: {r['failure']}\n{r['log_tail'][-1500:]}", flush=True)
    return row


def slope(rows: list[dict]) -> float | None:
    """MB of peak RSS per MB of input text between the smallest and the largest size that ran."""
    ok = sorted((r for r in rows if r["ok"]), key=lambda r: r["text_mb"])
    if len(ok) < 2 or ok[-1]["text_mb"] <= ok[0]["text_mb"]:
        return None
    return round((ok[-1]["peak_rss_mb"] - ok[0]["peak_rss_mb"]) / (ok[-1]["text_mb"] - ok[0]["text_mb"]), 3)


def summarise(source: str, rows: list[dict], sizes: list[int], target: float) -> dict:
    by_size = {r["size"]: r for r in rows if r["join"]}
    s = slope([r for r in rows if r["join"]])
    base = [r for r in rows if not r["join"]]
    failed = [r for r in by_size.values() if not r["ok"]]
    if s is None:
        verdict = "missed" if failed else "n/a"
    else:
        verdict = "met" if s <= target and not failed else "missed"
    out = {
        "join": JOIN[source],
        "sizes": sizes,
        "text_mb": [by_size[z]["text_mb"] if z in by_size else None for z in sizes],
        "peak_rss_mb": [by_size[z]["peak_rss_mb"] if z in by_size and by_size[z]["ok"] else None for z in sizes],
        "wall_s": [by_size[z]["wall_s"] if z in by_size else None for z in sizes],
        "failures": {str(r["size"]): r["failure"] for r in failed},
        "slope_mb_per_mb": s,
        "target": target,
        "target_met": verdict == "met",
        "verdict": verdict,
    }
    if base:
        out["no_join_peak_rss_mb"] = [
            next((r["peak_rss_mb"] for r in base if r["size"] == z and r["ok"]), None) for z in sizes
        ]
        out["no_join_slope_mb_per_mb"] = slope(base)
    return out


def print_table(summary: dict[str, dict], sizes: list[int]) -> None:
    lo, hi = f"{sizes[0]}x", f"{sizes[-1]}x"
    head = (
        f"{'source':14s} {'join':52s} {'MB text ' + lo:>12s} {hi:>7s} {'RSS MB ' + lo:>11s} {hi:>7s} "
        f"{'s ' + lo:>6s} {hi:>6s} {'slope':>7s}  target <= {TARGET} MB/MB"
    )
    print("\n" + head)
    print("-" * len(head))
    for source, s in summary.items():

        def rss(i: int, s: dict = s) -> str:
            z = str(s["sizes"][i])
            if z in s["failures"]:
                return s["failures"][z].split(" ")[0]
            v = s["peak_rss_mb"][i]
            return "-" if v is None else str(v)

        def num(v: float | None, fmt: str = "{:.1f}") -> str:
            return "-" if v is None else fmt.format(v)

        line = (
            f"{source:14s} {s['join']:52s} {num(s['text_mb'][0]):>12s} {num(s['text_mb'][-1]):>7s} "
            f"{rss(0):>11s} {rss(-1):>7s} {num(s['wall_s'][0], '{:.0f}'):>6s} {num(s['wall_s'][-1], '{:.0f}'):>6s} "
            f"{num(s['slope_mb_per_mb'], '{:.2f}'):>7s}  {s['verdict']}"
        )
        if "no_join_slope_mb_per_mb" in s:
            nj = s["no_join_peak_rss_mb"]
            line += f"  (join off: RSS {nj[0]} -> {nj[-1]} MB, slope {num(s['no_join_slope_mb_per_mb'], '{:.2f}')})"
        print(line)
    for source, s in summary.items():
        for z, why in s["failures"].items():
            print(f"{source} x{z}: {why}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", default=",".join(SOURCES), help=f"comma-separated, of {', '.join(SOURCES)}")
    ap.add_argument("--sizes", default="1,10", help="multiples of the unit input (default 1,10)")
    ap.add_argument("--unit-mb", type=float, default=12.0, help="MB of document text at 1x (default 12)")
    ap.add_argument("--quick", action="store_true", help="a 1 MB unit (1x about 1 MB, 10x about 10 MB)")
    ap.add_argument("--samples", help="sample corpus folder (default data/samples, else the cached one)")
    ap.add_argument("--cache", default=CACHE, help=f"folder for the built inputs (default {CACHE})")
    ap.add_argument("--baseline", action="store_true", help="also run each job with its join switched off")
    ap.add_argument("--timeout", type=float, default=600, help="seconds a run may take (default 600)")
    ap.add_argument("--max-rss-mb", type=float, default=16000, help="stop a run past this RSS (default 16000)")
    ap.add_argument("--target", type=float, default=TARGET, help=f"slope target, MB/MB (default {TARGET})")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        sys.exit(f"unknown source(s) {', '.join(unknown)}; expected some of {', '.join(SOURCES)}")
    sizes = sorted({int(x) for x in args.sizes.split(",")})
    unit_mb = 1.0 if args.quick else args.unit_mb
    samples = args.samples or os.path.join(ROOT, "data", "samples")
    if not os.path.isdir(samples):
        from pipeline.app.samples import ensure_samples

        samples = str(ensure_samples())

    rows: list[dict] = []
    summary: dict[str, dict] = {}
    for source in sources:
        inputs = Inputs(source, samples, args.cache)
        base_copies = max(1, round(unit_mb * 1e6 / inputs.copy_bytes()))
        print(f"{source}: {JOIN[source]}; 1x = {base_copies} copies of the sample", flush=True)
        src_rows = []
        for size in sizes:
            built = inputs.ensure(base_copies * size)
            src_rows.append(run_one(source, built, size, args, join=True))
            if args.baseline and source in NO_JOIN_ARGS:
                src_rows.append(run_one(source, built, size, args, join=False))
        rows += src_rows
        summary[source] = summarise(source, src_rows, sizes, args.target)
    print_table(summary, sizes)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "machine": os.uname().nodename,
                    "cpus": os.cpu_count(),
                    "runner": "DirectRunner (FnApiRunner, in-process)",
                    "unit_mb": unit_mb,
                    "target_mb_per_mb": args.target,
                    "sources": summary,
                    "rows": rows,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
