"""Decontamination plumbing: `--decontaminate` for the cleaning jobs (`add_decontam_arguments`,
`apply_decontamination`), the tally and what is written, and the `llama-data decontaminate` command (run
by pipeline/app/decontaminate.py, over finished outputs). The rules are in filters/decontam.py.

What a run writes beside the shards, in OUTPUT/decontamination/:
- summary.json: the options, and per evaluation set the items indexed and found, the documents and
  characters removed;
- matches.parquet: one row per (document, item) pair with the first n-gram they share, to check by eye.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from typing import Any

from filters.base import Drop
from filters.decontam import DEFAULT_N, MODES, DecontamStep, EvalIndex, ScanResult
from filters.eval_sets import load_index
from pipeline.document import Document
from pipeline.files import write_bytes

log = logging.getLogger(__name__)
FOLDER = "decontamination"
SUMMARY_FILE = "summary.json"
MATCHES_FILE = "matches.parquet"
MATCH_COLUMNS = ("document_id", "source", "eval_set", "item_id", "ngram")


def add_matching_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--decontam-mode",
        choices=MODES,
        default="drop-document",
        help="drop-document (default): drop a document that shares an n-gram with an evaluation item; "
        "remove-lines: remove only the lines that hold the shared n-gram",
    )
    g.add_argument("--decontam-n", type=int, default=DEFAULT_N, help="n-gram length in words (GPT-3: 13)")
    g.add_argument(
        "--eval-fields",
        help="JSONL/Parquet fields whose text makes an item, comma separated (default: every text field "
        "but the id; list fields such as answer choices give one line per element)",
    )
    g.add_argument("--eval-id-field", default="id", help="field with the item id (default: id; else the line number)")
    g.add_argument(
        "--min-item-words",
        type=int,
        default=1,
        help="ignore items with fewer words (default 1: every item; an item shorter than n is matched whole, "
        "so a very short item matches many documents)",
    )


def add_decontam_arguments(parser: argparse.ArgumentParser) -> None:
    """`--decontaminate [NAME=]FILE ...` and its options, for every cleaning job."""
    g = parser.add_argument_group("decontamination (docs/decontamination.md)")
    g.add_argument(
        "--decontaminate",
        nargs="+",
        metavar="[NAME=]FILE",
        help="evaluation sets (JSONL, Parquet or text, one item a line) whose n-grams the output must not "
        "share; each set is reported under NAME (default: the file name)",
    )
    add_matching_options(g)


def index_from_args(args: argparse.Namespace) -> EvalIndex | None:
    specs = getattr(args, "decontaminate", None)
    if not specs:
        return None
    fields = [f.strip() for f in (args.eval_fields or "").split(",") if f.strip()] or None
    index = load_index(specs, args.decontam_n, fields, args.eval_id_field, args.min_item_words)
    log.info(
        "decontamination: %d sets, %d n-grams (%.1f MB index)",
        len(index.set_names),
        len(index.keys),
        index.nbytes / 1e6,
    )
    return index


class Tally:
    """What decontamination found, per evaluation set and in total; mergeable across workers."""

    def __init__(self) -> None:
        self.removed = 0  # documents dropped
        self.changed = 0  # documents that lost lines but stay
        self.chars = 0
        self.sets: dict[str, dict[str, Any]] = {}
        self.rows: list[dict[str, str]] = []
        self.removed_by_shard: dict[str, int] = {}  # over finished outputs: documents dropped per shard

    def add(self, doc: Document, r: ScanResult) -> None:
        if not r.matches:
            return
        dropped = isinstance(r.result, Drop)
        self.removed += dropped
        self.changed += not dropped
        self.chars += r.chars_removed
        first: dict[tuple[str, str], str] = {}
        for m in r.matches:
            first.setdefault((m.set_name, m.item_id), m.ngram)
        for (set_name, item_id), ngram in first.items():
            s = self._set(set_name)
            s["items"].add(item_id)
            self.rows.append(
                {"document_id": doc.id, "source": doc.source, "eval_set": set_name, "item_id": item_id, "ngram": ngram}
            )
        for set_name, chars in r.chars_by_set.items():
            s = self._set(set_name)
            s["documents_matched"] += 1
            s["documents_removed"] += dropped
            s["characters_removed"] += chars

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (item ids as sorted lists), for the per-file tallies of the CommonCrawl job."""
        sets = {k: {**v, "items": sorted(v["items"])} for k, v in self.sets.items()}
        return {"removed": self.removed, "changed": self.changed, "chars": self.chars, "sets": sets, "rows": self.rows}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Tally:
        t = cls()
        t.removed, t.changed, t.chars, t.rows = d["removed"], d["changed"], d["chars"], d["rows"]
        t.sets = {k: {**v, "items": set(v["items"])} for k, v in d["sets"].items()}
        return t

    def _set(self, name: str) -> dict[str, Any]:
        if name not in self.sets:
            self.sets[name] = {"items": set(), "documents_matched": 0, "documents_removed": 0, "characters_removed": 0}
        return self.sets[name]

    def merge(self, other: Tally) -> Tally:
        self.removed += other.removed
        self.changed += other.changed
        self.chars += other.chars
        self.rows += other.rows
        self.removed_by_shard.update(other.removed_by_shard)
        for name, o in other.sets.items():
            s = self._set(name)
            s["items"] |= o["items"]
            for k in ("documents_matched", "documents_removed", "characters_removed"):
                s[k] += o[k]
        return self

    def summary(self, info: dict[str, Any], scanned: int) -> dict[str, Any]:
        sets = {}
        for name, st in info["sets"].items():
            s = self.sets.get(name) or self._set(name)
            sets[name] = {
                **st,
                "items_found": len(s["items"]),
                "documents_matched": s["documents_matched"],
                "documents_removed": s["documents_removed"],
                "characters_removed": s["characters_removed"],
            }
        return {
            **{k: v for k, v in info.items() if k != "sets"},
            "documents_scanned": scanned,
            "documents_removed": self.removed,
            "documents_changed": self.changed,
            "characters_removed": self.chars,
            "matches": len(self.rows),
            "eval_sets": sets,
        }


