"""`llama-data run SOURCE`: read a source's native files, clean them with its stages, write Parquet
shards and stats.json. One Beam pipeline; the per-source stages come from `pipeline/beam/jobs/`."""

from __future__ import annotations

import argparse
import glob
import logging
import math
import os
import shutil
import tempfile
import time
from typing import Any

from pipeline.beam.runner import make_pipeline, print_dry_run

log = logging.getLogger(__name__)
TARGET_SHARD_BYTES = 256 * 1024 * 1024
PROGRESS_EVERY_S = 10.0
# options of the jobs that name one local file each (checked before the pipeline is built)
FILE_OPTIONS = ("lid_model", "quality_model", "cutoffs", "badwords")
STEP_FIELDS = ("in", "out", "lines_removed", "chars_removed")


def expand_inputs(patterns: list[str]) -> list[str]:
    """Input paths, sorted (see input_sizes)."""
    return sorted(input_sizes(patterns))


def input_sizes(patterns: list[str]) -> dict[str, int]:
    """{path: bytes} of every input, globs expanded through Beam's FileSystems (local, gs://, s3://).
    A local folder (a GitHub source tree) is one input, passed whole to the reader."""
    from apache_beam.io.filesystems import FileSystems

    sizes: dict[str, int] = {}
    for pattern in patterns:
        if "://" not in pattern and os.path.isdir(pattern):
            sizes[pattern.rstrip("/")] = 0
            continue
        for m in FileSystems.match([pattern])[0].metadata_list:
            sizes[m.path] = m.size_in_bytes
        if "://" not in pattern:
            for d in glob.glob(pattern):
                if os.path.isdir(d):
                    sizes[d.rstrip("/")] = 0
    if not sizes:
        raise FileNotFoundError(f"no input files match {' '.join(patterns)}")
    return sizes


def metrics_to_stats(result: Any) -> dict[str, Any]:
    """Beam counters of our namespace -> {read, kept, files, dropped{reason}, skipped{reason}, ...}."""
    from apache_beam.metrics.metric import MetricsFilter

    from pipeline.beam.transforms import NAMESPACE

    stats: dict[str, Any] = {"dropped": {}, "skipped": {}}
    for c in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        name, value = c.key.metric.name, c.committed if c.committed is not None else c.attempted
        if name.startswith("drop."):
            stats["dropped"][name[5:]] = stats["dropped"].get(name[5:], 0) + value
        elif "/" in name:  # a step's own count: <step>/in, /out, /lines_removed, /chars_removed, /<reason>
            step, field = name.split("/", 1)
            rec = stats.setdefault("steps", {}).setdefault(step, {})
            if field in STEP_FIELDS:
                rec[field] = rec.get(field, 0) + value
            else:
                rec.setdefault("dropped", {})[field] = rec.get("dropped", {}).get(field, 0) + value
        elif name.startswith("kept_lang."):  # --split-by-lang: kept_lang.<lang>.<bucket>
            lang, bucket = name[len("kept_lang.") :].rsplit(".", 1)
            by_bucket = stats.setdefault("kept_by_lang", {}).setdefault(lang, {})
            by_bucket[bucket] = by_bucket.get(bucket, 0) + value
        elif name.startswith("skip."):
            stats["skipped"][name[5:]] = stats["skipped"].get(name[5:], 0) + value
        else:
            stats[name] = stats.get(name, 0) + value
    return stats


def clear_old_shards(output: str) -> None:
    """Remove the shards and stats of an earlier run, so that neither a rerun with fewer shards nor a
    failed rerun leaves stale files that look like a finished output."""
    if "://" in output:
        return
    # shards sit in OUTPUT, or in OUTPUT/<lang>/ for a CommonCrawl run split by language
    shards = glob.glob(os.path.join(output, "part-*.parquet")) + glob.glob(os.path.join(output, "*", "part-*.parquet"))
    for p in shards + glob.glob(os.path.join(output, "stats.json")):
        os.remove(p)
    # what a killed run leaves: half-written shards (atomic writes go through .tmp names) and work files
    for p in glob.glob(os.path.join(output, "part-*.parquet.tmp-*")) + glob.glob(
        os.path.join(output, "*", "part-*.parquet.tmp-*")
    ):
        os.remove(p)
    shutil.rmtree(os.path.join(output, ".work"), ignore_errors=True)
    shutil.rmtree(os.path.join(output, "decontamination"), ignore_errors=True)  # a rerun without it: none
    shutil.rmtree(os.path.join(output, "dropped"), ignore_errors=True)


