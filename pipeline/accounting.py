"""Per-input-file accounting for the jobs that clean documents across files (dedup, threads, merges).

Every document carries its input file's index as transient meta (`INPUT_INDEX`, set by the reader
transform) and, when it stands for several records of that file (a StackExchange thread built from
posts), how many (`RECORDS`). Each place that drops a document, and the final count of kept ones, books
it here by file; stats.json's `per_file` then says for every input file: records read = kept + dropped
by reason (+ skipped before reading), and the job checks that the per-file drops add up to the job's
own drop counters, so a document lost without being counted shows up as an unbalanced file.

The ledger is process-wide and written as small JSON fragments into the launcher's local progress
folder (named by the `LEDGER_ENV` variable, which the launcher sets before the pipeline runs, so local
worker processes inherit it). DoFns that book entries flush it in `finish_bundle`. On a cluster the
variable is not set on the workers: nothing is booked and stats.json falls back to the totals.
"""

from __future__ import annotations

import glob
import json
import os
import threading
import uuid
from typing import Any

from pipeline.document import Document

LEDGER_ENV = "LLAMA_DATA_LEDGER_DIR"
INPUT_INDEX = "_input_index"  # transient meta: position of the document's file in the sorted input list
RECORDS = "_records"  # transient meta: how many records of its input file a document stands for
UNKNOWN_FILE = -1  # a document that lost its file index on the way (a bug: it makes the check fail)


def file_index(doc: Document) -> int:
    return int(doc.meta.get(INPUT_INDEX, UNKNOWN_FILE))


def records(doc: Document) -> int:
    return int(doc.meta.get(RECORDS, 1))


class Ledger:
    """Counts by (file index, kind, reason), thread-safe, flushed as one fragment file per flush."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str, str], int] = {}

    def _add(self, key: tuple[int, str, str], n: int) -> None:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + n

    def drop(self, doc: Document, reason: str, n: int | None = None) -> None:
        """A document dropped for `reason`; `n` records (default: as many as the document stands for)."""
        self._add((file_index(doc), "dropped", reason), records(doc) if n is None else n)

    def drop_from(self, index: int, reason: str, n: int) -> None:
        """Records of file `index` dropped where only their file index is at hand (dedup losers)."""
        self._add((index, "dropped", reason), n)

    def keep_records_from(self, index: int, n: int) -> None:
        """Records of file `index` kept inside a document booked to another file (a merged thread)."""
        self._add((index, "kept_records_extra", ""), n)

    def keep(self, doc: Document) -> None:
        index = file_index(doc)
        self._add((index, "kept", ""), 1)
        n = records(doc)
        if n != 1:
            self._add((index, "kept_records_extra", ""), n - 1)

    def flush(self) -> None:
        folder = os.environ.get(LEDGER_ENV)
        with self._lock:
            counts, self._counts = self._counts, {}
        if not counts or not folder or not os.path.isdir(folder):
            return
        name = os.path.join(folder, f"ledger-{os.getpid()}-{uuid.uuid4().hex}")
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump([[i, kind, reason, n] for (i, kind, reason), n in counts.items()], f)
        os.replace(name + ".tmp", name + ".ledger")


LEDGER = Ledger()


def read_ledger(folder: str) -> dict[int, dict[str, Any]] | None:
    """{file index: {"kept": n, "kept_records": n, "dropped": {reason: n}}}, or None when no fragment
    was written (a cluster run, or a job that kept and dropped nothing)."""
    paths = sorted(glob.glob(os.path.join(folder, "ledger-*.ledger")))
    if not paths:
        return None
    out: dict[int, dict[str, Any]] = {}
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for index, kind, reason, n in json.load(f):
                rec = out.setdefault(index, {"kept": 0, "kept_records": 0, "dropped": {}})
                if kind == "dropped":
                    rec["dropped"][reason] = rec["dropped"].get(reason, 0) + n
                elif kind == "kept":
                    rec["kept"] += n
                    rec["kept_records"] += n
                else:
                    rec["kept_records"] += n
    return out


def merge_into_per_file(per_file: dict[str, dict], by_index: dict[int, dict[str, Any]]) -> None:
    """Add the ledger's kept and dropped counts to the readers' per-file records (keyed by path, each
    with its `index`); entries under an unknown file index go to a record of their own."""
    paths = {rec.get("index"): path for path, rec in per_file.items()}
    for index, counts in sorted(by_index.items()):
        path = paths.get(index)
        if path is None:
            path = f"<unknown input file {index}>"
            per_file[path] = {"index": index, "read": 0}
        rec = per_file[path]
        rec["kept"] = counts["kept"]
        if counts["kept_records"] != counts["kept"]:
            rec["kept_records"] = counts["kept_records"]
        if counts["dropped"]:
            rec["dropped"] = dict(sorted(counts["dropped"].items()))
    for rec in per_file.values():
        rec.setdefault("kept", 0)
