"""The GitHub licence rule on real source trees: files/s of the tree reader with licence detection, and
agreement of trees, JSONL and the declared licences.

    python bench/bench_licenses.py --crates '/data/crates/*' --python '/data/py/*'

--crates: unpacked Rust crates (e.g. Debian's librust-*-dev packages, /usr/share/cargo/registry/*); the
gold licence is each crate's Cargo.toml `license`. --python: trees holding a machine-readable
debian/copyright (gold: its `Files: *` licence) beside the package's files. For each tree the bench
reads every file (a) as a tree and (b) as BigQuery-style JSONL rows whose `license` is the gold value,
runs the licence filter on both, and counts kept/dropped against the gold verdict. It also matches each
licence file's text alone and checks the licence found is one the gold expression names.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import re
import sys
import tempfile
import time
import tomllib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from filters.base import Drop
from filters.github import GithubLicense
from pipeline.sources import github, licenses
from pipeline.sources.base import SkipCounter
from pipeline.sources.licenses.rule import classify_license, normalize_license


def crate_gold(tree: str) -> str | None:
    try:
        with open(os.path.join(tree, "Cargo.toml"), "rb") as f:
            lic = tomllib.load(f).get("package", {}).get("license")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return lic if isinstance(lic, str) else None


def dep5_gold(tree: str) -> str | None:
    try:
        with open(os.path.join(tree, "debian", "copyright"), encoding="utf-8", errors="replace") as f:
            dep5 = licenses.Dep5.parse(f.read())
    except OSError:
        return None
    short = dep5.tree_licence() if dep5 else None
    return dep5.spdx(short) if dep5 and short else None


def verdict(step: GithubLicense, doc) -> str:
    return "drop" if isinstance(step(doc), Drop) else "keep"


def run_trees(trees: list[str], gold_of, step: GithubLicense, stats: dict, tmp: str) -> None:
    table = stats["table"]
    for tree in trees:
        gold = gold_of(tree)
        if not gold:
            stats["no_gold"] += 1
            continue
        want = "keep" if classify_license(gold)[1] == "allowed" else "drop"
        t0 = time.perf_counter()
        docs = list(github.read(tree, SkipCounter()))
        stats["seconds"] += time.perf_counter() - t0
        stats["files"] += len(docs)
        tree_votes = collections.Counter(verdict(step, d) for d in docs)
        jsonl = os.path.join(tmp, "rows.jsonl")
        with open(jsonl, "w", encoding="utf-8") as f:
            for d in docs:
                row = {"repo_name": d.meta["repo"], "path": d.meta["path"], "content": d.text, "license": gold}
                f.write(json.dumps(row) + "\n")
        jsonl_votes = {d.id: verdict(step, d) for d in github.read_jsonl(jsonl, SkipCounter())}
        for d in docs:
            if jsonl_votes.get(d.id) != verdict(step, d):
                stats["file_disagree"] += 1
                stats["disagree_by_source"][d.meta.get(github.LICENSE_SOURCE, "").split(" ")[0]] += 1
        got_tree = tree_votes.most_common(1)[0][0] if docs else "none"
        got_jsonl = collections.Counter(jsonl_votes.values()).most_common(1)[0][0] if docs else "none"
        table[("tree", want, got_tree)] += 1
        table[("jsonl", want, got_jsonl)] += 1
        root = github.tree_license(tree)
        if got_tree != want or normalize_license(root) != normalize_license(gold):
            stats["mismatch"].append(f"{os.path.basename(tree)}: gold {gold!r} tree {root!r} ({got_tree})")


def licence_files(trees: list[str], gold_of, counts: collections.Counter, misses: list[str]) -> float:
    n, t0 = 0, time.perf_counter()
    for tree in trees:
        gold = gold_of(tree)
        if not gold:
            continue
        ids = set(re.findall(r"[A-Za-z0-9.+\-]+", normalize_license(gold))) - {"OR", "AND", "WITH"}
        for name in sorted(os.listdir(tree)):
            path = os.path.join(tree, name)
            if not licenses.is_license_file(name) or not os.path.isfile(path):
                continue
            n += 1
            with open(path, encoding="utf-8", errors="replace") as f:
                m = licenses.match_text(f.read())
            found = set(re.findall(r"[A-Za-z0-9.+\-]+", normalize_license(m.spdx))) - {"OR", "AND"} if m else set()
            ok = bool(found) and all(any(_base(i) == _base(x) for i in ids) for x in found)
            counts["matched_gold" if ok else ("no_match" if not m else "other_licence")] += 1
            if m and not ok:
                misses.append(f"{os.path.basename(tree)}/{name}: gold {gold!r} text {m.spdx} ({m.method} {m.score})")
    return n / max(time.perf_counter() - t0, 1e-9)


def _base(spdx: str) -> str:
    return re.sub(r"-(?:only|or-later)$|\+$", "", spdx)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--crates", default="", help="glob of unpacked crate trees (gold: Cargo.toml license)")
    ap.add_argument("--python", default="", help="glob of trees with a DEP-5 debian/copyright (gold: Files: *)")
    ap.add_argument("--out", default="", help="write the figures as JSON here")
    args = ap.parse_args()
    licenses.match_text("warm-up: build the licence index outside the timer " * 3)
    step = GithubLicense()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, pattern, gold_of in (("crates", args.crates, crate_gold), ("python", args.python, dep5_gold)):
            trees = sorted(p for p in glob.glob(pattern) if os.path.isdir(p)) if pattern else []
            if not trees:
                continue
            stats = {"table": collections.Counter(), "files": 0, "seconds": 0.0, "no_gold": 0, "file_disagree": 0}
            stats["mismatch"], stats["disagree_by_source"] = [], collections.Counter()
            run_trees(trees, gold_of, step, stats, tmp)
            counts, misses = collections.Counter(), []
            lic_rate = licence_files(trees, gold_of, counts, misses)
            table = stats["table"]
            row = {
                "trees": len(trees) - stats["no_gold"],
                "files": stats["files"],
                "files_per_s": round(stats["files"] / max(stats["seconds"], 1e-9), 1),
                "tree_vs_jsonl_file_disagreements": stats["file_disagree"],
                "disagreements_by_licence_source": dict(stats["disagree_by_source"]),
                "licence_files": dict(counts),
                "licence_files_per_s": round(lic_rate, 1),
                "confusion": {f"{form} gold={w} got={g}": n for (form, w, g), n in sorted(table.items())},
                "mismatches": stats["mismatch"],
                "licence_file_misses": misses,
            }
            result[label] = row
            print(f"== {label}: {row['trees']} trees, {row['files']} files, {row['files_per_s']} files/s")
            for form in ("jsonl", "tree"):
                kk, kd = table[(form, "keep", "keep")], table[(form, "keep", "drop")]
                dd, dk = table[(form, "drop", "drop")], table[(form, "drop", "keep")]
                print(f"  {form:5}: permissive kept {kk}/{kk + kd}, others dropped {dd}/{dd + dk}")
            print(f"  files where tree and JSONL verdicts differ: {stats['file_disagree']}, licence read from:")
            print(f"    {dict(stats['disagree_by_source'])}")
            print(f"  licence files matched alone: {dict(counts)} ({row['licence_files_per_s']} files/s)")
            for line in stats["mismatch"] + misses:
                print("   ", line)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
