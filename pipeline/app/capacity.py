"""`llama-data capacity`: what a 1T / 1.4T run costs before it starts.

Built from the project's own measured throughputs (the `bench/` results, with the machine they came
from) and the paper's data volumes (Table 1 disk sizes and the token counts they imply). Every figure that
is assumed rather than measured is listed as such.

The measured figures ship with the package (pipeline/data/measured/*.json, and the mixture writer's speed
in mixtures/data/mixture.json), so an installed copy plans without a checkout. They are the fields read
here, copied from bench/results/ by `python bench/publish_results.py`; `--results DIR` reads a folder of
full bench results instead (e.g. bench/results after a fresh `python bench/run_all.py`).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
from typing import Any

TB = 1e12
# Assumptions (stated in the output): raw input per source relative to its cleaned size.
CC_DUMPS, CC_WET_TB_PER_DUMP = 5, 24.0  # LLaMA: five dumps; CCNet paper: ~24 TB of WET text per snapshot
RAW_OVER_CLEAN = {"c4": 1.0, "github": 2.0, "wikipedia": 2.5, "books": 1.1, "arxiv": 1.5, "stackexchange": 1.3}
PARQUET_RATIO = 0.35  # zstd Parquet bytes per text byte (measured on the samples: see bench/results)
DEFAULTS_MB_S = {"c4": 20.0, "github": 15.0, "wikipedia": 2.0, "books": 5.0, "arxiv": 5.0, "stackexchange": 3.0}

# Package data (works in an installed copy, unlike a checkout's bench/results/).
# package data of `pipeline` (pipeline/data/measured), beside this module's folder
MEASURED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "measured")
_SOURCE_RATE = {s: {"mb_per_s": True} for s in DEFAULTS_MB_S}
# {bench result file stem: the fields plan() reads}, the shape bench/publish_results.py copies into
# MEASURED_DIR ("*": every key of a table, a one-item list: each row, True: the value). The mixture
# writer's figures are mixtures.estimate's (MEASURED_FIELDS there), shipped beside that module.
MEASURED_FIELDS: dict[str, dict[str, Any]] = {
    "cc": {
        "machine": True,
        "cpus": True,
        "documents": True,
        "mb": True,
        "job_pipeline_docs_per_s": True,
        "dedup_removed_char_share": True,
        "stages": [{"stage": True, "mb_per_s": True}],
    },
    "readers": {"machine": True, "cpus": True, "wet_mb_per_s": True},  # no bench writes it yet
    "sources_a": {"machine": True, "cpus": True, **_SOURCE_RATE},
    "sources_b": {"machine": True, "cpus": True, **_SOURCE_RATE},
    "tokenizer": {"machine": True, "cpus": True, "encode_mb_per_s": True},
    "dedup_scaling": {"machine": True, "cpus": True, "rows": [{"text_mb": True, "shuffle_bytes_per_input_mb": True}]},
}


def load_results(folder: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path, encoding="utf-8") as f:
            out[os.path.splitext(os.path.basename(path))[0]] = json.load(f)
    return out


def packaged_results() -> dict[str, Any]:
    """The figures shipped with the package: MEASURED_DIR, plus the mixture writer's own file."""
    from mixtures.estimate import DEFAULT_RESULTS

    out = load_results(MEASURED_DIR)
    if os.path.exists(DEFAULT_RESULTS):
        with open(DEFAULT_RESULTS, encoding="utf-8") as f:
            out.setdefault("mixture", json.load(f))
    return out


