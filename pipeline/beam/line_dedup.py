"""File-granular CCNet cleaning: two passes over the input files, one Parquet shard per input file.

    files (index, path, bytes)
      pass 1  HashLines: read, pre-steps (length), one uint64 key per line (numpy). Written beside the
              output (OUTPUT/.work/): the file's line keys for pass 2 (8 bytes a line), and its
              distinct keys split by hash prefix, one small file per (dedup group, prefix shard).
              Emitted: (shard, file index) references only.
      GroupByPrefix -> FindDuplicates: per prefix shard, the keys of every file of the group, sorted;
              the keys seen twice or more are written back per file (marks), (file, shard) emitted
      the (file, shard) references of the marks reach pass 2 as a side input
      pass 2  RemoveLinesCleanAndWriteShards: read the file again, drop the marked lines (one vectorised
              test per file), run the remaining steps (LID, perplexity, buckets, classifier) and stream
              the kept documents into part-<file>-of-<files>.parquet, written atomically

Why this shape: Beam's elements are file and shard references, never lines, documents or key arrays,
so the runner's per-element cost is paid a few times per file and what the runner holds (on the
DirectRunner, in the launching process) does not grow with the text; keys move through files, as
cc_net's own hash files do, which any Beam filesystem (local, gs://, s3://) holds. Documents never
wait in memory: they stream from the reader into the shard writer. No worker holds more than one
prefix shard of keys. The output is byte-identical from run to run whatever the runner or worker count,
since each shard is written by one DoFn call in input order. Each line is hashed once per run (pass 2
reads the keys pass 1 stored). The memory model is in docs/memory.md.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import os
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from filters.base import Drop, Step
from filters.dedup import file_summary, find_duplicates, keep_masks, line_keys, split_by_prefix
from filters.normalize import warm_up
from pipeline.beam.transforms import NAMESPACE, Counters, StepCounts
from pipeline.document import Document, Meta
from pipeline.files import read_bytes, write_bytes
from pipeline.progress import ProgressFile
from pipeline.sources import reader_for
from pipeline.sources.base import read_guarded
from pipeline.store import ShardWriter, shard_name

KEYS_DIR = ".work"  # under the output folder: line keys, marks, per-file tallies; removed when the job ends
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FilePlan:
    """Everything the per-file DoFns need (picklable: steps load their models in setup())."""

    source: str
    reader_options: dict[str, Any]
    meta_keys: tuple[str, ...]
    output: str
    n_files: int
    pre_steps: tuple[Step, ...]  # before dedup: the page transform, the length filter
    steps: tuple[Step, ...]  # after dedup: LID, perplexity, buckets, classifier
    dedup: bool = True
    semantics: str = "paper"
    group_files: int = 0  # dedup group: N consecutive input files; 0 = the whole input
    prefix_bits: int = 0  # 2**bits hash-prefix shards per group
    progress_dir: str | None = None
    strict: bool = False  # an input file that cannot be read stops the job instead of being counted
    split_by_lang: bool = False  # OUTPUT/<lang>/part-*.parquet, one shard per input file and language
    decontam: Any = None  # a filters.decontam.DecontamStep run last (--decontaminate), or None
    dropped: tuple[str, float] | None = None  # --write-dropped: (output folder, fraction)

    @property
    def keys_dir(self) -> str:
        return _join(self.output, KEYS_DIR)


def prefix_bits_for(total_input_bytes: int, bytes_per_shard: int = 128 << 20) -> int:
    """Enough prefix shards that each holds the keys of about 128 MB of input files (WET gzip: about
    350 MB of text, 4-5 million lines, 40 MB of keys; FindDuplicates needs about twice that)."""
    return min(10, max(0, math.ceil(math.log2(max(1, total_input_bytes) / bytes_per_shard))))


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if "://" in folder else os.path.join(folder, name)


def _keys_path(plan: FilePlan, index: int) -> str:
    """Every line key of one file, in order, with each document's line count (pass 1 -> pass 2)."""
    return _join(plan.keys_dir, f"lines-{index:05d}.npz")


def _distinct_path(plan: FilePlan, shard: int, index: int) -> str:
    """One file's distinct keys of one prefix shard, with their in-file duplicate flags."""
    return _join(plan.keys_dir, f"distinct-{shard:06d}-{index:05d}.npz")


def _decontam_path(plan: FilePlan, index: int) -> str:
    """One file's decontamination tally (matches per evaluation set), merged when the job ends."""
    return _join(plan.keys_dir, f"decontam-{index:05d}.json")


def _tally_path(plan: FilePlan, index: int) -> str:
    """One file's accounting: records read, skipped and dropped by reason, kept (see collect_tallies)."""
    return _join(plan.keys_dir, f"tally-{index:05d}.json")


