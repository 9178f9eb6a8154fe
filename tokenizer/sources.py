"""Find the cleaned Parquet shards of each source under the `--input` folders.

A clean folder is `<clean>/<source>/part-*.parquet` (stats.json beside). `--input` takes either the
folder holding per-source subfolders or individual source folders; the source of a folder is the
`source` column of its documents (Document.source), not the folder's name.
"""

from __future__ import annotations

import glob
import os

import pyarrow.parquet as pq

from pipeline.document import SOURCES


def _parts(folder: str) -> list[str]:
    found = glob.glob(os.path.join(folder, "part-*.parquet"))
    return sorted(p for p in found if ".tmp" not in os.path.basename(p))


def _source_of(shards: list[str], folder: str) -> str:
    for shard in shards:
        pf = pq.ParquetFile(shard)
        if pf.metadata.num_rows == 0:
            continue
        batch = next(pf.iter_batches(batch_size=1, columns=["source"]))
        return str(batch.column(0)[0].as_py())
    name = os.path.basename(os.path.normpath(folder))
    if name in SOURCES:
        return name  # only empty shards: fall back on the folder's name
    raise ValueError(f"{folder}: cannot tell the source (all shards empty and the folder is not a source name)")


def discover(inputs: list[str]) -> dict[str, list[str]]:
    """{source: [shard paths in name order]} over the input folders; a source found twice is an error."""
    out: dict[str, list[str]] = {}
    for top in inputs:
        if not os.path.isdir(top):
            raise FileNotFoundError(f"{top}: not a folder of cleaned documents")
        folders = (
            [top]
            if _parts(top)
            else sorted(d for d in glob.glob(os.path.join(top, "*")) if os.path.isdir(d) and _parts(d))
        )
        if not folders:
            raise FileNotFoundError(f"{top}: no part-*.parquet shards here or in its subfolders")
        for folder in folders:
            shards = _parts(folder)
            source = _source_of(shards, folder)
            if source not in SOURCES:
                raise ValueError(f"{folder}: documents have unknown source {source!r}")
            if source in out:
                raise ValueError(f"source {source} found twice (second time in {folder}); pass each source once")
            out[source] = shards
    return dict(sorted(out.items(), key=lambda kv: SOURCES.index(kv[0])))
