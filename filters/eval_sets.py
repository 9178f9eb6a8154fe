"""Evaluation sets from the user's files, for decontamination (filters/decontam.py): JSONL (one object a
line, optionally gzipped), Parquet (one row an item) or plain text (one line an item). Nothing is
downloaded; the fields that make an item's text and its id are options."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator

from filters.decontam import DEFAULT_N, EvalIndex


def parse_eval_spec(spec: str) -> tuple[str, str]:
    """An --evals value, "NAME=PATH" or "PATH" (named after the file without its extensions) -> (name, path)."""
    if "=" in spec and not spec.startswith(("/", ".")):
        name, path = spec.split("=", 1)
        if name and path:
            return name, path
    base = spec.rstrip("/").rsplit("/", 1)[-1]
    return base.split(".", 1)[0] or base, spec


def eval_format(path: str) -> str:
    p = path.lower().removesuffix(".gz")
    if p.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if p.endswith(".parquet"):
        return "parquet"
    return "text"


def _item_text(record: dict, fields: list[str] | None, id_field: str) -> str:
    """The fields' text joined by newlines (lists, such as answer choices, one line per element); without
    `fields`, every string or list-of-strings field but the id."""
    names = fields if fields else [k for k in record if k != id_field]
    parts: list[str] = []
    for k in names:
        v = record.get(k)
        if isinstance(v, str):
            parts.append(v)
        elif isinstance(v, list | tuple):
            parts.extend(x for x in v if isinstance(x, str))
    return "\n".join(parts)


def read_eval_items(
    path: str, fields: list[str] | None = None, id_field: str = "id", bad: dict[str, int] | None = None
) -> Iterator[tuple[str, str]]:
    """(item id, text) of every item of one evaluation file: JSONL (one object a line), Parquet (one row
    an item) or plain text (one line an item). The id is `id_field` where the record has it, else the
    1-based line or row number. A JSONL line that is not an object is counted in `bad["bad_records"]`."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--evals {path}: no such file")
    kind = eval_format(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        missing = [f for f in fields or [] if f not in names]
        if missing:
            raise ValueError(f"--evals {path}: no column {', '.join(missing)} (columns: {', '.join(names)})")
        cols = None if not fields else list(dict.fromkeys([*fields, *([id_field] if id_field in names else [])]))
        row = 0
        for batch in pf.iter_batches(batch_size=1024, columns=cols):
            for rec in batch.to_pylist():
                row += 1
                yield (
                    str(rec.get(id_field, row) if rec.get(id_field) is not None else row),
                    _item_text(rec, fields, id_field),
                )
        return
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if kind == "text":
                if line.strip():
                    yield str(lineno), line.rstrip("\n")
                continue
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                rec = None
            if not isinstance(rec, dict):
                if bad is not None:
                    bad["bad_records"] = bad.get("bad_records", 0) + 1
                continue
            item_id = rec.get(id_field)
            yield str(item_id if item_id is not None else lineno), _item_text(rec, fields, id_field)


def load_index(
    specs: list[str],
    n: int = DEFAULT_N,
    fields: list[str] | None = None,
    id_field: str = "id",
    min_item_words: int = 1,
) -> EvalIndex:
    """The built index of every evaluation file in `specs` ("NAME=PATH" or "PATH"), one set each."""
    if not specs:
        raise ValueError("--evals: give at least one evaluation file")
    index = EvalIndex(n, min_item_words)
    for spec in specs:
        name, path = parse_eval_spec(spec)
        bad: dict[str, int] = {}
        index.add_set(name, read_eval_items(path, fields, id_field, bad))
        index.set_stats[name].update(bad, path=path)
    return index.build()