def _marks_path(plan: FilePlan, shard: int, index: int) -> str:
    """One file's duplicated keys found in one prefix shard."""
    return _join(plan.keys_dir, f"marks-{shard:06d}-{index:05d}.npz")


def save_arrays(path: str, **arrays: np.ndarray) -> None:
    """np.savez to a local or remote path, atomically on a local disk (a retried DoFn may write it again)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_bytes(path, buf.getbuffer())


def load_arrays(path: str) -> dict[str, np.ndarray]:
    """A local file is read array by array (no whole-file copy in memory); a remote one in one read."""
    if "://" in path:
        data = read_bytes(path)
        if data is None:
            raise FileNotFoundError(path)
        arrays = np.load(io.BytesIO(data))
    else:
        arrays = np.load(path)
    return {k: arrays[k] for k in arrays.files}


def remove_keys_dir(plan: FilePlan) -> None:
    if "://" in plan.output:
        from apache_beam.io.filesystems import FileSystems

        if FileSystems.exists(plan.keys_dir):
            FileSystems.delete([plan.keys_dir])
        return
    import shutil

    shutil.rmtree(plan.keys_dir, ignore_errors=True)


def _apply(steps: tuple[Step, ...], doc: Document, tally: _Tally | None) -> Document | None:
    """The steps in order; `tally` counts each step's in, out, drops and removals (None: pass 1, whose
    reading pass 2 repeats and counts)."""
    for step in steps:
        out = step(doc)
        if isinstance(out, Drop):
            if tally is not None:
                tally.drop(step.name, doc, out.reason)
            return None
        if tally is not None:
            tally.passed(step.name, doc, out)
        doc = out
    return doc


def _ignore(reason: str, n: int = 1) -> None:
    """Pass 1's skips: pass 2 reads the file again and counts them there."""


class _FileDoFn(beam.DoFn):
    def __init__(self, plan: FilePlan, phase: str) -> None:
        self.plan = plan
        self.phase = phase

    def setup(self) -> None:
        warm_up()
        self._read = reader_for(self.plan.source)
        # pass 1 runs only the pre-steps: it must not load (or hold memory for) the models of pass 2
        for step in self.plan.pre_steps if self.phase == "hash" else (*self.plan.pre_steps, *self.plan.steps):
            step.setup()
        if self.phase != "hash" and self.plan.decontam is not None:
            self.plan.decontam.setup()
        self._skips = Counters("skip.")
        self._c = Counters("")
        self._progress = ProgressFile(self.plan.progress_dir, self.phase)

    def _records(self, path: str, skip, errors: list[dict]) -> Iterator[Document]:  # noqa: ANN001
        """The reader's documents, an unexpected failure counted as `unreadable_file` (see read_guarded)."""
        return read_guarded(self._read, path, skip, errors, self.plan.strict, **self.plan.reader_options)


class HashFile(_FileDoFn):
    """Pass 1: one file -> its line keys stored for pass 2, and its distinct keys per prefix shard."""

    def __init__(self, plan: FilePlan) -> None:
        super().__init__(plan, "hash")

    def process(self, element: tuple[int, str, int]) -> Iterator[tuple[int, int]]:
        index, path, size = element
        plan, progress = self.plan, self._progress
        hash_empty = plan.semantics == "ccnet"
        parts: list[np.ndarray] = []
        nlines: list[int] = []
        read = 0
        for doc in self._records(path, _ignore, []):
            read += 1
            progress.doc(len(doc.text))
            doc = _apply(plan.pre_steps, doc, None)
            if doc is None:
                continue
            k = line_keys(doc.text, hash_empty)
            parts.append(k)
            nlines.append(len(k))
        keys = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        counts = np.asarray(nlines, dtype=np.int64)
        save_arrays(_keys_path(plan, index), keys=keys, nlines=counts)
        uniq, flags = file_summary(keys, counts, plan.semantics)
        del parts, keys
        group = index // plan.group_files if plan.group_files > 0 else 0
        written = 0
        for prefix, sl in split_by_prefix(uniq, plan.prefix_bits):
            shard = (group << plan.prefix_bits) | prefix
            save_arrays(_distinct_path(plan, shard, index), keys=uniq[sl], flags=flags[sl])
            written += 9 * (sl.stop - sl.start)
            yield shard, index  # only a reference travels through the shuffle; the keys are in the file
        self._c.inc("dedup.lines", int(counts.sum()))
        self._c.inc("dedup.bytes_distinct_keys", written)
        progress.file_done(size)


