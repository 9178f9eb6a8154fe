"""Wikipedia / Books / ArXiv cleaning benchmark: per source docs/s, MB/s and peak RSS of the cleaning
rules (reader output in memory, rules timed alone, each source in its own process so the peak RSS is its
own), optionally the whole Beam job, and the book MinHash stage against datasketch alone on the same books.

    python bench/bench_sources_b.py --samples data/samples            # the sample corpus folder
    python bench/bench_sources_b.py --samples data/samples --beam     # + `run_job` wall time per source

MinHash comparison, all on the same stripped books and the same word 5-gram shingles:
  ours            text -> shingle hashes (blake2b per distinct word, numpy-combined) -> numpy signature
  ds.update       datasketch MinHash.update(shingle bytes) once per shingle (its sha1 hash per call)
  ds.update_batch datasketch MinHash.update_batch(all shingle bytes of the book)
  ds.bulk         datasketch MinHash.bulk(all books' shingle bytes)
The datasketch rows include building the shingle strings from the same tokens (their input format).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline.document import Document
from pipeline.sources import reader_for
from pipeline.sources.base import SkipCounter

INPUTS = {"wikipedia": "wikipedia/*.xml*", "books": "books/*/*", "arxiv": "arxiv/*"}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_all(source: str, samples: str) -> list[Document]:
    read = reader_for(source)
    docs: list[Document] = []
    for path in sorted(glob.glob(os.path.join(samples, INPUTS[source]))):
        docs.extend(read(path, SkipCounter()))
    return docs


def cleaner(source: str) -> Callable[[Document], object]:
    if source == "wikipedia":
        from filters.wikipedia import SelectLanguage, clean_article

        select = SelectLanguage()
        return lambda d: clean_article(d) if isinstance(select(d), Document) else None
    if source == "books":
        from filters.books import StripGutenberg

        return StripGutenberg()
    from filters.arxiv import ExtractBody, RemoveComments

    rc, body = RemoveComments(), ExtractBody()
    return lambda d: body(rc(d))  # type: ignore[arg-type]


def bench_source(source: str, samples: str, repeat: int) -> dict:
    """Run in a child process: the rules alone over the reader's documents."""
    docs = read_all(source, samples)
    nbytes = sum(len(d.text.encode("utf-8")) for d in docs)
    clean = cleaner(source)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for d in docs:
            clean(d)
        best = min(best, time.perf_counter() - t)
    row = {
        "source": source,
        "docs": len(docs),
        "MB": nbytes / 1e6,
        "seconds": best,
        "docs_per_s": len(docs) / best,
        "MB_per_s": nbytes / 1e6 / best,
    }
    if source == "books":
        from filters.minhash import permutations, shingle_hashes, signature

        perms = permutations()
        t = time.perf_counter()
        for d in docs:
            signature(shingle_hashes(d.text), perms)
        row["minhash_seconds"] = time.perf_counter() - t
        row["rules+minhash_MB_per_s"] = nbytes / 1e6 / (best + row["minhash_seconds"])
    row["peak_rss_MB"] = peak_rss_mb()
    return row


def bench_minhash(samples: str, repeat: int) -> dict:
    from datasketch import MinHash

    from filters.books import strip_gutenberg
    from filters.minhash import NUM_PERM, SEED, permutations, shingle_hashes, signature

    books = [strip_gutenberg(d.text)[0] for d in read_all("books", samples)]
    word_re = re.compile(r"\w+")

    def shingle_bytes(text: str) -> list[bytes]:
        w = word_re.findall(text.lower())
        return list({" ".join(w[i : i + 5]).encode("utf-8") for i in range(max(1, len(w) - 4))})

    def ours() -> None:
        perms = permutations(NUM_PERM, SEED)
        for b in books:
            signature(shingle_hashes(b), perms)

    def ds_update() -> None:
        for b in books:
            m = MinHash(num_perm=NUM_PERM, seed=SEED)
            for s in shingle_bytes(b):
                m.update(s)

    def ds_update_batch() -> None:
        for b in books:
            MinHash(num_perm=NUM_PERM, seed=SEED).update_batch(shingle_bytes(b))

    def ds_bulk() -> None:
        MinHash.bulk([shingle_bytes(b) for b in books], num_perm=NUM_PERM, seed=SEED)

    def shingles_only() -> None:
        for b in books:
            shingle_bytes(b)

    times = {}
    for name, fn in [
        ("ours", ours),
        ("ds.update", ds_update),
        ("ds.update_batch", ds_update_batch),
        ("ds.bulk", ds_bulk),
        ("(ds shingle strings only)", shingles_only),
    ]:
        best = float("inf")
        for _ in range(1 if name == "ds.update" else repeat):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        times[name] = best
    n_sh = sum(len(shingle_hashes(b)) for b in books)
    return {
        "books": len(books),
        "MB": sum(len(b.encode()) for b in books) / 1e6,
        "shingles": n_sh,
        "seconds": times,
    }