def run_job(
    source: str,
    inputs: list[str],
    output: str,
    args: argparse.Namespace,
    beam_args: list[str],
    num_shards: int = 0,
    dry_run: bool = False,
) -> dict[str, Any]:
    import apache_beam as beam

    from pipeline.accounting import LEDGER, LEDGER_ENV, merge_into_per_file, read_ledger
    from pipeline.beam.jobs import FileJob, job_for
    from pipeline.beam.transforms import CountKept, ReadFiles, read_file_tallies, write_dropped_to
    from pipeline.progress import ProgressMonitor
    from pipeline.store import schema_for, to_row, write_stats

    spec = job_for(source)
    # the job's own options, typed (pipeline/beam/jobs/__init__.py); the options every job shares
    # (--strict, --write-dropped, --decontaminate...) are read from `args` below
    opts = spec.options_from(args)
    if "://" not in output and os.path.exists(output) and not os.path.isdir(output):
        raise ValueError(f"--output {output} is a file; give a folder (it is created if missing)")
    for name in FILE_OPTIONS:  # a missing model or list file: one line now, not a traceback from a worker
        path = getattr(opts, name, None)
        if path and "://" not in path and not os.path.isfile(path):
            raise FileNotFoundError(f"--{name.replace('_', '-')} {path}: no such file")
    sizes = input_sizes(inputs)
    paths = sorted(sizes)
    total_bytes = sum(sizes.values())
    # a local folder the workers write their progress into (see pipeline/progress.py)
    progress_dir = None if dry_run else tempfile.mkdtemp(prefix="llama-data-progress-")
    p = make_pipeline(beam_args, dry_run=dry_run)
    # --write-dropped: every DoFn that drops takes the setting as it is built (and carries it to workers)
    strict = getattr(args, "strict", False)
    fraction = getattr(args, "write_dropped", None)
    write_dropped_to(output if fraction else None, fraction or 1.0)
    files = [(i, path, sizes[path]) for i, path in enumerate(paths)]
    passes = 1
    finish = None
    if spec.build_files is not None:
        # file-granular jobs (CommonCrawl): they read, clean and write one shard per input file themselves
        from filters.decontam import DecontamStep
        from pipeline.beam.decontaminate import index_from_args

        if getattr(args, "num_shards", 0):
            log.warning("--num-shards is ignored by the %s job: it writes one shard per input file", source)
        index = index_from_args(args)  # built here: a bad evaluation file is a one-line error before the run
        job = FileJob(
            output=output,
            n_files=len(paths),
            total_bytes=total_bytes,
            progress_dir=progress_dir,
            strict=strict,
            decontam=DecontamStep(index, args.decontam_mode) if index is not None else None,
        )
        files_pc = p | "ListFiles" >> beam.Create(files) | "SpreadFiles" >> beam.Reshuffle()
        passes, finish = spec.build_files(files_pc, opts, job)
        num_shards = len(paths)
    else:
        if num_shards <= 0:
            num_shards = max(1, math.ceil(total_bytes / TARGET_SHARD_BYTES))
        # a job may read another source's format (C4's `clean` mode reads CommonCrawl WET)
        read_as = spec.reader_source(opts) if spec.reader_source else source
        listed = p | "ListFiles" >> beam.Create(files) | "SpreadFiles" >> beam.Reshuffle()
        docs = listed | f"Read:{source}" >> beam.ParDo(
            ReadFiles(
                read_as,
                spec.reader_options(opts),
                label_as=source if read_as != source else None,
                progress_dir=progress_dir,
                strict=strict,
            )
        )
        docs = spec.build(docs, opts, output)
        # benchmark decontamination last, on what the job would keep (a no-op without --decontaminate)
        from pipeline.beam.decontaminate import apply_decontamination

        docs = apply_decontamination(docs, args, output)
        _ = (
            docs
            | "CountKept" >> beam.ParDo(CountKept())
            | "ToRows" >> beam.Map(to_row, spec.meta_keys)
            | "WriteParquet"
            >> beam.io.WriteToParquet(
                os.path.join(output, "part"),
                schema_for(spec.meta_keys),
                codec="zstd",
                file_name_suffix=".parquet",
                num_shards=num_shards,
                shard_name_template="-SSSSS-of-NNNNN",
            )
        )
    write_dropped_to(None)
    log.info("%s: %d input files, %.1f MB, %d output shards", source, len(paths), total_bytes / 1e6, num_shards)
    if dry_run:
        print_dry_run(beam_args, p)
        return {}
    if "://" not in output:
        os.makedirs(output, exist_ok=True)
    clear_old_shards(output)
    t0 = time.time()
    monitor = ProgressMonitor(progress_dir, total_bytes, passes, every_s=PROGRESS_EVERY_S)
    extra: dict[str, Any] = {}
    ledger_before = os.environ.get(LEDGER_ENV)
    os.environ[LEDGER_ENV] = progress_dir  # local workers book kept and dropped documents by file there
    try:
        with monitor:
            result = p.run()
            result.wait_until_finish()
        LEDGER.flush()  # what an in-process worker booked after its last flush
        peak = monitor.peak_rss()
        if finish is None:  # the readers' per-file tallies (file-granular jobs keep their own, fuller ones)
            per_file = read_file_tallies(progress_dir)
            by_index = read_ledger(progress_dir)
            if by_index is not None:
                merge_into_per_file(per_file, by_index)
            extra = {"per_file": per_file}
    finally:
        if ledger_before is None:
            os.environ.pop(LEDGER_ENV, None)
        else:
            os.environ[LEDGER_ENV] = ledger_before
        if finish is not None:
            extra = finish() or {}
        shutil.rmtree(progress_dir, ignore_errors=True)
    stats = metrics_to_stats(result)
    stats.update(extra)
    for key in ("read", "kept", "files"):  # Beam reports no counter that was never incremented (empty input)
        stats.setdefault(key, 0)
    if stats.get("dedup.chars_in"):
        stats["dedup.removed_char_share"] = round(stats.get("dedup.chars_removed", 0) / stats["dedup.chars_in"], 4)
    wall = time.time() - t0
    stats.update(
        source=source,
        inputs=len(paths),
        input_bytes=total_bytes,
        output_shards=num_shards,
        wall_seconds=round(wall, 2),
        docs_per_second=round(stats.get("read", 0) / max(wall, 1e-9), 1),
        input_mb_per_second=round(total_bytes / 1e6 / max(wall, 1e-9), 2),
        peak_rss_mb=peak,
    )
    problems = check_balance(stats)
    stats["accounting"] = "balanced" if not problems else "UNBALANCED: " + "; ".join(problems[:20])
    if "://" not in output:
        write_stats(output, stats)
    if problems:
        raise SystemExit(f"llama-data: error: the job's accounting does not balance ({problems[0]}); see stats.json")
    return stats