class FindDuplicates(beam.DoFn):
    """One prefix shard of one dedup group: which keys occur twice or more, handed back per file (as a
    file of marks, and a (file, shard) reference through the shuffle)."""

    def __init__(self, plan: FilePlan) -> None:
        self.plan = plan

    def setup(self) -> None:
        self._c = Counters("")

    def process(self, element: tuple[int, Iterable[int]]) -> Iterator[tuple[int, int]]:
        shard, indices = element
        parts = []
        for index in sorted(set(indices)):
            a = load_arrays(_distinct_path(self.plan, shard, index))
            parts.append((index, a["keys"], a["flags"]))
        marks, distinct, duplicated = find_duplicates(parts)
        del parts
        self._c.inc("dedup.distinct_keys", distinct)
        self._c.inc("dedup.duplicated_keys", duplicated)
        for index, keys in marks:
            save_arrays(_marks_path(self.plan, shard, index), keys=keys)
            self._c.inc("dedup.bytes_marks", 8 * len(keys))
            yield index, shard


class CleanFile(_FileDoFn):
    """Pass 2 (or the only pass without dedup): read a file, drop its marked lines, run the steps, and
    stream the kept documents into the file's own shard."""

    def __init__(self, plan: FilePlan) -> None:
        super().__init__(plan, "clean" if plan.dedup else "read")

    def setup(self) -> None:
        super().setup()
        self._meta = Metrics.counter(NAMESPACE, "kept")
        # the file's own record books its drops to it (stats.json per_file): not the ledger
        self._counts = StepCounts("", self.plan.dropped, ledger=False)

    def finish_bundle(self) -> None:
        self._counts.close()

    def process(self, element: tuple[int, str, int], marks: Any = None) -> Iterator[str]:
        index, path, size = element
        if self.plan.dedup:
            yield self._clean(index, path, size, list(marks[index]))  # a MultiMap: [] for a file without marks
        else:
            yield self._clean(index, path, size, None)

    def _clean(self, index: int, path: str, size: int, marks: list[int] | None) -> str:
        plan, progress, c = self.plan, self._progress, self._c
        out_path = _join(plan.output, shard_name(index, plan.n_files))
        writer = _LangWriters(plan, index) if plan.split_by_lang else ShardWriter(out_path, plan.meta_keys)
        if marks is not None:
            stored = load_arrays(_keys_path(plan, index))
            keys, nlines = stored["keys"], stored["nlines"]
            found = [load_arrays(_marks_path(plan, shard, index))["keys"] for shard in sorted(set(marks))]
            dups = np.unique(np.concatenate(found)) if found else keys[:0]
            keep = keep_masks(keys, nlines, dups, plan.semantics)
        tally = _Tally(self._skips, self._counts)
        found = None
        if plan.decontam is not None:
            from pipeline.beam.decontaminate import Tally

            found = Tally()
        errors: list[dict] = []
        i = start = read = kept = chars_in = chars_removed = scanned = 0
        try:
            for doc in self._records(path, tally.skip, errors):
                read += 1
                progress.doc(len(doc.text))
                doc = _apply(plan.pre_steps, doc, tally)
                if doc is None:
                    continue
                if marks is not None:
                    n = int(nlines[i])
                    if doc.text.count("\n") + 1 != n:
                        raise RuntimeError(
                            f"{path}: document {doc.id} reads differently in the second pass "
                            f"({doc.text.count(chr(10)) + 1} lines, {n} hashed); is the file changing?"
                        )
                    original = len(doc.text)
                    chars_in += original
                    doc = self._remove_lines(doc, keep[start : start + n], tally)
                    i, start = i + 1, start + n
                    chars_removed += original - (len(doc.text) if doc is not None else 0)
                    if doc is None:
                        continue
                doc = _apply(plan.steps, doc, tally)
                if doc is not None and found is not None:
                    scanned += 1
                    doc = self._decontaminate(doc, found, tally)
                if doc is not None:
                    writer.add(doc)
                    kept += 1
                    if plan.split_by_lang:
                        c.inc(f"kept_lang.{doc.meta.get(Meta.LANG)}.{doc.meta.get(Meta.BUCKET, 'all')}")
            if marks is not None and i != len(nlines):
                raise RuntimeError(f"{path}: {len(nlines)} documents hashed in pass 1, {i} read in pass 2")
            writer.close()
        except BaseException:
            writer.abort()
            raise
        c.inc("files")
        c.inc("read", read)
        if marks is not None:
            c.inc("dedup.chars_in", chars_in)
            c.inc("dedup.chars_removed", chars_removed)
        self._meta.inc(kept)
        record = {"path": path, "read": read, "kept": kept, "skipped": tally.skipped, "dropped": tally.dropped}
        if errors:
            record["errors"] = errors
        _write_json(_tally_path(plan, index), record)
        if found is not None:
            _write_json(_decontam_path(plan, index), {"scanned": scanned, **found.to_dict()})
        progress.file_done(size)
        return out_path

    def _decontaminate(self, doc: Document, found: Any, tally: _Tally) -> Document | None:
        r = self.plan.decontam.scan(doc)
        found.add(doc, r)
        if isinstance(r.result, Drop):
            tally.drop("decontaminate", doc, r.result.reason)
            return None
        tally.passed("decontaminate", doc, r.result)
        return r.result

    def _remove_lines(self, doc: Document, keep: np.ndarray, tally: _Tally) -> Document | None:
        text = doc.text
        if not keep.all():
            lines = text.split("\n")
            text = "\n".join([line for line, k in zip(lines, keep.tolist()) if k])
        empty = not keep.any() if self.plan.semantics == "ccnet" else not text.strip()
        if empty:
            tally.drop("dedup", doc, "dedup_empty")
            return None
        meta = dict(doc.meta)
        meta[Meta.ORIGINAL_LENGTH] = len(doc.text)
        meta[Meta.ORIGINAL_NLINES] = doc.text.count("\n") + 1
        out = Document(doc.id, doc.source, text, meta)
        tally.passed("dedup", doc, out)
        return out


