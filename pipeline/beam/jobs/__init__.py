"""One job per source: `pipeline/beam/jobs/<source>.py` defines `JOB`, a JobSpec.

A JobSpec names the metadata columns the source writes, adds its own options to `llama-data run`,
and builds its cleaning stages on the PCollection of documents the reader yields. The generic
read -> clean -> write -> stats.json flow is in `pipeline/beam/job.py`.

Options. Each job's own options are a frozen dataclass (`JobSpec.options`, e.g. `GithubOptions`): its
field defaults are the one definition of each default (a threshold's default is the constant of the
filters/ module that applies the rule), `add_arguments` takes its defaults from the dataclass, and a
field's name is the argparse dest of its flag. `JobSpec.options_from` builds it from the parsed command
line, once, in `run_job`; `build`, `build_files`, `reader_options` and `reader_source` get the dataclass,
never the argparse Namespace. The options every job shares (--num-shards, --strict, --write-dropped,
--decontaminate and its options: pipeline/app/run.py) are not in it: `run_job` reads those itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from pipeline.document import SOURCES


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """The options of a job that has none of its own."""


def _no_args(parser: argparse.ArgumentParser) -> None:
    return None


def _no_reader_options(opts: Any) -> dict[str, Any]:
    return {}


@dataclasses.dataclass(frozen=True)
class JobSpec:
    source: str
    meta_keys: tuple[str, ...]
    # the frozen dataclass of the job's own options (see the module docstring)
    options: type = NoOptions
    # build(docs: PCollection[Document], opts, output_dir) -> PCollection[Document]; `pipeline/beam/job.py`
    # reads the files, applies it and writes the shards (unused when build_files is set)
    build: Callable[..., Any] | None = None
    add_arguments: Callable[[argparse.ArgumentParser], None] = _no_args
    reader_options: Callable[[Any], dict[str, Any]] = _no_reader_options
    help: str = ""
    # the source whose reader reads the input, when not `source` itself (C4 `--mode clean` reads WET);
    # documents are relabelled `source`
    reader_source: Callable[[Any], str] | None = None
    # A file-granular job builds its whole pipeline on the PCollection of input files (index, path, bytes)
    # and writes one shard per input file itself: build_files(files, opts, FileJob) -> (passes over the
    # input, a cleanup callable or None). When set, `build` is not used.
    build_files: Callable[..., tuple[int, Callable[[], None] | None]] | None = None

    def options_from(self, args: argparse.Namespace) -> Any:
        """The job's options from the parsed command line: each field is read from the argparse dest of
        its name. A dest the namespace lacks (a caller that parsed only some flags) keeps the default."""
        names = [f.name for f in dataclasses.fields(self.options)]
        return self.options(**{name: getattr(args, name) for name in names if hasattr(args, name)})


@dataclasses.dataclass(frozen=True)
class FileJob:
    """What `pipeline/beam/job.py` tells a file-granular job about the run, the common options it needs
    included (it runs the steps, decontamination and the reader itself)."""

    output: str
    n_files: int
    total_bytes: int
    progress_dir: str | None
    strict: bool = False  # --strict: an unreadable input file stops the job
    decontam: Any = None  # --decontaminate: the DecontamStep (filters/decontam.py), or None


def job_for(source: str) -> JobSpec:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return importlib.import_module(f"pipeline.beam.jobs.{source}").JOB
