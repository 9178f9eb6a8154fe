"""`llama-data run SOURCE`: the command line of the cleaning jobs (pipeline/beam/job.py runs them)."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.beam.job import run_job
from pipeline.beam.runner import add_runner_arguments, beam_args_for
from pipeline.document import SOURCES


def print_stats(stats: dict[str, Any]) -> None:
    print(
        f"{stats['source']}: read {stats.get('read', 0)} documents from {stats['inputs']} files, "
        f"kept {stats.get('kept', 0)} in {stats['wall_seconds']} s ({stats.get('docs_per_second', 0)} docs/s, "
        f"{stats.get('input_mb_per_second', 0)} MB/s of input)"
    )
    peak = stats.get("peak_rss_mb")
    if peak:
        print(
            f"  peak RSS {peak['total_mb']:.0f} MB (launcher {peak['launcher_mb']:.0f} MB, "
            f"{peak['worker_processes']} worker processes {peak['workers_mb']:.0f} MB)"
        )
    for kind in ("skipped", "dropped"):
        for reason, n in sorted(stats.get(kind, {}).items()):
            print(f"  {kind:8s} {reason:32s} {n}")
    for step, rec in stats.get("steps", {}).items():
        dropped = ", ".join(f"{r} {n}" for r, n in sorted(rec.get("dropped", {}).items()))
        flow = f"in {rec['in']} out {rec.get('out', 0)}" if "in" in rec else "across documents"
        removed = (
            f", removed {rec['lines_removed']} lines / {rec['chars_removed']} chars" if rec.get("chars_removed") else ""
        )
        print(f"  step     {step:32s} {flow}{removed}" + (f"; dropped {dropped}" if dropped else ""))
    for lang, buckets in sorted(stats.get("kept_by_lang", {}).items()):
        parts = ", ".join(f"{b} {n}" for b, n in sorted(buckets.items()))
        print(f"  kept     {lang:32s} {sum(buckets.values())} ({parts})")
    shown = {"dropped", "skipped", "source", "inputs", "read", "kept", "wall_seconds", "input_bytes"}
    shown |= {"output_shards", "files", "docs_per_second", "input_mb_per_second", "peak_rss_mb", "per_file"}
    shown |= {"kept_by_lang", "steps"}
    for k, v in sorted(stats.items()):
        if k not in shown:
            print(f"  {k:41s} {v}")


def _cmd_run(args: argparse.Namespace) -> int:
    stats = run_job(
        args.source,
        args.input,
        args.output,
        args,
        beam_args_for(args, args.beam_args),
        num_shards=args.num_shards,
        dry_run=args.dry_run,
    )
    if stats:
        print_stats(stats)
        shards = "<lang>/part-*.parquet" if getattr(args, "split_by_lang", False) else "part-*.parquet"
        print(f"wrote {args.output}/{shards} and {args.output}/stats.json")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from pipeline.beam.decontaminate import add_decontam_arguments
    from pipeline.beam.jobs import job_for

    p = sub.add_parser(
        "run",
        help="run one source's cleaning job (Beam): native files -> cleaned Parquet + stats.json",
        description="Read SOURCE's native files, apply its cleaning rules, and write "
        "Parquet shards (zstd) plus stats.json with every drop and skip counted by reason.",
    )
    srcs = p.add_subparsers(dest="source", metavar="SOURCE", required=True)
    for source in SOURCES:
        spec = job_for(source)
        sp = srcs.add_parser(source, help=spec.help, description=spec.help)
        sp.add_argument(
            "--input",
            nargs="+",
            required=True,
            metavar="GLOB",
            help="input files (globs; local paths or any Beam filesystem, e.g. gs://)",
        )
        sp.add_argument("--output", required=True, help="output folder for part-*.parquet and stats.json")
        sp.add_argument("--num-shards", type=int, default=0, help="output shards (default: one per 256 MB of input)")
        sp.add_argument(
            "--strict",
            action="store_true",
            help="stop the job when an input file cannot be read (default: count it as unreadable_file, "
            "with the error in stats.json, and go on with the other files)",
        )
        sp.add_argument(
            "--write-dropped",
            type=float,
            nargs="?",
            const=1.0,
            metavar="FRACTION",
            help="also write the documents the job drops, with the step and the reason, to OUTPUT/dropped/ "
            "(all of them, or a sample of this fraction chosen by document id: the same every run); "
            "see them with `llama-data inspect OUTPUT --dropped REASON`",
        )
        spec.add_arguments(sp)
        add_decontam_arguments(sp)
        add_runner_arguments(sp)
        sp.set_defaults(func=_cmd_run)
