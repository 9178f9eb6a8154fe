"""CommonCrawl reader: WET (`.warc.wet.gz`, the text CCNet starts from) and WARC (`.warc.gz`, HTML).

FastWARC parses the archive (it reads the per-record gzip members natively and is several times faster
than warcio). WET `conversion` records give the text directly; WARC `response` records are kept only
for HTTP 200 text/html, and their text is extracted with pipeline.sources.html_text.

FastWARC neither reports a truncated final record (it returns a short body) nor caps what it inflates,
so both are checked here: the block length against Content-Length, and the running total of
Content-Length against MAX_DECOMPRESSED_BYTES.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecordType

from pipeline.document import Document, Meta, stable_id
from pipeline.sources import base
from pipeline.sources.base import SkipFn
from pipeline.sources.html_text import html_to_text, sniff_charset

# Plain ints: IntFlag arithmetic is slow in a per-record loop.
CONVERSION = int(WarcRecordType.conversion)
RECORD_TYPES = int(WarcRecordType.conversion | WarcRecordType.response)


def _record_id(raw: str | None) -> str | None:
    if not raw:
        return None
    return raw.strip().lstrip("<").rstrip(">") or None


def _dechunk(body: bytes) -> bytes | None:
    """Undo HTTP/1.1 chunked transfer coding; None when the chunks are malformed."""
    out, pos = [], 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return None
        try:
            size = int(body[pos:end].split(b";")[0], 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        out.append(body[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2


def _inflate(body: bytes, cap: int) -> bytes:
    """gzip/deflate content coding, inflated at most to `cap` bytes (a bomb raises)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS if body[:2] == b"\x1f\x8b" else zlib.MAX_WBITS)
    out = d.decompress(body, cap + 1)
    if len(out) > cap:
        raise base.DecompressionBomb("content-encoding inflates past the document cap")
    return out


def _http_html(block: bytes, skip: SkipFn) -> str | None:
    """Text of an HTTP 200 text/html response block, or None (skipped with a reason)."""
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        skip("malformed_http")
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[1].isdigit():
        skip("malformed_http")
        return None
    if status[1] != "200":
        skip("not_http_200")
        return None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    ctype = headers.get("content-type", "")
    if "html" not in ctype.lower():
        skip("not_html")
        return None
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            # Archivers (pywb among them) often store the body already de-chunked but keep the header;
            # like warcio, fall back to the body as stored when it does not parse as chunks.
            body = _dechunk(body) or body
        if headers.get("content-encoding", "").lower() in ("gzip", "x-gzip", "deflate"):
            body = _inflate(body, base.MAX_DOC_BYTES)
    except base.DecompressionBomb:
        skip("decompression_bomb")
        return None
    except (zlib.error, gzip.BadGzipFile, EOFError):
        skip("truncated_or_corrupt_stream")
        return None
    charset = None
    if "charset=" in ctype.lower():
        charset = ctype.lower().split("charset=", 1)[1].split(";")[0].strip().strip("\"'")
    charset = charset or sniff_charset(body)
    if charset and charset.replace("-", "").replace("_", "") not in ("utf8",):
        try:
            codecs.lookup(charset)
            html = body.decode(charset, errors="replace")
        except LookupError:
            html = base.decode_utf8(body, skip)
    else:
        html = base.decode_utf8(body, skip)
    return None if html is None else html_to_text(html)


def _tail_complete(raw: BinaryIO, pos: int) -> bool:
    """Whether the gzip members from `pos` (the last record's start) to the end are all complete.

    FastWARC stops quietly, or returns a record with a short body, when a gzip stream is cut off; this
    re-inflates only the last record (discarding the output: constant memory) to tell a clean end
    from a truncated one."""
    raw.seek(pos)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while True:
        chunk = raw.read(1 << 20)
        if not chunk:
            return d.eof
        while chunk:
            if d.eof:  # next member
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                d.decompress(chunk, 1 << 20)
                while d.unconsumed_tail and not d.eof:  # bounded output per call
                    d.decompress(d.unconsumed_tail, 1 << 20)
            except zlib.error:
                return False
            chunk = d.unused_data if d.eof else b""


def read(path: str, skip: SkipFn, raw_body: bool = False, **_: object) -> Iterator[Document]:
    """Documents of a WET or WARC file. The text is the record's body with trailing whitespace removed;
    `raw_body` keeps the body exactly as stored (released cc_net's reader needs its line ends)."""
    origin = base.origin(path)
    inflated = 0
    last_pos = 0
    # The newest record is held back until the next one starts or the tail check passes: a record cut
    # off inside its headers looks whole to FastWARC (a short Content-Length), and must not be yielded.
    pending: tuple[int, dict[str, str], bytes] | None = None
    with base.open_raw(path) as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        records = iter(ArchiveIterator(raw, parse_http=False))
        while True:
            try:
                rec = next(records)
            except StopIteration:
                break
            except base.STREAM_ERRORS as exc:
                # the damage is past the held record, whose block was read whole: it is good
                if pending is not None and (doc := _document(*pending, skip, origin, raw_body)) is not None:
                    yield doc
                skip(base.stream_error_reason(exc))
                return
            if pending is not None:
                doc = _document(*pending, skip, origin, raw_body)
                pending = None
                if doc is not None:
                    yield doc
            last_pos = rec.stream_pos
            length = rec.content_length
            inflated += length
            if inflated > base.MAX_DECOMPRESSED_BYTES:
                skip("decompression_bomb")
                return
            rtype = int(rec.record_type)
            if not rtype & RECORD_TYPES:
                continue
            if base.too_big(length, skip):
                continue
            try:
                block = rec.reader.read()
            except base.STREAM_ERRORS as exc:
                skip(base.stream_error_reason(exc))
                return
            headers = dict(rec.headers.items())  # one call: HeaderMap.get costs as much per key
            if "Content-Length" not in headers or len(block) < length:  # the stream ended in this record
                skip("truncated_or_corrupt_stream")
                return
            pending = (rtype, headers, block)
        if gzipped and not _tail_complete(raw, last_pos):
            skip("truncated_or_corrupt_stream")
            return
    if pending is not None:
        doc = _document(*pending, skip, origin, raw_body)
        if doc is not None:
            yield doc


def _document(
    rtype: int, h: dict[str, str], block: bytes, skip: SkipFn, origin: str, raw_body: bool = False
) -> Document | None:
    if rtype == CONVERSION:
        text = base.decode_utf8(block, skip)
    else:
        text = _http_html(block, skip)
    if text is None:
        return None
    if not raw_body:
        text = text.rstrip()
    if base.is_blank(text, skip):
        return None
    url = h.get("WARC-Target-URI") or ""
    digest = h.get("WARC-Block-Digest") or h.get("WARC-Payload-Digest") or ""
    doc_id = _record_id(h.get("WARC-Record-ID")) or stable_id(url, digest)
    return Document(
        id=doc_id,
        source="common_crawl",
        text=text,
        meta={
            Meta.URL: url,
            Meta.TIMESTAMP: h.get("WARC-Date") or "",
            Meta.DIGEST: digest,
            Meta.ORIGIN: origin,
        },
    )
