"""One job per source: `pipeline/beam/jobs/<source>.py` defines `JOB`, a JobSpec.

A JobSpec names the metadata columns the source writes, adds its own options to `llama-data run`,
and builds its cleaning stages on the PCollection of documents the reader yields. The generic
read -> clean -> write -> stats.json flow is in `pipeline/beam/job.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from pipeline.document import SOURCES


def _no_args(parser: argparse.ArgumentParser) -> None:
    return None


def _no_reader_options(args: argparse.Namespace) -> dict[str, Any]:
    return {}


@dataclasses.dataclass(frozen=True)
class JobSpec:
    source: str
    meta_keys: tuple[str, ...]
    # build(docs: PCollection[Document], args, output_dir) -> PCollection[Document]; `pipeline/beam/job.py`
    # reads the files, applies it and writes the shards (unused when build_files is set)
    build: Callable[..., Any] | None = None
    add_arguments: Callable[[argparse.ArgumentParser], None] = _no_args
    reader_options: Callable[[argparse.Namespace], dict[str, Any]] = _no_reader_options
    help: str = ""
    # the source whose reader reads the input, when not `source` itself (C4 `--mode clean` reads WET);
    # documents are relabelled `source`
    reader_source: Callable[[argparse.Namespace], str] | None = None
    # A file-granular job builds its whole pipeline on the PCollection of input files (index, path, bytes)
    # and writes one shard per input file itself: build_files(files, args, FileJob) -> (passes over the
    # input, a cleanup callable or None). When set, `build` is not used.
    build_files: Callable[..., tuple[int, Callable[[], None] | None]] | None = None


@dataclasses.dataclass(frozen=True)
class FileJob:
    """What `pipeline/beam/job.py` tells a file-granular job about the run."""

    output: str
    n_files: int
    total_bytes: int
    progress_dir: str | None


def job_for(source: str) -> JobSpec:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return importlib.import_module(f"pipeline.beam.jobs.{source}").JOB
