"""The document store: Parquet shards (pyarrow, zstd) plus a stats.json per output.

Schema: `id, source, text` and one typed column per declared metadata key;
metadata keys a job did not declare go, as JSON, into the `extra` column so nothing is lost.
Shards are plain Parquet, readable by pandas, DuckDB and `datasets` without this project.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.document import META_TYPES, Document

EXTRA = "extra"
STATS_FILE = "stats.json"
_PA_TYPES = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_()}


def schema_for(meta_keys: Sequence[str]) -> pa.Schema:
    fields = [pa.field("id", pa.string()), pa.field("source", pa.string()), pa.field("text", pa.string())]
    for key in meta_keys:
        fields.append(pa.field(key, _PA_TYPES[META_TYPES.get(key, "string")]))
    fields.append(pa.field(EXTRA, pa.string()))
    return pa.schema(fields)


def _coerce(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "string":
        return str(value)
    if kind == "float64":
        return float(value)
    if kind == "int64":
        return int(value)
    return bool(value)


def to_row(doc: Document, meta_keys: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": doc.id, "source": doc.source, "text": doc.text}
    for key in meta_keys:
        row[key] = _coerce(doc.meta.get(key), META_TYPES.get(key, "string"))
    # keys starting with "_" are transient pipeline state (e.g. a document's input-file index), never data
    extra = {k: v for k, v in doc.meta.items() if k not in meta_keys and not k.startswith("_")}
    row[EXTRA] = json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None
    return row


def from_row(row: dict[str, Any]) -> Document:
    meta = {k: v for k, v in row.items() if k not in ("id", "source", "text", EXTRA) and v is not None}
    if row.get(EXTRA):
        meta.update(json.loads(row[EXTRA]))
    return Document(row["id"], row["source"], row["text"], meta)


def shard_name(index: int, count: int) -> str:
    return f"part-{index:05d}-of-{count:05d}.parquet"


def write_shard(docs: Iterable[Document], path: str, meta_keys: Sequence[str], row_group: int = 2048) -> int:
    """Write one shard atomically (temp file + rename); returns the document count."""
    schema = schema_for(meta_keys)
    tmp = f"{path}.tmp-{os.getpid()}"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    n = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for doc in docs:
            batch.append(to_row(doc, meta_keys))
            n += 1
            if len(batch) >= row_group:
                writer.write_table(pa.Table.from_pylist(batch, schema))
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema))
    os.replace(tmp, path)
    return n


class ShardWriter:
    """Stream documents into one Parquet shard, written atomically (a temp name, renamed at the end)
    and through Beam's FileSystems when the path is remote. Memory: one row group of rows, flushed
    at `row_group` documents or `max_buffer_chars` characters of text, whichever comes first."""

    def __init__(
        self, path: str, meta_keys: Sequence[str], row_group: int = 2048, max_buffer_chars: int = 8 << 20
    ) -> None:
        self.path = path
        self.meta_keys = tuple(meta_keys)
        self.schema = schema_for(meta_keys)
        self.row_group = row_group
        self.max_buffer_chars = max_buffer_chars
        self.count = 0
        self._rows: list[dict[str, Any]] = []
        self._chars = 0
        self._remote = "://" in path
        self._tmp = f"{path}.tmp-{os.getpid()}-{id(self)}"
        if self._remote:
            from apache_beam.io.filesystems import FileSystems

            self._sink = FileSystems.create(self._tmp)
        else:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._sink = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._writer = pq.ParquetWriter(self._sink, self.schema, compression="zstd")

    def add(self, doc: Document) -> None:
        self._rows.append(to_row(doc, self.meta_keys))
        self._chars += len(doc.text)
        self.count += 1
        if len(self._rows) >= self.row_group or self._chars >= self.max_buffer_chars:
            self._flush()

    def _flush(self) -> None:
        self._writer.write_table(pa.Table.from_pylist(self._rows, self.schema))
        self._rows, self._chars = [], 0

    def close(self) -> int:
        if self._rows or self.count == 0:
            self._flush()
        self._writer.close()
        self._sink.close()
        if self._remote:
            from apache_beam.io.filesystems import FileSystems

            if FileSystems.exists(self.path):
                FileSystems.delete([self.path])
            FileSystems.rename([self._tmp], [self.path])
        else:
            os.replace(self._tmp, self.path)
        return self.count

    def abort(self) -> None:
        try:
            self._writer.close()
            self._sink.close()
        finally:
            if not self._remote and os.path.exists(self._tmp):
                os.remove(self._tmp)


def shard_paths(path: str) -> list[str]:
    """The Parquet shards of an output folder (or a single file, or a glob), in name order."""
    if os.path.isdir(path):
        # part-*.parquet only: an output folder also holds reports such as decontamination/matches.parquet
        found = glob.glob(os.path.join(path, "**", "part-*.parquet"), recursive=True)
    else:
        found = glob.glob(path)
    found = [p for p in found if ".tmp" not in os.path.basename(p) and not os.path.basename(p).startswith(".")]
    if not found:
        raise FileNotFoundError(f"no Parquet shards at {path}")
    return sorted(found)


def read_documents(path: str, columns: Sequence[str] | None = None, batch_size: int = 1024) -> Iterator[Document]:
    """Stream documents from shards with bounded memory (one record batch at a time)."""
    for shard in shard_paths(path):
        pf = pq.ParquetFile(shard)
        cols = (
            None
            if columns is None
            else [c for c in pf.schema_arrow.names if c in set(columns) | {"id", "source", "text", EXTRA}]
        )
        for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
            for row in batch.to_pylist():
                yield from_row(row)


def count_documents(path: str) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in shard_paths(path))


def write_stats(out_dir: str, stats: dict[str, Any]) -> str:
    """Write stats.json atomically beside the shards."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, STATS_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return path


def read_stats(out_dir: str) -> dict[str, Any]:
    with open(os.path.join(out_dir, STATS_FILE), encoding="utf-8") as f:
        return json.load(f)
