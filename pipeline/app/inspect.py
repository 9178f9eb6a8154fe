"""`llama-data inspect PATH`: what is in an output folder (Parquet shards + stats.json), a Parquet
file, or a token dataset / mixture folder: counts, sizes, a few documents, the stats."""

from __future__ import annotations

import argparse
import glob
import json
import os
import textwrap


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return str(n)


def inspect_documents(path: str, show: int, width: int) -> dict:
    import pyarrow.parquet as pq

    from pipeline.store import STATS_FILE, read_documents, shard_paths

    shards = shard_paths(path)
    rows = sum(pq.ParquetFile(s).metadata.num_rows for s in shards)
    size = sum(os.path.getsize(s) for s in shards)
    schema = pq.ParquetFile(shards[0]).schema_arrow
    chars = 0
    sources: dict[str, int] = {}
    for s in shards:
        t = pq.read_table(s, columns=["source", "text"])
        import pyarrow.compute as pc

        chars += int(pc.sum(pc.utf8_length(t["text"])).as_py() or 0)
        for src, n in zip(*pc.value_counts(t["source"]).flatten()):
            sources[src.as_py()] = sources.get(src.as_py(), 0) + n.as_py()
    print(
        f"{path}: {rows} documents in {len(shards)} shard(s), {_human(size)} on disk, {_human(chars)} of text (chars)"
    )
    print("sources: " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))
    print("columns: " + ", ".join(f"{f.name}:{f.type}" for f in schema))
    for i, doc in enumerate(read_documents(path)):
        if i >= show:
            break
        meta = {k: v for k, v in doc.meta.items() if k != "origin"}
        print(f"\n--- {doc.id}  {json.dumps(meta, ensure_ascii=False)[:300]}")
        print(textwrap.shorten(doc.text.replace("\n", " ⏎ "), width=width, placeholder=" …"))
    stats_path = os.path.join(path, STATS_FILE) if os.path.isdir(path) else None
    if stats_path and os.path.exists(stats_path):
        with open(stats_path, encoding="utf-8") as f:
            stats = json.load(f)
        print("\nstats.json:")
        print(json.dumps(stats, indent=2, sort_keys=True))
    return {"documents": rows, "shards": len(shards), "bytes": size, "sources": sources}


def inspect_tokens(path: str) -> None:
    from tokenizer.indexed import IndexedDataset

    prefixes = sorted(p[:-4] for p in glob.glob(os.path.join(path, "**", "*.idx"), recursive=True))
    total_docs = total_tokens = 0
    for prefix in prefixes:
        ds = IndexedDataset(prefix)
        total_docs += len(ds)
        total_tokens += ds.n_tokens
        print(f"{os.path.relpath(prefix, path)}: {len(ds)} documents, {ds.n_tokens} tokens, {ds.dtype}")
    print(f"total: {len(prefixes)} datasets, {total_docs} documents, {total_tokens} tokens")


def inspect_dropped(output: str, reason: str, show: int, width: int) -> dict[str, int]:
    """What `--write-dropped` kept of the dropped documents: counts by step and reason, then examples of
    `reason` (`all` for every reason)."""
    from pipeline.dropped import REASON, STEP, dropped_files, read_dropped

    if not dropped_files(output):
        raise FileNotFoundError(
            f"{output}: no dropped documents here; run the job with --write-dropped [FRACTION] to keep them"
        )
    counts: dict[str, int] = {}
    for doc in read_dropped(output):
        key = f"{doc.meta.get(STEP)}/{doc.meta.get(REASON)}"
        counts[key] = counts.get(key, 0) + 1
    print(f"{output}/dropped: {sum(counts.values())} documents written")
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {key:40s} {n}")
    wanted = None if reason == "all" else reason
    shown = 0
    for doc in read_dropped(output, wanted):
        if shown >= show:
            break
        shown += 1
        meta = {k: v for k, v in doc.meta.items() if k not in ("origin", STEP, REASON)}
        why = f"{doc.meta.get(STEP)}/{doc.meta.get(REASON)}"
        print(f"\n--- {doc.id}  [{why}]  {json.dumps(meta, ensure_ascii=False)[:240]}")
        print(textwrap.shorten(doc.text.replace("\n", " ⏎ "), width=width, placeholder=" …"))
    if wanted is not None and not shown:
        raise ValueError(f"--dropped {reason}: no dropped document has that reason; the reasons are listed above")
    return counts


def _cmd(args: argparse.Namespace) -> int:
    path = args.path
    if args.dropped:
        inspect_dropped(path, args.dropped, args.show, args.width)
        return 0
    if not os.path.exists(path) and not glob.glob(path):
        raise FileNotFoundError(f"{path}: no such file or folder")
    if os.path.isdir(path) and not glob.glob(os.path.join(path, "**", "*.parquet"), recursive=True):
        if glob.glob(os.path.join(path, "**", "*.idx"), recursive=True):
            inspect_tokens(path)
            return 0
        raise FileNotFoundError(f"{path}: no Parquet shards or token datasets inside")
    inspect_documents(path, args.show, args.width)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect",
        help="counts, sizes, sample documents and stats of an output folder",
        description="Show what an output holds: a folder of Parquet shards (document count, sizes, "
        "columns, a few documents, stats.json) or of token datasets (.bin/.idx).",
    )
    p.add_argument("path", help="an output folder, a Parquet file or a glob")
    p.add_argument("--show", type=int, default=3, help="documents to print (default 3)")
    p.add_argument("--width", type=int, default=240, help="characters of each document to print")
    p.add_argument(
        "--dropped",
        metavar="REASON",
        help="show what the job dropped (an output written with --write-dropped): counts by step and "
        "reason, then --show examples of REASON (e.g. bucket_tail, lid/lang_not_selected, or `all`)",
    )
    p.set_defaults(func=_cmd)