class _LangWriters:
    """One shard per language for one input file (`--split-by-lang`), each opened with its first document,
    so a file writes OUTPUT/<lang>/part-<file>-of-<files>.parquet only for the languages it holds."""

    def __init__(self, plan: FilePlan, index: int) -> None:
        self.plan, self.index = plan, index
        self._writers: dict[str, ShardWriter] = {}

    def add(self, doc: Document) -> None:
        lang = str(doc.meta.get(Meta.LANG) or "unknown")
        writer = self._writers.get(lang)
        if writer is None:
            folder = _join(self.plan.output, lang)
            path = _join(folder, shard_name(self.index, self.plan.n_files))
            writer = self._writers[lang] = ShardWriter(path, self.plan.meta_keys)
        writer.add(doc)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.abort()


class _Tally:
    """One file's skips and drops, counted into the job's Beam counters (per step, as every job counts
    them: StepCounts) and into the file's record."""

    def __init__(self, skips: Counters, counts: StepCounts) -> None:
        self._skips, self._counts = skips, counts
        self.skipped: dict[str, int] = {}
        self.dropped: dict[str, int] = {}

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n
        self._skips.inc(reason, n)

    def drop(self, step: str, doc: Document, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        self._counts.step = step
        self._counts.dropped(doc, reason)

    def passed(self, step: str, before: Document, after: Document) -> None:
        self._counts.step = step
        self._counts.passed(before, after)


def _write_json(path: str, obj: dict) -> None:
    write_bytes(path, json.dumps(obj, sort_keys=True).encode())


def collect_decontamination(plan: FilePlan) -> tuple[Any, int]:
    """The files' decontamination tallies merged, and the documents scanned (see CleanFile)."""
    from pipeline.beam.decontaminate import Tally

    total, scanned = Tally(), 0
    for index in range(plan.n_files):
        record = _read_json(_decontam_path(plan, index))
        if record is not None:
            scanned += record.pop("scanned")
            total.merge(Tally.from_dict(record))
    return total, scanned


def _read_json(path: str) -> dict | None:
    data = read_bytes(path)
    return None if data is None else json.loads(data)


def collect_tallies(plan: FilePlan) -> dict[str, dict]:
    """{input path: its record} from every file's tally (see CleanFile)."""
    out = {}
    for index in range(plan.n_files):
        record = _read_json(_tally_path(plan, index))
        if record is not None:
            out[record.pop("path")] = record
    return out


def clean_files_to_shards(files: beam.PCollection, plan: FilePlan) -> beam.PCollection:
    """files (index, path, bytes) -> one shard path per file, written; everything else is counters.
    Applied as top-level stages (not one composite) so `--dry-run` lists them."""
    if not plan.dedup:
        return files | "CleanAndWriteShards" >> beam.ParDo(CleanFile(plan))
    marks = (
        files
        | "HashLines" >> beam.ParDo(HashFile(plan))
        | "GroupByPrefix" >> beam.GroupByKey()
        | "FindDuplicates" >> beam.ParDo(FindDuplicates(plan))
    )
    # the marks are (file, shard) references, a few per file: a side input (broadcast to every worker)
    # costs less than a CoGroupByKey and makes pass 2 wait for the whole of FindDuplicates
    return files | "RemoveLinesCleanAndWriteShards" >> beam.ParDo(CleanFile(plan), beam.pvalue.AsMultiMap(marks))