def check_balance(stats: dict[str, Any]) -> list[str]:
    """For every input file a job reports (and for the totals): documents read = kept + dropped. Records
    the readers skipped were never read, so they are reported beside, not inside, this sum."""
    problems = []
    # every drop is a step's: the steps' drops add up to the job's, reason by reason
    by_step: dict[str, int] = {}
    for rec in stats.get("steps", {}).values():
        for reason, n in rec.get("dropped", {}).items():
            by_step[reason] = by_step.get(reason, 0) + n
    counted = {k: v for k, v in stats.get("dropped", {}).items() if v}
    if by_step != counted:
        problems.append(f"dropped by the steps {by_step} != {counted} counted")
    files = stats.get("per_file")
    if not isinstance(files, dict):
        return problems
    if not all("kept" in f for f in files.values()):
        # jobs that read documents file by file but clean them across files (dedup, threads): only the
        # totals of what the readers read can be checked against the per-file records
        total = sum(f["read"] for f in files.values())
        return [] if total == stats.get("read", 0) else [f"read: {total} over the files != {stats.get('read')} counted"]
    for path, f in files.items():
        dropped = sum(f.get("dropped", {}).values())
        kept = f.get("kept_records", f["kept"])  # a StackExchange thread is kept for all its posts
        if f["read"] != kept + dropped:
            problems.append(f"{path}: read {f['read']} != kept {kept} + dropped {dropped}")
    for key in ("read", "kept"):
        total = sum(f[key] for f in files.values())
        if total != stats.get(key, 0):
            problems.append(f"{key}: {total} over the files != {stats.get(key, 0)} counted")
    # every drop the job counted is booked to one input file, reason by reason
    by_reason: dict[str, int] = {}
    for f in files.values():
        for reason, n in f.get("dropped", {}).items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    counted = {k: v for k, v in stats.get("dropped", {}).items() if v}
    if by_reason != counted:
        problems.append(f"dropped over the files {by_reason} != {counted} counted")
    return problems
