"""Beam wrappers around the Beam-free pieces: reading files with counted skips, applying steps with
counted drops. Module-level DoFns only (they must pickle for multi-process and cluster runners)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from filters.base import Drop, Step
from pipeline.document import Document
from pipeline.progress import ProgressFile
from pipeline.sources import reader_for

log = logging.getLogger(__name__)
NAMESPACE = "llama_data"
INPUT_INDEX = "_input_index"  # transient meta: position of the document's file in the sorted input list


class _Counters:
    """Beam counters created on first use and cached (creating one per element is wasteful)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._c: dict[str, Any] = {}

    def inc(self, name: str, n: int = 1) -> None:
        c = self._c.get(name)
        if c is None:
            c = self._c[name] = Metrics.counter(NAMESPACE, f"{self.prefix}{name}")
        c.inc(n)


class ReadFiles(beam.DoFn):
    """path -> Documents, via the source's reader; skips counted as `skip.<reason>`."""

    def __init__(
        self,
        source: str,
        reader_options: dict[str, Any] | None = None,
        tag_input_index: bool = False,
        label_as: str | None = None,
        progress_dir: str | None = None,
        strict: bool = False,
    ) -> None:
        self.progress_dir = progress_dir
        self.strict = strict
        self.source = source
        self.reader_options = reader_options or {}
        # stages that group by input file (CCNet's dedup groups of N shards) need the file's index
        self.tag_input_index = tag_input_index
        # a job may read another source's format (C4's `clean` mode reads CommonCrawl WET)
        self.label_as = label_as

    def setup(self) -> None:
        self._read = reader_for(self.source)
        self._skips = _Counters("skip.")
        self._docs = Metrics.counter(NAMESPACE, "read")
        self._files = Metrics.counter(NAMESPACE, "files")
        self._progress = ProgressFile(self.progress_dir, "read")

    def process(self, element: str | tuple[int, str] | tuple[int, str, int]) -> Iterator[Document]:
        """element: a path, (input index, path) or (input index, path, bytes)."""
        if isinstance(element, str):
            element = (0, element)
        index, path, size = (*element, 0) if len(element) == 2 else element
        self._files.inc()
        progress = self._progress
        skipped: dict[str, int] = {}
        errors: list[dict] = []

        def skip(reason: str, k: int = 1) -> None:
            skipped[reason] = skipped.get(reason, 0) + k
            self._skips.inc(reason, k)

        n = 0
        try:
            for doc in self._read(path, skip, **self.reader_options):
                n += 1
                self._docs.inc()
                progress.doc(len(doc.text))
                if self.label_as is not None:
                    doc = Document(doc.id, self.label_as, doc.text, doc.meta)
                if self.tag_input_index:
                    doc.meta[INPUT_INDEX] = index
                yield doc
        except Exception as exc:
            # readers turn damaged records into counted skips; this is the net under them: one file that
            # fails in an unexpected way is counted and ends alone, the other files go on (--strict: stop)
            if self.strict:
                raise
            skip("unreadable_file")
            errors.append({"error": type(exc).__name__, "message": str(exc)[:500], "after_records": n})
            log.warning(
                "%s: unreadable after %d records (%s: %s); the other files go on", path, n, type(exc).__name__, exc
            )
        progress.file_done(size)
        write_file_tally(self.progress_dir, index, {"path": path, "read": n, "skipped": skipped, "errors": errors})


def write_file_tally(folder: str | None, index: int, record: dict) -> None:
    """What one input file gave its reader (documents read, records skipped by reason, errors), kept in the
    launcher's local progress folder for stats.json's `per_file` (absent on a cluster: best effort)."""
    if not folder or not os.path.isdir(folder):
        return
    import json

    if not record.get("errors"):
        record.pop("errors", None)
    tmp = os.path.join(folder, f"tally-{index:06d}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.replace(tmp, os.path.join(folder, f"tally-{index:06d}.json.done"))


def read_file_tallies(folder: str) -> dict[str, dict]:
    import glob
    import json

    out = {}
    for p in sorted(glob.glob(os.path.join(folder, "tally-*.json.done"))):
        with open(p, encoding="utf-8") as f:
            record = json.load(f)
        out[record.pop("path")] = record
    return out


class ApplyStep(beam.DoFn):
    """Run one cleaning step; drops counted as `drop.<reason>`, the model loaded once in setup()."""

    def __init__(self, step: Step) -> None:
        self.step = step

    def setup(self) -> None:
        self.step.setup()
        self._drops = _Counters("drop.")

    def process(self, doc: Document) -> Iterator[Document]:
        out = self.step(doc)
        if isinstance(out, Drop):
            self._drops.inc(out.reason)
        else:
            yield out


def apply_steps(docs: beam.PCollection, steps: list[Step]) -> beam.PCollection:
    """Chain steps, each a named transform (`Step:<name>`), in order."""
    for step in steps:
        docs = docs | f"Step:{step.name}" >> beam.ParDo(ApplyStep(step))
    return docs


class CountAs(beam.DoFn):
    def __init__(self, name: str) -> None:
        self.name = name

    def setup(self) -> None:
        self._c = Metrics.counter(NAMESPACE, self.name)

    def process(self, x: Any) -> Iterator[Any]:
        self._c.inc()
        yield x
