"""Runner presets shared by every Beam job of the CLI (DESIGN.md section 8).

`--runner direct|portable|dataflow|spark|flink` plus a few essential options map onto Beam's own
pipeline options; anything after `--` on the command line is passed to Beam untouched and wins.
"""

from __future__ import annotations

import argparse
import os
import sys

RUNNERS = ("direct", "portable", "dataflow", "spark", "flink")


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("runner (Beam; anything after `--` goes to Beam untouched)")
    g.add_argument(
        "--runner",
        choices=RUNNERS,
        default="direct",
        help="direct: in-process DirectRunner (default); portable: Beam's Job API with an embedded "
        "job server (the path Spark/Flink/Dataflow receive); dataflow/spark/flink: a cluster",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=0,
        help="direct: run with N worker processes (multi_processing mode); 0 = in-process",
    )
    g.add_argument("--project", help="dataflow: GCP project")
    g.add_argument("--region", help="dataflow: GCP region, e.g. us-central1")
    g.add_argument("--temp-location", help="dataflow: gs:// folder for temporary files")
    g.add_argument("--spark-master-url", help="spark: e.g. spark://host:7077")
    g.add_argument("--flink-master", help="flink: e.g. host:8081")
    g.add_argument("--job-server-jar", help="spark/flink: path to Beam's job-server jar (needs Java)")
    g.add_argument(
        "--dry-run", action="store_true", help="print the final Beam options and the job's stages, run nothing"
    )


def beam_args_for(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """The Beam argument list for a preset; `extra` (after `--`) is appended last so it overrides."""
    out: list[str] = []
    r = args.runner
    if r == "direct":
        out += ["--runner=DirectRunner"]
        if args.workers:
            out += ["--direct_running_mode=multi_processing", f"--direct_num_workers={args.workers}"]
    elif r == "portable":
        out += ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"]
    elif r == "dataflow":
        missing = [n for n in ("project", "region", "temp_location") if not getattr(args, n)]
        if missing:
            raise SystemExit(f"--runner dataflow needs {', '.join('--' + m.replace('_', '-') for m in missing)}")
        out += [
            "--runner=DataflowRunner",
            f"--project={args.project}",
            f"--region={args.region}",
            f"--temp_location={args.temp_location}",
            f"--setup_file={_setup_file()}",
        ]
    elif r == "spark":
        out += ["--runner=SparkRunner"]
        if args.spark_master_url:
            out += [f"--spark_master_url={args.spark_master_url}"]
        if args.job_server_jar:
            out += [f"--spark_job_server_jar={args.job_server_jar}"]
        out += ["--environment_type=LOOPBACK"] if not any("environment_type" in e for e in extra) else []
    elif r == "flink":
        out += ["--runner=FlinkRunner"]
        if args.flink_master:
            out += [f"--flink_master={args.flink_master}"]
        if args.job_server_jar:
            out += [f"--flink_job_server_jar={args.job_server_jar}"]
        out += ["--environment_type=LOOPBACK"] if not any("environment_type" in e for e in extra) else []
    return out + list(extra)


def _setup_file() -> str:
    """Workers install the project from its pyproject via a setup file beside it."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(here, "setup.py")


def pipeline_options(beam_args: list[str]):  # -> PipelineOptions
    from apache_beam.options.pipeline_options import PipelineOptions

    return PipelineOptions(beam_args, save_main_session=False)


def make_pipeline(beam_args: list[str], dry_run: bool = False):  # -> beam.Pipeline
    """A Pipeline for the options. For the DirectRunner we name Beam's FnApiRunner directly: Beam's
    DirectRunner would first try to download its Prism binary from the network (and fall back when
    offline); the FnApiRunner is what it falls back to, and it honours --direct_running_mode.
    A dry run never constructs the cluster runner (Dataflow's needs GCP libraries and credentials)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions

    options = pipeline_options(beam_args)
    runner = options.view_as(StandardOptions).runner
    if dry_run or runner in (None, "DirectRunner", "direct"):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return beam.Pipeline(runner=FnApiRunner(), options=options)
    return beam.Pipeline(options=options)


def split_beam_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split argv at the first `--`: (project args, Beam args)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def print_dry_run(beam_args: list[str], pipeline) -> None:  # noqa: ANN001
    """Print the Beam options and the stages of a constructed (not run) pipeline."""
    print("Beam options:")
    for a in beam_args:
        print(f"  {a}")
    print("Stages:")
    proto = pipeline.to_runner_api()
    roots = proto.root_transform_ids
    comps = proto.components.transforms

    def walk(tid: str, depth: int) -> None:
        t = comps[tid]
        if not t.unique_name or t.unique_name.startswith("ref_"):  # the synthetic root: show its children
            for sub in t.subtransforms:
                walk(sub, depth)
            return
        print(f"  {'  ' * depth}{t.unique_name}")

    for r in roots:
        walk(r, 0)
    sys.stdout.flush()
