"""Runner presets shared by every Beam job of the CLI (docs/runners.md has the commands per runner).

`--runner direct|portable|dataflow|spark|flink` plus a few essential options map onto Beam's own
pipeline options; anything after `--` on the command line is passed to Beam untouched and wins.

SDK workers that never start fail fast instead of hanging. With `--runner portable` and
`-- --environment_type=EXTERNAL --environment_config=HOST:PORT` (a `worker_pool_main` worker pool, the
way Dataflow, Flink and Spark run Python workers), Beam's embedded job server asks the pool for a
worker and then waits, without a deadline, for it to connect back; a worker whose `python` cannot
import Beam dies at once and the job hangs. Here the EXTERNAL worker handler of that job server is
replaced by one that gives the worker `--worker-start-timeout` seconds to answer over the control
channel, and a pool that does not answer at all is reported at once. Those failures, and workers that
cannot import this project, end the CLI with one line that says what to check (`-v` keeps Beam's
tracebacks).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time

RUNNERS = ("direct", "portable", "dataflow", "spark", "flink")
DEFAULT_WORKER_START_TIMEOUT = 20.0
# the project's top-level packages: a worker that cannot import one of them lacks the project
PROJECT_PACKAGES = ("pipeline", "filters", "tokenizer", "mixtures", "train_stub")


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("runner (Beam; anything after `--` goes to Beam untouched)")
    g.add_argument(
        "--runner",
        choices=RUNNERS,
        default="direct",
        help="direct: in-process DirectRunner (default); portable: Beam's Job API with an embedded "
        "job server (the path Spark/Flink/Dataflow receive); dataflow/spark/flink: a cluster "
        "(commands in docs/runners.md)",
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
    g.add_argument(
        "--job-server-jar",
        help="spark/flink: path or URL of Beam's job-server jar, e.g. beam-runners-spark-3-job-server-2.77.0.jar "
        "(needs Java; see docs/runners.md)",
    )
    g.add_argument(
        "--worker-start-timeout",
        type=float,
        default=DEFAULT_WORKER_START_TIMEOUT,
        metavar="SECONDS",
        help="portable with -- --environment_type=EXTERNAL: fail when an SDK worker the pool was asked for "
        f"has not connected within SECONDS (default {DEFAULT_WORKER_START_TIMEOUT:g}); see docs/runners.md",
    )
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
        timeout = getattr(args, "worker_start_timeout", DEFAULT_WORKER_START_TIMEOUT)
        out += [f"--worker_start_timeout={timeout:g}"]
    elif r == "dataflow":
        missing = [n for n in ("project", "region", "temp_location") if not getattr(args, n)]
        if missing:
            raise SystemExit(f"--runner dataflow needs {', '.join('--' + m.replace('_', '-') for m in missing)}")
        out += [
            "--runner=DataflowRunner",
            f"--project={args.project}",
            f"--region={args.region}",
            f"--temp_location={args.temp_location}",
        ]
        # workers get the project from the setup file, or from a container image that has it installed
        if not any(e.startswith("--sdk_container_image") for e in extra):
            out += [f"--setup_file={_setup_file()}"]
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
    here = os.path.abspath(__file__)  # <root>/pipeline/beam/runner.py
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(here))), "setup.py")


def pipeline_options(beam_args: list[str]):  # -> PipelineOptions
    from apache_beam.options.pipeline_options import PipelineOptions

    _install_beam_extras()
    return PipelineOptions(beam_args, save_main_session=False)


def make_pipeline(beam_args: list[str], dry_run: bool = False):  # -> beam.Pipeline
    """A Pipeline for the options. For the DirectRunner we name Beam's FnApiRunner directly: Beam's
    DirectRunner would first try to download its Prism binary from the network (and fall back when
    offline); the FnApiRunner is what it falls back to, and it honours --direct_running_mode.
    A dry run never constructs the cluster runner (Dataflow's needs GCP libraries and credentials).
    Any other runner gets a Pipeline whose result turns the known worker-setup failures into one line
    (see the module docstring)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions

    options = pipeline_options(beam_args)
    runner = options.view_as(StandardOptions).runner
    if dry_run or runner in (None, "DirectRunner", "direct"):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return beam.Pipeline(runner=FnApiRunner(), options=options)
    return _EXTRAS["pipeline"](options=options)


# -- SDK workers that fail to start ----------------------------------------------------------------
class SdkWorkerStartError(RuntimeError):
    """Raised inside the job server when an SDK worker cannot be started; its message is one line."""


class WorkerSetupError(SystemExit):
    """What the CLI ends with when SDK workers fail to start or lack the project: a one-line message,
    exit status 1, no traceback (SystemExit prints its message)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"llama-data: error: {message}")


_EXTRAS: dict = {}


def _install_beam_extras() -> None:
    """Define, once per process, what needs Beam: the `--worker_start_timeout` pipeline option, the
    EXTERNAL worker handler with a start deadline, and the Pipeline with one-line setup errors."""
    if _EXTRAS:
        return
    import apache_beam as beam
    import grpc
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.portability import common_urns
    from apache_beam.portability.api import beam_fn_api_pb2, beam_fn_api_pb2_grpc, beam_runner_api_pb2
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    class WorkerStartOptions(PipelineOptions):
        @classmethod
        def _add_argparse_args(cls, parser) -> None:  # noqa: ANN001
            parser.add_argument(
                "--worker_start_timeout",
                type=float,
                default=None,
                help="llama-data: seconds an EXTERNAL SDK worker may take to connect back "
                f"(default {DEFAULT_WORKER_START_TIMEOUT:g})",
            )

    @worker_handlers.WorkerHandler.register_environment(
        common_urns.environments.EXTERNAL.urn, beam_runner_api_pb2.ExternalPayload
    )
    class DeadlineExternalWorkerHandler(worker_handlers.ExternalWorkerHandler):
        """Beam's ExternalWorkerHandler asks the pool for a worker and returns; the job server then
        waits forever for the worker's first answer. This one waits for that answer itself (a harness
        monitoring request over the worker's control channel), for at most the start timeout."""

        def __init__(self, external_payload, state, provision_info, grpc_server) -> None:  # noqa: ANN001
            super().__init__(external_payload, state, provision_info, grpc_server)
            self._pool_url = external_payload.endpoint.url

        def start_worker(self) -> None:
            timeout = _start_timeout(self.provision_info)
            t0 = time.monotonic()
            try:
                super().start_worker()
            except grpc.RpcError as e:
                code = e.code().name if hasattr(e, "code") else "error"
                raise SdkWorkerStartError(
                    f"no SDK worker pool answers at {self._pool_url} ({code}): start one there with "
                    "`python -m apache_beam.runners.worker.worker_pool_main --service_port=PORT` and pass "
                    "its address as --environment_config=HOST:PORT"
                ) from None
            except RuntimeError as e:  # the pool answered with an error
                last = (str(e).strip().splitlines() or ["?"])[-1]
                raise SdkWorkerStartError(
                    f"the SDK worker pool at {self._pool_url} failed to start a worker: {last}"
                ) from None
            answer = self.control_conn.push(
                beam_fn_api_pb2.InstructionRequest(
                    harness_monitoring_infos=beam_fn_api_pb2.HarnessMonitoringInfosRequest()
                )
            )
            while not answer.is_done():
                if time.monotonic() - t0 > timeout:
                    self._stop_in_pool()
                    raise SdkWorkerStartError(
                        f"no SDK worker connected within {timeout:g} s after the worker pool at "
                        f"{self._pool_url} was asked to start one: the pool's `python` (the first on its "
                        "PATH) must import apache_beam and this project (`pip install -e .` of this checkout "
                        "in that environment); the pool's log shows the worker's error; check "
                        "--environment_config, or raise --worker-start-timeout for slow workers"
                    )
                time.sleep(0.05)

        def _stop_in_pool(self) -> None:
            """Best effort: have the pool stop a worker that may still come up late."""
            try:
                with grpc.insecure_channel(self._pool_url) as channel:
                    beam_fn_api_pb2_grpc.BeamFnExternalWorkerPoolStub(channel).StopWorker(
                        beam_fn_api_pb2.StopWorkerRequest(worker_id=self.worker_id), timeout=5
                    )
            except Exception:  # noqa: BLE001 - cleanup only
                pass

    class ClearErrorsPipeline(beam.Pipeline):
        """A Pipeline whose result ends with WorkerSetupError (one line) when the job failed because
        its SDK workers could not start or could not import the project; other errors pass unchanged."""

        def run(self, test_runner_api="AUTO"):  # noqa: ANN001, ANN201
            quiet = _QuietSetupErrors()
            try:
                result = super().run(test_runner_api)
            except Exception as e:
                quiet.remove()
                _raise_clear(e)
                raise
            return _ClearErrorsResult(result, quiet)

    _EXTRAS.update(options=WorkerStartOptions, pipeline=ClearErrorsPipeline)


def _start_timeout(provision_info) -> float:  # noqa: ANN001
    """--worker_start_timeout of the job, from the pipeline options the job server received."""
    try:
        value = provision_info.provision_info.pipeline_options.fields["beam:option:worker_start_timeout:v1"]
        if value.WhichOneof("kind") == "number_value":
            return float(value.number_value)
        if value.WhichOneof("kind") == "string_value":
            return float(value.string_value)
    except (AttributeError, KeyError, ValueError):
        pass
    return DEFAULT_WORKER_START_TIMEOUT


_PROJECT_IMPORT = re.compile(r"No module named '((?:" + "|".join(PROJECT_PACKAGES) + r")(?:\.[\w.]+)?)'")


def setup_error_message(text: str) -> str | None:
    """The one-line explanation for the text of a failed job, when it is a known worker-setup failure."""
    m = re.search(r"SdkWorkerStartError: (.+)", text)
    if m:
        return m.group(1).strip()
    m = _PROJECT_IMPORT.search(text)
    if m:
        return (
            f"the SDK workers cannot import this project (No module named '{m.group(1)}'): install it where "
            "the workers run: the worker pool's `python` (`pip install -e .` of this checkout), --setup_file "
            "(Dataflow) or a container image with it (--sdk_container_image)"
        )
    return None


def _exception_text(e: BaseException) -> str:
    parts, seen = [], set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        parts.append(f"{type(e).__name__}: {e}")
        e = e.__cause__ or e.__context__
    return "\n".join(parts)


def _raise_clear(e: BaseException) -> None:
    message = setup_error_message(_exception_text(e))
    if message is not None:
        verbose = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
        hint = "see docs/runners.md" if verbose else "-v shows Beam's tracebacks; see docs/runners.md"
        raise WorkerSetupError(f"{message} ({hint})") from None


class _QuietSetupErrors(logging.Filter):
    """While a job runs: drop Beam's logged tracebacks of a known worker-setup failure (the CLI ends
    with the one-line message instead), unless the CLI runs with -v."""

    LOGGERS = ("", "apache_beam.runners.portability.local_job_service")

    def __init__(self) -> None:
        super().__init__()
        self._loggers = [logging.getLogger(n) for n in self.LOGGERS]
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            for lg in self._loggers:
                lg.addFilter(self)
        else:
            self._loggers = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        return setup_error_message(text) is None

    def remove(self) -> None:
        for lg in self._loggers:
            lg.removeFilter(self)
        self._loggers = []


class _ClearErrorsResult:
    """A runner's PipelineResult whose wait_until_finish raises WorkerSetupError for known failures."""

    def __init__(self, result, quiet: _QuietSetupErrors) -> None:  # noqa: ANN001
        self._result = result
        self._quiet = quiet

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._result, name)

    def wait_until_finish(self, duration=None):  # noqa: ANN001, ANN201
        try:
            return self._result.wait_until_finish(duration)
        except Exception as e:
            _raise_clear(e)
            raise
        finally:
            if not duration:
                self._quiet.remove()


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