def index_info(index: EvalIndex, mode: str) -> dict[str, Any]:
    return {
        "n": index.n,
        "mode": mode,
        "min_item_words": index.min_item_words,
        "index_ngrams": int(len(index.keys)),
        "index_bytes": int(index.keys.nbytes),
        "item_text_bytes": len(index.blob),
        "sets": {k: dict(v) for k, v in index.set_stats.items()},
    }


def write_results(output_dir: str, tally: Tally, info: dict[str, Any], scanned: int) -> dict[str, Any]:
    """OUTPUT/decontamination/{summary.json, matches.parquet}; local paths or any Beam filesystem."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    summary = tally.summary(info, scanned)
    summary["matches_file"] = f"{FOLDER}/{MATCHES_FILE}"
    folder = os.path.join(output_dir, FOLDER)
    schema = pa.schema([pa.field(c, pa.string()) for c in MATCH_COLUMNS])
    rows = sorted(tally.rows, key=lambda r: (r["eval_set"], r["item_id"], r["document_id"]))
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema), buf, compression="zstd")
    text = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    write_bytes(os.path.join(folder, MATCHES_FILE), buf.getvalue())
    write_bytes(os.path.join(folder, SUMMARY_FILE), text.encode())
    return summary


def read_summary(output_dir: str) -> dict[str, Any] | None:
    """The decontamination summary of an output folder, or None when it has none."""
    try:
        with open(os.path.join(output_dir, FOLDER, SUMMARY_FILE), encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


# --- inside a cleaning job (Beam) ---------------------------------------------------------------------


def apply_decontamination(docs, args: argparse.Namespace, output_dir: str):  # noqa: ANN001, ANN201
    """docs -> the documents that are not contaminated (lines removed in remove-lines mode); drops are
    counted as drop.contaminated, and OUTPUT/decontamination/ is written when the pipeline runs. The
    index is built here, in the launcher, so a bad evaluation file is a one-line error before anything
    runs; it travels to the workers inside the step (8 bytes per n-gram plus the item texts). Plain
    callables rather than DoFn subclasses keep this module free of Beam until a job uses it."""
    import apache_beam as beam
    from apache_beam.pvalue import AsSingleton

    index = index_from_args(args)
    if index is None:
        return docs
    info = index_info(index, args.decontam_mode)
    step = DecontamStep(index, args.decontam_mode)
    out = docs | "Decontaminate" >> beam.FlatMap(_ScanDocs(step)).with_outputs("tally", main="docs")
    tally = out.tally | "DecontamTally" >> beam.CombineGlobally(merge_tallies)
    scanned = docs | "DecontamScanned" >> beam.combiners.Count.Globally()
    _ = (
        docs.pipeline
        | "DecontamOutput" >> beam.Create([output_dir])
        | "DecontamWrite" >> beam.Map(_write_from_beam, AsSingleton(tally), AsSingleton(scanned), info)
    )
    return out.docs


def merge_tallies(tallies) -> Tally:  # noqa: ANN001
    out = Tally()
    for t in tallies:
        out.merge(t)
    return out


def _write_from_beam(output_dir: str, tally: Tally, scanned: int, info: dict[str, Any]) -> None:
    write_results(output_dir, tally, info, scanned)


class _ScanDocs:
    """Document -> the kept document, plus a one-document Tally on the "tally" output when it matched."""

    def __init__(self, step: DecontamStep) -> None:
        self.step = step
        self._counters: tuple | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_counters": None}

    def __call__(self, doc: Document):  # noqa: ANN204
        from apache_beam.pvalue import TaggedOutput

        if self._counters is None:
            from apache_beam.metrics import Metrics

            self.step.setup()  # first document on this worker: map the item texts from a file

            from pipeline.beam.transforms import NAMESPACE, Drops

            # Drops counts drop.contaminated and books the document to its input file (the ledger of
            # pipeline/accounting.py, flushed by CountKept's finish_bundle in the same fused stage);
            # dropped documents are not written with --write-dropped here: matches.parquet lists them
            self._counters = (
                Drops("decontaminate"),
                Metrics.counter(NAMESPACE, "decontam.documents_changed"),
                Metrics.counter(NAMESPACE, "decontam.characters_removed"),
            )
        dropped, changed, chars = self._counters
        r = self.step.scan(doc)
        if r.matches:
            t = Tally()
            t.add(doc, r)
            chars.inc(r.chars_removed)
            yield TaggedOutput("tally", t)
        if isinstance(r.result, Drop):
            dropped.drop(doc, r.result.reason)
            return
        if r.matches:
            changed.inc()
        yield r.result