def plan(target_tokens: float, workers: int, price: float, results: dict[str, Any]) -> dict[str, Any]:
    from mixtures.config import load_config

    # Table 1 (proportions, epochs at 1.4T, disk sizes) from its one home, mixtures/llama1.yaml
    table1 = load_config()
    disk = {t.name: float(t.disk_bytes) for t in table1.sources}
    assumptions: list[str] = []
    measured: list[str] = []
    cc = results.get("cc")
    if not cc:
        raise FileNotFoundError(
            "no CommonCrawl figures (cc.json) in the bench results: run "
            "`python bench/bench_cc.py --json bench/results/cc.json` and pass --results bench/results"
        )
    stage = {r["stage"]: r for r in cc["stages"]}
    measured.append(f"CommonCrawl stages on {cc['documents']} sample documents, machine {cc.get('machine')}")
    cc_in = CC_DUMPS * CC_WET_TB_PER_DUMP * TB
    assumptions.append(f"CommonCrawl input: {CC_DUMPS} dumps x {CC_WET_TB_PER_DUMP} TB of WET text (CCNet paper, 2019)")
    removed = cc.get("dedup_removed_char_share")
    removed = 0.7 if removed is None else removed
    assumptions.append(
        f"line dedup removes {removed:.0%} of characters (measured on the bench input; "
        "CCNet reports ~70% of CommonCrawl text in duplicated paragraphs)"
    )
    assumptions.append("no download time: the WET files are already on the workers' storage")
    after_dedup = cc_in * (1 - removed)
    en_share = 0.45
    assumptions.append(f"English share after dedup: {en_share} (CCNet: en is ~45% of CommonCrawl documents)")
    rows: list[dict[str, Any]] = []

    def add(source: str, name: str, volume: float, mb_s: float, note: str) -> None:
        hours = volume / 1e6 / mb_s / 3600
        rows.append(
            {
                "source": source,
                "stage": name,
                "input_tb": volume / TB,
                "mb_per_s_per_core": mb_s,
                "cpu_hours": hours,
                "note": note,
            }
        )

    wet_mb_s = results.get("readers", {}).get("wet_mb_per_s")
    if wet_mb_s is None:
        wet_mb_s = 150.0
        assumptions.append("reading WET with fastwarc: 150 MB/s per core (no reader bench result)")
    add("common_crawl", "read WET", cc_in, wet_mb_s, "fastwarc")
    add("common_crawl", "line dedup", cc_in, stage["dedup normalise+sha1"]["mb_per_s"], "measured")
    add("common_crawl", "language id", after_dedup, stage["language id (fastText)"]["mb_per_s"], "measured")
    add("common_crawl", "perplexity", after_dedup * en_share, stage["perplexity (SP + KenLM)"]["mb_per_s"], "measured")
    add(
        "common_crawl",
        "classifier",
        after_dedup * en_share * 0.6,
        stage["reference classifier"]["mb_per_s"],
        "measured; head+middle = 60% of English",
    )
    # The stage rows are the bare costs; the whole job also pays the runner (shuffles, coders, bundles).
    # Charge that as measured: the Beam job's own rate on the same sample against the sum of its stages.
    stage_hours = sum(r["cpu_hours"] for r in rows if r["source"] == "common_crawl")
    job_mb_s = cc["mb"] * cc["job_pipeline_docs_per_s"] / cc["documents"]
    job_hours = cc_in / 1e6 / job_mb_s / 3600
    if job_hours > stage_hours:
        rows.append(
            {
                "source": "common_crawl",
                "stage": "runner overhead",
                "input_tb": cc_in / TB,
                "mb_per_s_per_core": job_mb_s,
                "cpu_hours": job_hours - stage_hours,
                "note": f"measured: the Beam job runs at {job_mb_s:.2f} MB/s per core on the sample",
            }
        )
    src_bench = {**results.get("sources_a", {}), **results.get("sources_b", {})}
    for s in ("c4", "github", "wikipedia", "books", "arxiv", "stackexchange"):
        vol = disk[s] * RAW_OVER_CLEAN[s]
        mb_s = (src_bench.get(s) or {}).get("mb_per_s")
        note = "measured" if mb_s else "assumed"
        if s == "c4":
            note += " (clean mode from WET; LLaMA's passthrough only reads)"
        add(s, "clean", vol, mb_s or DEFAULTS_MB_S[s], note)
        if not mb_s:
            assumptions.append(f"{s}: {DEFAULTS_MB_S[s]} MB/s per core (no bench result)")
    text_total = sum(disk.values())
    tok = results.get("tokenizer", {}).get("encode_mb_per_s", 1.5)
    add("all", "tokenize", text_total, tok, "measured" if "tokenizer" in results else "assumed")
    unique_tokens = sum(t.paper_available_tokens(table1.reference_tokens) for t in table1.sources)
    shuffle_per_mb = (results.get("dedup_scaling", {}).get("rows") or [{}])[-1].get("shuffle_bytes_per_input_mb")
    if shuffle_per_mb is None:
        shuffle_per_mb = 1.2e6
        assumptions.append("dedup shuffle: 1.2 MB per input MB (no scaling bench result)")
    else:
        measured.append("dedup shuffle bytes per input MB from the dedup scaling bench (dedup_scaling.json)")
    write_mb_s = results.get("mixture", {}).get("write_mb_per_s", 500.0)
    mix_bytes = target_tokens * 2
    rows.append(
        {
            "source": "all",
            "stage": "mixture write",
            "input_tb": mix_bytes / TB,
            "mb_per_s_per_core": write_mb_s,
            "cpu_hours": mix_bytes / 1e6 / write_mb_s / 3600,
            "note": "disk-bound",
        }
    )
    cpu_hours = sum(r["cpu_hours"] for r in rows)
    return {
        "target_tokens": target_tokens,
        "workers": workers,
        "core_hour_price": price,
        "stages": rows,
        "cpu_hours": cpu_hours,
        "wall_hours": cpu_hours / max(1, workers),
        "cost": cpu_hours * price,
        "shuffle_tb": cc_in / 1e6 * shuffle_per_mb / TB,
        "disk_tb": {
            "raw_input": (cc_in + sum(disk[s] * RAW_OVER_CLEAN[s] for s in RAW_OVER_CLEAN)) / TB,
            "clean_parquet": text_total * PARQUET_RATIO / TB,
            "token_datasets": unique_tokens * 2 / TB,
            "mixture": mix_bytes / TB,
        },
        "unique_tokens": unique_tokens,
        "measured": measured,
        "assumptions": assumptions,
        "ccnet_reference": "CCNet: ~9 h on 5,000 cores per 24 TB snapshot = ~45,000 core-hours per snapshot",
    }


