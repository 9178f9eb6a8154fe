"""C4 reader: `c4-*.json.gz`, one JSON object a line with `text`, `url`, `timestamp` (the public C4 as
LLaMA used it, section 2 of the paper). Ids are `<file stem>:<line number>`: stable and unique even
where two lines carry the same page."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.document import Document, Meta
from pipeline.sources import base
from pipeline.sources.base import SkipFn


def read(
    path: str,
    skip: SkipFn,
    max_line_bytes: int | None = None,
    max_decompressed_bytes: int | None = None,
    **_: object,
) -> Iterator[Document]:
    """`max_line_bytes` caps one line (base.line_cap), `max_decompressed_bytes` the file's inflated size."""
    stem, origin = base.file_stem(path), base.origin(path)
    caps = {"max_line_bytes": max_line_bytes, "max_decompressed_bytes": max_decompressed_bytes}
    for lineno, obj, text in base.iter_json_texts(path, skip, **caps):
        url, timestamp = str(obj.get("url") or ""), str(obj.get("timestamp") or "")
        if base.lone_surrogate(url, timestamp):
            skip("invalid_utf8")
            continue
        yield Document(
            id=f"{stem}:{lineno}",
            source="c4",
            text=text,
            meta={Meta.URL: url, Meta.TIMESTAMP: timestamp, Meta.ORIGIN: origin},
        )
