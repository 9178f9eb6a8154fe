"""Books reader: Project Gutenberg plain text (`.txt`, optionally compressed; one book a file) and
Books3-style JSONL (`.jsonl`, `.jsonl.gz`, `.jsonl.zst`; `{"text", "meta": {"title", ...}}` a line).

Gutenberg text is kept raw, licence header and footer included: stripping them is the books filter's
job. Ids: `gutenberg:<ebook number or file stem>`, `books3:<file stem>:<line number>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.document import Document, Meta
from pipeline.sources import base
from pipeline.sources.base import SkipFn

_EBOOK_NO = re.compile(r"\[e-?book\s*#\s*(\d+)\]|e-?book\s+#\s*(\d+)|ebook-no\.\s*(\d+)", re.IGNORECASE)
_TITLE = re.compile(r"^\s*title:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
HEADER_CHARS = 20_000  # the Gutenberg header sits in the first few hundred lines


def _is_jsonl(path: str) -> bool:
    lower = path.lower()
    return any(
        lower.endswith(s) for s in (".jsonl", ".jsonl.gz", ".jsonl.zst", ".jsonl.zstd", ".jsonl.bz2", ".jsonl.xz")
    )


def read(
    path: str,
    skip: SkipFn,
    max_line_bytes: int | None = None,
    max_decompressed_bytes: int | None = None,
    **_: object,
) -> Iterator[Document]:
    """`max_line_bytes` caps one Books3 line (base.line_cap), `max_decompressed_bytes` a file's
    inflated size (base.MAX_DECOMPRESSED_BYTES); a Gutenberg book is read up to MAX_DOC_BYTES + 1."""
    if _is_jsonl(path):
        yield from read_books3(path, skip, max_line_bytes, max_decompressed_bytes)
    else:
        yield from read_gutenberg(path, skip, max_decompressed_bytes)


def read_gutenberg(path: str, skip: SkipFn, max_decompressed_bytes: int | None = None) -> Iterator[Document]:
    try:
        with base.open_decompressed(path, max_decompressed_bytes) as f:
            data = f.read(base.MAX_DOC_BYTES + 1)
    except base.STREAM_ERRORS as exc:
        skip(base.stream_error_reason(exc))
        return
    if base.too_big(len(data), skip):
        return
    text = base.decode_utf8(data.removeprefix(b"\xef\xbb\xbf"), skip)
    if text is None or base.is_blank(text, skip):
        return
    head = text[:HEADER_CHARS]
    m = _EBOOK_NO.search(head)
    number = next((g for g in m.groups() if g), None) if m else None
    meta = {Meta.ORIGIN: base.origin(path)}
    t = _TITLE.search(head)
    if t:
        meta[Meta.TITLE] = t.group(1)
    yield Document(id=f"gutenberg:{number or base.file_stem(path)}", source="books", text=text, meta=meta)


def read_books3(
    path: str, skip: SkipFn, max_line_bytes: int | None = None, max_decompressed_bytes: int | None = None
) -> Iterator[Document]:
    stem, origin = base.file_stem(path), base.origin(path)
    caps = {"max_line_bytes": max_line_bytes, "max_decompressed_bytes": max_decompressed_bytes}
    for lineno, obj, text in base.iter_json_texts(path, skip, **caps):
        meta = {Meta.ORIGIN: origin}
        m = obj.get("meta")
        if isinstance(m, dict):
            title = m.get("title") or m.get("short_book_title")
            if isinstance(title, str) and title:
                if base.lone_surrogate(title):
                    skip("invalid_utf8")
                    continue
                meta[Meta.TITLE] = title
        yield Document(id=f"books3:{stem}:{lineno}", source="books", text=text, meta=meta)