def parse_target(text: str) -> float:
    mult = {"K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
    t = text.strip().upper()
    if t and t[-1] in mult:
        return float(t[:-1]) * mult[t[-1]]
    return float(t)


def _cmd(args: argparse.Namespace) -> int:
    results = packaged_results() if args.results is None else load_results(args.results)
    p = plan(parse_target(args.target), args.workers, args.core_hour_price, results)
    if args.json:
        print(json.dumps(p, indent=2))
        return 0
    print(
        f"capacity plan for {p['target_tokens'] / 1e12:.2f}T tokens on {args.workers} cores "
        f"at ${args.core_hour_price}/core-hour\n"
    )
    print(f"{'source':14s} {'stage':16s} {'input TB':>9s} {'MB/s/core':>10s} {'CPU-hours':>11s}  note")
    for r in p["stages"]:
        print(
            f"{r['source']:14s} {r['stage']:16s} {r['input_tb']:9.2f} {r['mb_per_s_per_core']:10.2f} "
            f"{r['cpu_hours']:11,.0f}  {r['note']}"
        )
    print(
        f"\ntotal CPU-hours {p['cpu_hours']:,.0f}; wall time on {args.workers} cores {p['wall_hours']:,.1f} h; "
        f"cost ${p['cost']:,.0f}"
    )
    print(f"line-dedup shuffle: {p['shuffle_tb']:.1f} TB")
    d = p["disk_tb"]
    print(
        f"disk: raw input {d['raw_input']:.0f} TB, clean Parquet {d['clean_parquet']:.2f} TB, token datasets "
        f"{d['token_datasets']:.2f} TB ({p['unique_tokens'] / 1e12:.2f}T unique tokens x 2 B), "
        f"mixture {d['mixture']:.2f} TB"
    )
    print(f"\n{p['ccnet_reference']}")
    print("measured: " + "; ".join(p["measured"]))
    print("assumed:\n  - " + "\n  - ".join(p["assumptions"]))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "capacity",
        help="CPU-hours, shuffle, disk, wall time and cost of a 1T / 1.4T run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--target", default="1.4T", help="mixture size in tokens (1T, 1.4T, ...)")
    p.add_argument("--workers", type=int, default=1000, help="cores to spread the work over (default 1000)")
    p.add_argument("--core-hour-price", type=float, default=0.04, help="price of one core-hour (default 0.04)")
    p.add_argument(
        "--results",
        metavar="DIR",
        help="folder of bench JSON results, e.g. bench/results (default: the figures shipped with the "
        "package, refreshed from bench/results by bench/publish_results.py)",
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(func=_cmd)
