"""Throughput of the c4 (clean mode), github and stackexchange cleaning chains: docs/s, MB/s and peak
RSS per source, each source in its own process so that peaks do not mix.

    python bench/bench_sources_a.py                       # synthetic, sample-like input
    python bench/bench_sources_a.py --c4 'data/samples/common_crawl/*.wet.gz' \\
        --github 'data/samples/github/*.jsonl*' --stackexchange 'data/samples/stackexchange/*/Posts.xml'

With a glob, documents come from the source's reader (c4 clean reads WET with the common_crawl
reader); without one, a seeded generator makes sample-like input (real Python code from the
installed packages for GitHub, HTML posts with code blocks and lists for StackExchange, web pages of
prose and boilerplate lines for C4). The timed part is the plain-Python chain a Beam worker runs per
element (the Beam shuffles are not included); input reading is outside the timer.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from filters.base import Drop
from pipeline.document import Document, Meta

SENTENCES = [
    "The committee will publish its final report on the water supply early next year.",
    "Most of the new houses were built on land that used to belong to the railway company.",
    "She has been teaching mathematics at the village school for more than twenty years.",
    "Researchers found that the birds return to the same nesting site every spring.",
    "The bridge was closed for repairs after engineers discovered cracks in two of its supports.",
    "Tickets for the concert sold out within an hour of going on sale on Friday morning.",
    "It was the best of times, it was the worst of times, it was the age of wisdom.",
    "Farmers in the region have started to grow crops that need far less water than before.",
    "The museum reopened its doors to the public after a renovation that lasted two years.",
    "Our team will contact you by email within three working days to confirm the order.",
]
BOILERPLATE = [
    "Home | About | Contact",
    "Share this article",
    "This site uses cookies to improve your experience.",
    "Please enable JavaScript to view the comments.",
    "Copyright 2019 Example Media",
    "Read more...",
]


def synth_c4(n: int, rng: random.Random) -> list[Document]:
    docs = []
    for i in range(n):
        lines = [rng.choice(BOILERPLATE) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(3, 14)):
            lines.append(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 3))))
        lines += [rng.choice(BOILERPLATE) for _ in range(rng.randint(1, 3))]
        docs.append(Document(f"page-{i:07d}", "c4", "\n".join(lines), {Meta.URL: f"https://site{i % 97}.example/{i}"}))
    return docs


def synth_github(n: int, rng: random.Random) -> list[Document]:
    import email  # a stdlib package: its .py files are real code with licence-free headers

    roots = [
        os.path.dirname(email.__file__),
        os.path.dirname(json.__file__),
        os.path.dirname(argparse.__file__),
    ]
    files = sorted(p for r in roots for p in glob.glob(os.path.join(r, "**", "*.py"), recursive=True))
    licences = ["mit", "apache-2.0", "bsd-3-clause", "gpl-2.0", "mit", "apache-2.0"]
    header = "# Copyright (c) 2020 Example Authors\n# SPDX-License-Identifier: MIT\n\n"
    docs = []
    for i in range(n):
        path = files[i % len(files)]
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        repo = f"org{i % 50}/repo{i % 400}"
        docs.append(
            Document(
                f"gh-{i:07d}",
                "github",
                header + text,
                {Meta.REPO: repo, Meta.PATH: os.path.basename(path), Meta.LICENSE: rng.choice(licences)},
            )
        )
    return docs


def synth_stackexchange(n: int, rng: random.Random) -> list[Document]:
    docs: list[Document] = []
    qid = 0
    while len(docs) < n:
        qid += 1
        body = "".join(f"<p>{rng.choice(SENTENCES)} {rng.choice(SENTENCES)}</p>" for _ in range(rng.randint(1, 3)))
        body += "<pre><code>for x in range(10):\n    print(x &lt; 5)\n</code></pre><ul><li>one</li><li>two</li></ul>"
        meta = {
            Meta.SITE: f"site{qid % 30}.stackexchange.com",
            "post_type": "question",
            Meta.QUESTION_ID: qid,
            "post_id": qid * 10,
            Meta.SCORE: rng.randint(-2, 50),
            Meta.TITLE: rng.choice(SENTENCES)[:60],
        }
        docs.append(Document(f"q{qid}", "stackexchange", body, meta))
        for a in range(rng.randint(0, 4)):
            ab = f"<p>{rng.choice(SENTENCES)}</p><pre><code>x = {a}\n</code></pre>"
            docs.append(
                Document(
                    f"a{qid}-{a}",
                    "stackexchange",
                    ab,
                    {
                        **meta,
                        "post_type": "answer",
                        "post_id": qid * 10 + a + 1,
                        Meta.SCORE: rng.randint(-1, 30),
                    },
                )
            )
    return docs[:n]


def read_glob(source: str, pattern: str, limit: int) -> list[Document]:
    from pipeline.sources import reader_for
    from pipeline.sources.base import SkipCounter

    read, skips, docs = reader_for(source), SkipCounter(), []
    for path in sorted(glob.glob(pattern)):
        for doc in read(path, skips):
            docs.append(doc)
            if len(docs) >= limit:
                return docs
    return docs


def chain(steps: list) -> Callable[[list[Document]], int]:
    for s in steps:
        s.setup()

    def run(docs: list[Document]) -> int:
        kept = 0
        for doc in docs:
            for s in steps:
                doc = s(doc)
                if isinstance(doc, Drop):
                    break
            else:
                kept += 1
        return kept

    return run


def make_c4() -> Callable[[list[Document]], int]:
    from filters.c4 import C4BadWords, C4CleanPage, C4WetPage
    from filters.c4_dedup import page_line_keys
    from filters.langid import LangIdStep

    run = chain([C4WetPage(), C4CleanPage(), C4BadWords(), LangIdStep(("en",), 0.99)])

    def with_line_keys(ds: list[Document]) -> int:
        kept = run(ds)
        for d in ds:  # the per-page half of the whole-line dedup (hashing); the shuffle is Beam's
            for _ in page_line_keys(d):
                pass
        return kept

    return with_line_keys


def make_github() -> Callable[[list[Document]], int]:
    from filters.github import content_key, github_steps

    run = chain(github_steps())

    def with_keys(ds: list[Document]) -> int:
        for d in ds:
            content_key(d)
        return run(ds)

    return with_keys


def make_stackexchange() -> Callable[[list[Document]], int]:
    from filters.stackexchange import build_thread, thread_key

    def run(ds: list[Document]) -> int:
        groups: dict[str, list[Document]] = {}
        for d in ds:
            groups.setdefault(thread_key(d), []).append(d)
        return sum(1 for posts in groups.values() if not isinstance(build_thread(posts)[0], Drop))

    return run


SOURCES = {
    "c4": (synth_c4, make_c4, "common_crawl"),
    "github": (synth_github, make_github, "github"),
    "stackexchange": (synth_stackexchange, make_stackexchange, "stackexchange"),
}


def one(source: str, pattern: str | None, n: int, seed: int) -> dict:
    synth, make, reader = SOURCES[source]
    docs = read_glob(reader, pattern, n) if pattern else synth(n, random.Random(seed))
    if not docs:
        raise SystemExit(f"{source}: no documents from {pattern}")
    nbytes = sum(len(d.text.encode("utf-8")) for d in docs)
    run = make()
    t = time.perf_counter()
    kept = run(docs)
    dt = time.perf_counter() - t
    return {
        "source": source,
        "input": pattern or "synthetic",
        "docs": len(docs),
        "kept": kept,
        "MB": round(nbytes / 1e6, 2),
        "seconds": round(dt, 3),
        "docs_per_s": round(len(docs) / dt, 1),
        "MB_per_s": round(nbytes / 1e6 / dt, 2),
        "peak_rss_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for s in SOURCES:
        ap.add_argument(f"--{s}", metavar="GLOB", help=f"{s} input files (default: synthetic)")
    ap.add_argument("--docs", type=int, default=3000, help="documents per source (default 3000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=list(SOURCES), help=argparse.SUPPRESS)
    ap.add_argument("--json", metavar="PATH", help="also write the figures here (read by `llama-data capacity`)")
    args = ap.parse_args()
    if args.only:
        print(json.dumps(one(args.only, getattr(args, args.only), args.docs, args.seed)))
        return
    print(f"{'source':14s} {'docs':>6s} {'kept':>6s} {'MB':>7s} {'docs/s':>9s} {'MB/s':>7s} {'peak RSS MB':>12s}")
    results: dict = {"machine": os.uname().nodename, "cpus": os.cpu_count()}
    for s in SOURCES:
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--only",
            s,
            "--docs",
            str(args.docs),
            "--seed",
            str(args.seed),
        ]
        if getattr(args, s):
            cmd += [f"--{s}", getattr(args, s)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        print(
            f"{s:14s} {r['docs']:6d} {r['kept']:6d} {r['MB']:7.2f} {r['docs_per_s']:9.1f} {r['MB_per_s']:7.2f} "
            f"{r['peak_rss_MB']:12.1f}"
        )
        # lower-case keys for `llama-data capacity` (pipeline/app/capacity.py reads mb_per_s per source)
        results[s] = {**r, "mb_per_s": r["MB_per_s"], "peak_rss_mb": r["peak_rss_MB"]}
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
