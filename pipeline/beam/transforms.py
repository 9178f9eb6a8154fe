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
from pipeline.accounting import INPUT_INDEX, LEDGER, records
from pipeline.document import Document
from pipeline.progress import ProgressFile
from pipeline.sources import reader_for
from pipeline.sources.base import read_guarded

log = logging.getLogger(__name__)
NAMESPACE = "llama_data"
__all__ = [
    "INPUT_INDEX",
    "NAMESPACE",
    "ApplyStep",
    "Counters",
    "CountKept",
    "Drops",
    "ReadFiles",
    "StepCounts",
    "apply_steps",
]


class Counters:
    """Beam counters created on first use and cached (creating one per element is wasteful)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._c: dict[str, Any] = {}

    def inc(self, name: str, n: int = 1) -> None:
        c = self._c.get(name)
        if c is None:
            c = self._c[name] = Metrics.counter(NAMESPACE, f"{self.prefix}{name}")
        c.inc(n)


# --write-dropped: (folder, fraction) captured by the DoFns when the pipeline is built (they travel
# pickled with them to any worker); set by the job launcher through `write_dropped_to`
_DROPPED: tuple[str, float] | None = None


def write_dropped_to(folder: str | None, fraction: float = 1.0) -> None:
    global _DROPPED
    _DROPPED = (folder, fraction) if folder else None


def dropped_config() -> tuple[str, float] | None:
    return _DROPPED


class Drops:
    """Where every drop of one step goes: the job's total (`drop.<reason>`), the step's own counter
    (`<step>/<reason>`), the input file's ledger (pipeline/accounting.py) and, with --write-dropped, the
    dropped document itself (pipeline/dropped.py). A DoFn using one calls `close()` in its finish_bundle."""

    def __init__(self, step: str, dropped: tuple[str, float] | None = None, ledger: bool = True) -> None:
        self.step = step
        self._ledger = ledger  # False where the caller books drops to its file itself (CommonCrawl)
        self._c = Counters("")
        self._sink = None
        if dropped is not None:
            from pipeline.dropped import DroppedSink

            self._sink = DroppedSink(*dropped)

    def inc(self, name: str, n: int = 1) -> None:
        self._c.inc(name, n)

    def drop(self, doc: Document, reason: str, n: int | None = None) -> None:
        k = records(doc) if n is None else n
        self._c.inc(f"drop.{reason}", k)
        self._c.inc(f"{self.step}/{reason}", k)
        if self._ledger:
            LEDGER.drop(doc, reason, n)
        if self._sink is not None:
            self._sink.add(doc, self.step, reason)

    def drop_from(self, index: int, reason: str, n: int) -> None:
        """Records of input file `index` dropped where only their file is at hand (dedup losers)."""
        self._c.inc(f"drop.{reason}", n)
        self._c.inc(f"{self.step}/{reason}", n)
        LEDGER.drop_from(index, reason, n)

    def close(self) -> None:
        LEDGER.flush()
        if self._sink is not None:
            self._sink.close()


class StepCounts(Drops):
    """Drops plus what went in and out of the step, and the lines and characters it removed from the
    documents it kept (`<step>/in`, `<step>/out`, `<step>/lines_removed`, `<step>/chars_removed`)."""

    def passed(self, before: Document, after: Document) -> None:
        self._c.inc(f"{self.step}/in")
        self._c.inc(f"{self.step}/out")
        if after is not before and after.text is not before.text:
            chars = len(before.text) - len(after.text)
            if chars:
                self._c.inc(f"{self.step}/chars_removed", chars)
                self._c.inc(f"{self.step}/lines_removed", before.text.count("\n") - after.text.count("\n"))

    def dropped(self, doc: Document, reason: str) -> None:
        self._c.inc(f"{self.step}/in")
        self.drop(doc, reason)

    def notes(self, step: object) -> None:
        """Side counts a step kept (`SimpleStep.note`, e.g. no_gutenberg_markers) into counters."""
        notes = getattr(step, "_notes", None)
        if notes:
            for name, n in notes.items():
                self._c.inc(name, n)
            notes.clear()


class ReadFiles(beam.DoFn):
    """path -> Documents, via the source's reader; skips counted as `skip.<reason>`."""

    def __init__(
        self,
        source: str,
        reader_options: dict[str, Any] | None = None,
        label_as: str | None = None,
        progress_dir: str | None = None,
        strict: bool = False,
    ) -> None:
        self.progress_dir = progress_dir
        self.strict = strict
        self.source = source
        self.reader_options = reader_options or {}
        # a job may read another source's format (C4's `clean` mode reads CommonCrawl WET)
        self.label_as = label_as

    def setup(self) -> None:
        self._read = reader_for(self.source)
        self._skips = Counters("skip.")
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
        for doc in read_guarded(self._read, path, skip, errors, self.strict, **self.reader_options):
            n += 1
            self._docs.inc()
            progress.doc(len(doc.text))
            if self.label_as is not None:
                doc = Document(doc.id, self.label_as, doc.text, doc.meta)
            # the per-file accounting (pipeline/accounting.py) books drops and kept documents by it
            doc.meta[INPUT_INDEX] = index
            yield doc
        progress.file_done(size)
        tally = {"path": path, "index": index, "read": n, "skipped": skipped, "errors": errors}
        write_file_tally(self.progress_dir, index, tally)


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
    """Run one cleaning step, the model loaded once in setup(); in, out, drops by reason and lines and
    characters removed counted per step (StepCounts)."""

    def __init__(self, step: Step) -> None:
        self.step = step
        self.dropped = dropped_config()

    def setup(self) -> None:
        self.step.setup()
        self._counts = StepCounts(self.step.name, self.dropped)

    def process(self, doc: Document) -> Iterator[Document]:
        out = self.step(doc)
        counts = self._counts
        if isinstance(out, Drop):
            counts.dropped(doc, out.reason)
        else:
            counts.passed(doc, out)
            yield out
        counts.notes(self.step)

    def finish_bundle(self) -> None:
        self._counts.close()


def apply_steps(docs: beam.PCollection, steps: list[Step]) -> beam.PCollection:
    """Chain steps, each a named transform (`Step:<name>`), in order."""
    for step in steps:
        docs = docs | f"Step:{step.name}" >> beam.ParDo(ApplyStep(step))
    return docs


class CountKept(beam.DoFn):
    """The documents a job writes: counted as `kept`, and booked by input file (pipeline/accounting.py)."""

    def setup(self) -> None:
        self._c = Metrics.counter(NAMESPACE, "kept")

    def process(self, doc: Document) -> Iterator[Document]:
        self._c.inc()
        LEDGER.keep(doc)
        yield doc

    def finish_bundle(self) -> None:
        LEDGER.flush()
