"""`llama-data decontaminate`: decontamination over finished outputs, one process per shard. See
pipeline/beam/decontaminate.py for the options, the tally and what is written; filters/decontam.py for the
rules. (Inside the cleaning jobs it runs as their last step: apply_decontamination, and for CommonCrawl
in pipeline/beam/line_dedup.py's CleanFile.)"""

from __future__ import annotations

import argparse
import glob
import os
from typing import Any

from filters.base import Drop
from filters.decontam import DecontamStep
from pipeline.beam.decontaminate import (
    FOLDER,
    MATCHES_FILE,
    SUMMARY_FILE,
    Tally,
    add_matching_options,
    index_from_args,
    index_info,
    write_results,
)

_STEP: DecontamStep | None = None  # the workers' step, inherited through fork (the index is not copied)


def output_shards(folder: str) -> list[str]:
    """The part-*.parquet shards of an output folder and of its subfolders, in name order."""
    found = glob.glob(os.path.join(folder, "**", "part-*.parquet"), recursive=True)
    found = sorted(p for p in found if ".tmp" not in os.path.basename(p))
    if not found:
        raise FileNotFoundError(f"--input {folder}: no part-*.parquet shards here or in its subfolders")
    return found


def _clean_shard(paths: tuple[str, str]) -> Tally:
    import pyarrow.parquet as pq

    from pipeline.store import EXTRA, ShardWriter, read_documents

    src, dst = paths
    assert _STEP is not None
    names = pq.read_schema(src).names
    meta_keys = [c for c in names if c not in ("id", "source", "text", EXTRA)]
    tally = Tally()
    writer = ShardWriter(dst, meta_keys)
    try:
        for doc in read_documents(src):
            r = _STEP.scan(doc)
            tally.add(doc, r)
            if not isinstance(r.result, Drop):
                writer.add(r.result)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    tally.removed_by_shard[src] = tally.removed
    return tally


def decontaminate_folder(input_dir: str, output_dir: str, step: DecontamStep, workers: int = 1) -> dict[str, Any]:
    """Every shard of `input_dir` through the step into the same relative path under `output_dir` (the
    same folder rewrites each shard in place, atomically); writes OUTPUT/decontamination/ and stats.json."""
    summary, _ = _run_folder(input_dir, output_dir, step, workers)
    _write_stats(input_dir, output_dir, summary)
    return summary


def _run_folder(input_dir: str, output_dir: str, step: DecontamStep, workers: int) -> tuple[dict, dict[str, int]]:
    global _STEP
    from pipeline.store import count_documents

    shards = output_shards(input_dir)
    jobs = [(s, os.path.join(output_dir, os.path.relpath(s, input_dir))) for s in shards]
    scanned = sum(count_documents(s) for s in shards)
    step.index.spill()  # item texts mapped, not held: the workers share one copy of the index
    _STEP = step
    tally = Tally()
    if workers > 1 and len(jobs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx) as pool:
            for t in pool.map(_clean_shard, jobs):
                tally.merge(t)
    else:
        for job in jobs:
            tally.merge(_clean_shard(job))
    summary = write_results(output_dir, tally, index_info(step.index, step.mode), scanned)
    return summary, tally.removed_by_shard


def _write_stats(input_dir: str, output_dir: str, summary: dict[str, Any]) -> None:
    """The input's stats.json with the decontamination folded in (kept less the removed documents,
    dropped.contaminated), so the output reads like any cleaning output."""
    from pipeline.store import STATS_FILE, read_stats, write_stats

    stats: dict[str, Any] = {}
    if os.path.exists(os.path.join(input_dir, STATS_FILE)):
        stats = read_stats(input_dir)
        if "decontamination" in stats:
            stats["kept"] = stats.get("kept", 0) + stats["decontamination"].get("documents_removed", 0)
            stats.get("dropped", {}).pop("contaminated", None)
    stats["kept"] = stats.get("kept", summary["documents_scanned"]) - summary["documents_removed"]
    dropped = stats.setdefault("dropped", {})
    if summary["documents_removed"]:
        dropped["contaminated"] = summary["documents_removed"]
    stats["decontamination"] = {
        k: summary[k] for k in ("n", "mode", "documents_scanned", "documents_removed", "characters_removed")
    }
    write_stats(output_dir, stats)


def cmd_decontaminate(args: argparse.Namespace) -> int:
    import time

    if args.decontam_n < 1:
        raise ValueError(f"--decontam-n {args.decontam_n}: give a positive number of words")
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise ValueError(f"--output {args.output} is a file; give a folder (it is created if missing)")
    shards = output_shards(args.input)  # before the index: a wrong folder is the cheaper error
    t0 = time.time()
    index = index_from_args(args)
    assert index is not None
    t1 = time.time()
    summary = decontaminate_folder(args.input, args.output, DecontamStep(index, args.decontam_mode), args.workers)
    wall = time.time() - t1
    print(
        f"decontaminate: {len(shards)} shards, {summary['documents_scanned']} documents in {wall:.1f} s "
        f"(index of {summary['index_ngrams']} n-grams built in {t1 - t0:.1f} s); removed "
        f"{summary['documents_removed']} documents, changed {summary['documents_changed']}, "
        f"{summary['characters_removed']} characters"
    )
    print(f"{'eval set':20s} {'items':>8s} {'found':>6s} {'docs removed':>12s} {'chars removed':>13s}")
    for name, s in summary["eval_sets"].items():
        print(
            f"{name:20s} {s['items_indexed']:8d} {s['items_found']:6d} {s['documents_removed']:12d} "
            f"{s['characters_removed']:13d}"
        )
    print(f"wrote {args.output}/part-*.parquet, {args.output}/{FOLDER}/{SUMMARY_FILE} and {MATCHES_FILE}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decontaminate",
        help="remove documents (or lines) that share a 13-gram with evaluation sets, over finished outputs",
        description="Read the part-*.parquet shards of a finished cleaning output, drop every document "
        "that shares an n-gram of normalised words with an item of the evaluation sets (or only the "
        "lines holding it), and write the rest with the same shard names, plus decontamination/"
        "summary.json and decontamination/matches.parquet. See docs/decontamination.md.",
    )
    p.add_argument(
        "--evals",
        dest="decontaminate",
        nargs="+",
        required=True,
        metavar="[NAME=]FILE",
        help="evaluation sets: JSONL, Parquet or text (one item a line); NAME defaults to the file name",
    )
    p.add_argument("--input", required=True, help="a cleaning job's output folder (part-*.parquet, subfolders too)")
    p.add_argument("--output", required=True, help="folder for the kept shards (the input folder rewrites in place)")
    p.add_argument("--workers", type=int, default=1, help="processes, one shard each at a time (default 1)")
    add_matching_options(p.add_argument_group("matching"))
    p.set_defaults(func=cmd_decontaminate)
