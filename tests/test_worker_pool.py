"""Separate SDK worker processes, the way Dataflow, Flink and Spark run Python workers: Beam's worker pool
(`python -m apache_beam.runners.worker.worker_pool_main`) started here, a job sent to it with
`--runner portable -- --environment_type=EXTERNAL --environment_config=localhost:PORT`.

With the venv's `python` first on the pool's PATH the job's documents equal the in-process run's. A pool
whose `python` cannot import Beam (its workers die at once; Beam would wait for them forever), no pool
at the address, and workers that cannot import the project all end the CLI within seconds with one line
saying what to check (pipeline/beam/runner.py, docs/runners.md)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_jobs_c4_github_se import _wet_pages
from wet_fixture import write_wet

from pipeline.app.cli import main
from pipeline.beam.runner import PROJECT_PACKAGES, setup_error_message
from pipeline.store import read_documents

VENV_BIN = os.path.dirname(sys.executable)  # the tests run on the venv's python: the pool uses it too
START_TIMEOUT_S = 5  # --worker-start-timeout of the tests whose workers never come up
ERROR_BOUND_S = 30  # what "fails within seconds" means here, CLI start-up included


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def worker_pool(tmp_path: Path, python_dir: str) -> Iterator[str]:
    """A worker pool on a free port whose workers run the `python` found first in `python_dir`; yields
    its address. The pool runs in its own process group (its workers with it), stopped at the end."""
    port = _free_port()
    env = dict(os.environ, PATH=python_dir + os.pathsep + os.environ.get("PATH", ""))
    log_path = tmp_path / f"pool-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main", f"--service_port={port}"],
            cwd=tmp_path,  # not the checkout: workers import the project only if it is installed
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the worker pool exited: {log_path.read_text(errors='replace')}"
            try:
                socket.create_connection(("localhost", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the worker pool did not listen within 60 s"
                time.sleep(0.2)
        yield f"localhost:{port}"
    finally:
        # the pool and the workers it started share its process group: end them all
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)


def _external(address: str) -> list[str]:
    return ["--", "--environment_type=EXTERNAL", f"--environment_config={address}"]


def _docs(path: str) -> list[tuple]:
    return sorted((d.id, d.text, tuple(sorted(d.meta.items()))) for d in read_documents(path))


@pytest.fixture
def wet(tmp_path: Path) -> str:
    path = str(tmp_path / "CC-MAIN-2019-18-00000.warc.wet.gz")
    write_wet(path, _wet_pages())
    return path


def test_job_through_external_worker_pool_equals_in_process(wet: str, tmp_path: Path) -> None:
    """C4's clean mode (WET reader, LID model loaded in the worker, a GroupByKey span dedup) through
    separate SDK worker processes gives the in-process documents."""
    job = ["run", "c4", "--mode", "clean", "--input", wet]
    direct = str(tmp_path / "direct")
    assert main([*job, "--output", direct]) == 0
    with worker_pool(tmp_path, VENV_BIN) as address:
        pooled = str(tmp_path / "pool")
        assert main([*job, "--output", pooled, "--runner", "portable", *_external(address)]) == 0
    expected = _docs(direct)
    assert len(expected) == 2  # the two English pages (test_jobs_c4_github_se checks which)
    assert _docs(pooled) == expected


def _cli(args: list[str], tmp_path: Path) -> tuple[int, str, float]:
    """Run the CLI as a user does, in a fresh process: (exit status, stderr, seconds)."""
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    env.setdefault("BEAM_DIRECT_RUNNER_DISABLE_PRISM", "1")
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "pipeline.app.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return p.returncode, p.stderr, time.monotonic() - t0


def _assert_one_line_error(rc: int, stderr: str, seconds: float, expect: str) -> None:
    last = stderr.strip().splitlines()[-1]
    assert rc == 1, stderr
    assert last.startswith("llama-data: error: ") and expect in last, stderr
    assert "Traceback" not in stderr, stderr
    assert seconds < ERROR_BOUND_S, f"took {seconds:.1f} s"


def _python_shim(folder: Path, body: str) -> str:
    """A folder whose `python` is the given script (what the pool runs for each worker)."""
    folder.mkdir()
    shim = folder / "python"
    shim.write_text(body)
    shim.chmod(0o755)
    return str(folder)


def _job(wet: str, tmp_path: Path, address: str, *extra: str) -> list[str]:
    out = str(tmp_path / "out")
    return ["run", "c4", "--input", wet, "--output", out, "--runner", "portable", *extra, *_external(address)]


def test_pool_whose_python_lacks_beam_fails_within_the_start_timeout(wet: str, tmp_path: Path) -> None:
    # the venv's interpreter without its site-packages: `import apache_beam` fails, the worker dies
    no_beam = _python_shim(tmp_path / "no-beam", f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    with worker_pool(tmp_path, no_beam) as address:
        args = _job(wet, tmp_path, address, "--worker-start-timeout", str(START_TIMEOUT_S))
        rc, stderr, seconds = _cli(args, tmp_path)
    _assert_one_line_error(rc, stderr, seconds, f"no SDK worker connected within {START_TIMEOUT_S} s")
    assert "must import apache_beam and this project" in stderr
    assert seconds >= START_TIMEOUT_S


def test_no_pool_at_the_address_fails_at_once(wet: str, tmp_path: Path) -> None:
    rc, stderr, seconds = _cli(_job(wet, tmp_path, f"localhost:{_free_port()}"), tmp_path)
    _assert_one_line_error(rc, stderr, seconds, "no SDK worker pool answers at localhost:")


def test_workers_that_cannot_import_the_project_fail_with_one_line(wet: str, tmp_path: Path) -> None:
    # Beam imports, the project does not: the worker connects, then fails to load the job's functions
    hide = _python_shim(
        tmp_path / "no-project",
        f"""#!{sys.executable}
import sys

class HideProject:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {set(PROJECT_PACKAGES)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, HideProject())
code = sys.argv[sys.argv.index("-c") + 1]
sys.argv = ["-c"]
exec(compile(code, "<string>", "exec"), {{"__name__": "__main__"}})
""",
    )
    with worker_pool(tmp_path, hide) as address:
        rc, stderr, seconds = _cli(_job(wet, tmp_path, address), tmp_path)
    _assert_one_line_error(rc, stderr, seconds, "the SDK workers cannot import this project (No module named")


def test_only_worker_setup_failures_get_the_one_line_message() -> None:
    start = "RuntimeError: Traceback ...\npipeline.runner.SdkWorkerStartError: no SDK worker connected within 5 s\n"
    assert setup_error_message(start) == "no SDK worker connected within 5 s"
    for missing in ("pipeline", "filters.ccnet", "tokenizer.encode_job"):
        message = setup_error_message(f"ModuleNotFoundError: No module named '{missing}'")
        assert message and f"No module named '{missing}'" in message
    for other in ("ModuleNotFoundError: No module named 'numpy'", "No module named 'pipelines'", "ValueError: x"):
        assert setup_error_message(other) is None