def bench_beam(source: str, samples: str) -> dict:
    from pipeline.beam.job import run_job
    from pipeline.beam.jobs import job_for

    parser = argparse.ArgumentParser()
    job_for(source).add_arguments(parser)
    args = parser.parse_args([])
    args.num_shards = 1
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        stats = run_job(source, [os.path.join(samples, INPUTS[source])], out, args, ["--runner=DirectRunner"], 1)
        wall = time.perf_counter() - t
    return {
        "source": source,
        "read": stats.get("read", 0),
        "kept": stats.get("kept", 0),
        "dropped": stats.get("dropped", {}),
        "wall_s": wall,
        "peak_rss_MB": peak_rss_mb(),
    }


def child(cmd: list[str]) -> dict:
    env = {**os.environ, "BEAM_DIRECT_RUNNER_DISABLE_PRISM": "1"}
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *cmd], capture_output=True, text=True, env=env, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", default="data/samples", help="sample corpus folder (llama-data samples)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings")
    ap.add_argument("--beam", action="store_true", help="also time `run_job` per source (in-process DirectRunner)")
    ap.add_argument(
        "--one",
        choices=list(INPUTS) + ["minhash", "beam-wikipedia", "beam-books", "beam-arxiv"],
        help=argparse.SUPPRESS,
    )
    ap.add_argument("--json", metavar="PATH", help="also write the figures here (read by `llama-data capacity`)")
    a = ap.parse_args()
    if a.one:
        if a.one == "minhash":
            r = bench_minhash(a.samples, a.repeat)
        elif a.one.startswith("beam-"):
            r = bench_beam(a.one[5:], a.samples)
        else:
            r = bench_source(a.one, a.samples, a.repeat)
        print(json.dumps(r))
        return 0
    if not os.path.isdir(a.samples):
        raise SystemExit(f"no sample corpus at {a.samples} (build it with `llama-data samples`)")
    print(f"cleaning rules alone (best of {a.repeat}; one process per source):")
    print(f"  {'source':10s} {'docs':>6s} {'MB':>7s} {'docs/s':>9s} {'MB/s':>7s} {'peak RSS MB':>12s}")
    results: dict = {"machine": os.uname().nodename, "cpus": os.cpu_count()}
    for source in INPUTS:
        r = child(["--one", source, "--samples", a.samples, "--repeat", str(a.repeat)])
        # lower-case keys for `llama-data capacity`; a book's job runs the MinHash stage too, so its
        # mb_per_s is strip+signature (the rules alone stay under rules_mb_per_s)
        mbs = r.get("rules+minhash_MB_per_s", r["MB_per_s"])
        results[source] = {
            **r,
            "mb_per_s": mbs,
            "rules_mb_per_s": r["MB_per_s"],
            "peak_rss_mb": r["peak_rss_MB"],
        }
        print(
            f"  {source:10s} {r['docs']:6d} {r['MB']:7.2f} {r['docs_per_s']:9.1f} {r['MB_per_s']:7.2f} "
            f"{r['peak_rss_MB']:12.0f}"
        )
        if "minhash_seconds" in r:
            print(
                f"  {'':10s} + MinHash signatures: {r['minhash_seconds']:.2f} s; strip+signature "
                f"{r['rules+minhash_MB_per_s']:.2f} MB/s"
            )
    m = child(["--one", "minhash", "--samples", a.samples, "--repeat", str(a.repeat)])
    s = m["seconds"]
    print(
        f"\nMinHash stage on {m['books']} books ({m['MB']:.2f} MB, {m['shingles']} distinct 5-gram shingles), "
        f"128 permutations:"
    )
    for name, sec in s.items():
        ratio = "" if name == "ours" else f"  {sec / s['ours']:6.2f}x ours"
        print(f"  {name:28s} {sec:7.3f} s  {m['MB'] / sec:7.2f} MB/s{ratio}")
    results["minhash"] = {
        **m,
        "mb_per_s_by_method": {k: m["MB"] / v for k, v in s.items()},
        "ratio_vs_ours": {k: v / s["ours"] for k, v in s.items()},
    }
    if a.beam:
        print("\nwhole Beam job (in-process DirectRunner, incl. reading and Parquet writing):")
        for source in INPUTS:
            r = child(["--one", f"beam-{source}", "--samples", a.samples])
            print(
                f"  {source:10s} read {r['read']:5d} kept {r['kept']:5d} {r['wall_s']:6.1f} s  "
                f"{r['read'] / r['wall_s']:7.1f} docs/s  peak RSS {r['peak_rss_MB']:.0f} MB  dropped {r['dropped']}"
            )
            results[source]["beam_job"] = r
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
