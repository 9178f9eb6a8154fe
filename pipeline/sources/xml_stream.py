"""Streaming, entity-safe XML records for the Wikipedia and StackExchange readers.

Built on the stdlib expat parser directly rather than ElementTree.iterparse, because expat lets us
refuse a DOCTYPE outright: no DTD is read and no entity is ever expanded (the "billion laughs" and
external-entity attacks of DESIGN.md section 9), like defusedxml does. Expat also detects UTF-8 and
UTF-16 from the BOM / XML declaration, which one real sample dump needs.

Memory stays constant: the bytes are fed in chunks, and only the fields asked for of the record being
read are kept (each capped at MAX_DOC_BYTES characters).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import BinaryIO
from xml.parsers import expat

from pipeline.sources import base
from pipeline.sources.base import SkipFn

CHUNK = 1 << 20


class _Refused(Exception):
    """A DOCTYPE or entity declaration: the file is refused from here on."""


@dataclasses.dataclass
class Record:
    attrs: dict[str, str]
    # relative path inside the record ("title", "revision/text") -> text of its first occurrence
    fields: dict[str, str]
    # relative paths seen (with their attributes), e.g. "redirect"
    present: set[str]
    oversized: bool = False


@dataclasses.dataclass
class Header:
    path: str  # absolute path from the root, e.g. "mediawiki/siteinfo/dbname"
    text: str


class _Builder:
    def __init__(self, record_tag: str, fields: set[str], headers: set[str]) -> None:
        self.record_tag = record_tag
        self.fields = fields
        self.headers = headers
        self.stack: list[str] = []
        self.rec_depth = -1  # stack depth of the open record element, -1 when outside one
        self.rec: Record | None = None
        self.text: list[str] | None = None  # collecting text of the current wanted element
        self.text_len = 0
        self.text_key = ""
        self.out: list[Record | Header] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.stack.append(name)
        if self.rec is None and name == self.record_tag:
            self.rec = Record(attrs, {}, set())
            self.rec_depth = len(self.stack)
            return
        if self.rec is not None:
            rel = "/".join(self.stack[self.rec_depth :])
            self.rec.present.add(rel)
            if rel in self.fields and rel not in self.rec.fields and self.text is None:
                self.text, self.text_len, self.text_key = [], 0, rel
        else:
            path = "/".join(self.stack)
            if path in self.headers and self.text is None:
                self.text, self.text_len, self.text_key = [], 0, path

    def chars(self, data: str) -> None:
        if self.text is None:
            return
        self.text_len += len(data)
        if self.text_len > base.MAX_DOC_BYTES:
            if self.rec is not None:
                self.rec.oversized = True
            self.text = []  # stop holding it; the record will be skipped as oversized
            return
        self.text.append(data)

    def end(self, name: str) -> None:
        depth = len(self.stack)
        if self.text is not None:
            key = "/".join(self.stack[self.rec_depth :]) if self.rec is not None else "/".join(self.stack)
            if key == self.text_key:
                if self.rec is not None:
                    self.rec.fields[key] = "".join(self.text)
                else:
                    self.out.append(Header(key, "".join(self.text)))
                self.text = None
        if self.rec is not None and depth == self.rec_depth:
            self.out.append(self.rec)
            self.rec, self.rec_depth = None, -1
        self.stack.pop()


def _refuse(*_args: object) -> None:
    raise _Refused()


def iter_records(
    stream: BinaryIO,
    skip: SkipFn,
    record_tag: str,
    fields: set[str] = frozenset(),
    headers: set[str] = frozenset(),
) -> Iterator[Record | Header]:
    """Yield each `record_tag` element (with the wanted child texts) and wanted header texts, in
    document order. Bad XML ends the stream with `malformed_xml`, a DOCTYPE/entity declaration with
    `xml_entities`, a damaged compressed stream with its reason: always after the records before it."""
    b = _Builder(record_tag, set(fields), set(headers))
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    # Never read external DTD subsets or parameter entities, and stop at the first sign of a DTD.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = b.start
    parser.EndElementHandler = b.end
    parser.CharacterDataHandler = b.chars
    # read1: one read of the decompressor at a time, so bytes inflated before a damaged block are
    # parsed rather than lost with the exception
    read = getattr(stream, "read1", stream.read)
    error: str | None = None
    while error is None:
        try:
            data = read(CHUNK)
            parser.Parse(data, not data)
        except _Refused:
            error = "xml_entities"
        except expat.ExpatError:
            error = "malformed_xml"
        except base.STREAM_ERRORS as exc:
            error = base.stream_error_reason(exc)
        # records completed before any error are still good (DESIGN.md section 9)
        yield from b.out
        b.out.clear()
        if error is None and not data:
            return
    skip(error)
