"""C4 reader: `c4-*.json.gz`, one JSON object a line with `text`, `url`, `timestamp` (the public C4 as
LLaMA used it, section 2 of the paper). Ids are `<file stem>:<line number>`: stable and unique even
where two lines carry the same page."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.document import Document, Meta
from pipeline.sources import base
from pipeline.sources.base import SkipFn


def read(path: str, skip: SkipFn, **_: object) -> Iterator[Document]:
    stem, origin = base.file_stem(path), base.origin(path)
    for lineno, obj, text in base.iter_json_texts(path, skip):
        yield Document(
            id=f"{stem}:{lineno}",
            source="c4",
            text=text,
            meta={
                Meta.URL: str(obj.get("url") or ""),
                Meta.TIMESTAMP: str(obj.get("timestamp") or ""),
                Meta.ORIGIN: origin,
            },
        )
