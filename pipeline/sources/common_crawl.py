"""CommonCrawl reader: WET (`.warc.wet.gz`, the text CCNet starts from) and WARC (`.warc.gz`, HTML).

FastWARC parses the archive (it reads the per-record gzip members natively and is several times faster
than warcio). WET `conversion` records give the text directly; WARC `response` records are kept only
for HTTP 200 text/html: FastWARC's HTTP parser reads the head and undoes the transfer and content codings
(chunked; gzip, deflate, brotli, zstd), and the text is extracted with pipeline.sources.html_text.

Damaged input (docs/damaged_inputs.md, "CommonCrawl WET/WARC"). FastWARC reads good files alone; it
stops at the first damage (a wrong Content-Length, a corrupt or junk gzip member, garbage between
members), stops quietly at an empty member, returns a short body for a truncated one and caps nothing.
So every record is checked as it comes (block length against Content-Length, Content-Length against
the caps), and when something is wrong - or when FastWARC ends - a careful scan takes over from the
record in doubt: CommonCrawl writes one gzip member per record, so the scan inflates that record's
member alone (capped), judges the record (kept, or skipped under its reason), walks on member by member
(inflating each at most to the member cap, or skipping a bomb's compressed bytes unread) to the next
member that starts `WARC/1.`, and restarts FastWARC there. An uncompressed WARC resyncs the same way on
the next `WARC/1.0` line. A gzip file that is not one member per record is read by FastWARC alone and
stops at its first damage, as before.

Caps (each an option of `read`, each hit counted): a record's block over `max_record_bytes`
(MAX_DOC_BYTES) is `oversized`; a gzip member inflating past `max_member_bytes` (MAX_MEMBER_BYTES), or a
file past `max_decompressed_bytes` (MAX_DECOMPRESSED_BYTES, which ends the file), is
`decompression_bomb`. FastWARC itself skips blank lines between records without limit, so while it looks
for the next header it is fed at most _NEXT_RECORD_SLACK compressed bytes past its read-ahead; past
that the careful scan takes over (a gzip member of newlines costs FastWARC about 100 MB of them, < 2 s).
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Generator, Iterator
from typing import BinaryIO, NamedTuple

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from pipeline.document import Document, Meta, stable_id
from pipeline.sources import base
from pipeline.sources.base import SkipFn
from pipeline.sources.html_text import html_to_text, sniff_charset

# Plain ints: IntFlag arithmetic is slow in a per-record loop.
CONVERSION = int(WarcRecordType.conversion)
RESPONSE = int(WarcRecordType.response)
RECORD_TYPES = CONVERSION | RESPONSE
_TYPES_BY_NAME = {"conversion": CONVERSION, "response": RESPONSE}

# A gzip member that inflates past this is a bomb. CommonCrawl members hold one record of at most a few MB.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
_HEADER_CAP = 32 * 1024  # longest WARC header block (FastWARC's max_header_len)
_GZIP_MAGIC = b"\x1f\x8b\x08"
_READ_CHUNK = 64 * 1024  # compressed bytes handed to FastWARC per read (its own request size)
_NEXT_RECORD_SLACK = _HEADER_CAP + 8 * 1024  # compressed bytes FastWARC may read to find the next header


def _record_id(raw: str | None) -> str | None:
    if not raw:
        return None
    return raw.strip().lstrip("<").rstrip(">") or None


# A response block is handed to FastWARC's HTTP parser as a record of its own (the archive itself is read
# with parse_http=False: its damage checks need the block exactly as stored).
_HTTP_RECORD = (
    b"WARC/1.0\r\nWARC-Type: response\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n"
)


_X_GZIP = re.compile(rb"^(content-encoding:[ \t]*)x-gzip", re.IGNORECASE | re.MULTILINE)


class HttpBody(NamedTuple):
    payload: bytes  # transfer and content codings undone
    charset: str  # as the Content-Type header declares it, lower case ("" when none)


def _http_record(block: bytes, decode: str) -> WarcRecord:
    rec = WarcRecord.from_bytes(_HTTP_RECORD % len(block) + block)
    # the block is in memory already: a head of any length is read (FastWARC's default stops at 32 KB)
    rec.parse_http(auto_decode=decode, max_header_len=max(len(block), 1 << 15))
    return rec


def _payload(block: bytes, decode: str, cap: int) -> bytes:
    """The payload with FastWARC's `decode` ("transfer", "content", "all"), at most cap + 1 bytes."""
    return _http_record(block, decode).reader.read(cap + 1)


def http_body(block: bytes, skip: SkipFn, cap: int) -> HttpBody | None:
    """The decoded body of an HTTP 200 text/html response block, or None (skipped with a reason)."""
    try:
        rec = _http_record(block, "none")
    except OSError:  # not an HTTP head FastWARC can parse
        skip("malformed_http")
        return None
    http = rec.http_headers
    # FastWARC reads a head that never ends as all head and no body: that is not an HTTP message
    if http is None or http.status_code is None or b"\r\n\r\n" not in block:
        skip("malformed_http")
        return None
    if http.status_code != 200:
        skip("not_http_200")
        return None
    if "html" not in (rec.http_content_type or "").lower():
        skip("not_html")
        return None
    chunked = "chunked" in http.get("Transfer-Encoding", "").lower()
    coding = http.get("Content-Encoding", "").strip().lower()
    coded = coding not in ("", "identity")
    if coding == "x-gzip":  # gzip's old name (RFC 9110 8.4.1.3), which FastWARC does not know
        head, _, rest = block.partition(b"\r\n\r\n")
        block = _X_GZIP.sub(b"\\1gzip", head, 1) + b"\r\n\r\n" + rest
    try:
        raw = rec.reader.read(cap + 1)
        body = raw
        if chunked:
            try:
                body = _payload(block, "all" if coded else "transfer", cap)
            except OSError:
                # Archivers (pywb among them) often store the body already de-chunked but keep the
                # header: like warcio, fall back to the body as stored when it does not parse as chunks.
                body = _payload(block, "content", cap) if coded else raw
        elif coded:
            body = _payload(block, "content", cap)
    except OSError:  # a corrupt or unsupported content coding
        skip("truncated_or_corrupt_stream")
        return None
    if coded and raw.strip() and not body:  # FastWARC returns nothing for some corrupt gzip streams
        skip("truncated_or_corrupt_stream")
        return None
    if len(body) > cap:
        skip("decompression_bomb")
        return None
    return HttpBody(body, (rec.http_charset or "").strip("\"' "))


def _http_html(block: bytes, skip: SkipFn) -> str | None:
    """Text of an HTTP 200 text/html response block, or None (skipped with a reason)."""
    got = http_body(block, skip, base.MAX_DOC_BYTES)
    if got is None:
        return None
    body, charset = got
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


class _Stalled(Exception):
    """FastWARC read more than _NEXT_RECORD_SLACK compressed bytes looking for the next record."""


class _Guard:
    """The raw file as FastWARC reads it: at most _READ_CHUNK bytes a read, and, while `limit` is set
    (FastWARC is looking for the next record's header), never past `limit` (then it raises _Stalled)."""

    __slots__ = ("_raw", "limit")

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.limit: int | None = None

    def read(self, n: int = -1) -> bytes:
        if n < 0 or n > _READ_CHUNK:
            n = _READ_CHUNK
        if self.limit is not None:
            left = self.limit - self._raw.tell()
            if left <= 0:
                raise _Stalled
            n = min(n, left)
        return self._raw.read(n)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:  # the caller closes the raw file
        pass


class _Ctx:
    """One file's reading state: the file, the caps, the running total of inflated bytes."""

    def __init__(
        self,
        raw: BinaryIO,
        skip: SkipFn,
        origin: str,
        raw_body: bool,
        member_cap: int,
        record_cap: int,
        file_cap: int,
    ) -> None:
        self.raw = raw
        self.gzipped = raw.read(2) == b"\x1f\x8b"
        self.skip = skip
        self.origin = origin
        self.raw_body = raw_body
        self.member_cap = member_cap
        self.record_cap = record_cap
        self.file_cap = file_cap
        self.inflated = 0
        self.stopped = False

    def add_inflated(self, n: int) -> bool:
        """Count `n` more inflated bytes; False (and the file ends as `decompression_bomb`) past the cap."""
        self.inflated += n
        if self.inflated > self.file_cap:
            self.skip("decompression_bomb")
            self.stopped = True
            return False
        return True


# What the careful scan knows about the last record FastWARC returned:
_PENDING = 0  # read whole and held back (`pending`): kept if its member holds exactly it
_FRESH = 1  # not handled (or none returned): the scan reads it itself
_SKIPPED = 2  # a record type that is not read (warcinfo, request, metadata, ...): nothing to count
_COUNTED = 3  # already counted (`oversized`): not counted again

Pending = tuple[int, dict[str, str], bytes]


def read(
    path: str,
    skip: SkipFn,
    raw_body: bool = False,
    max_member_bytes: int | None = None,
    max_record_bytes: int | None = None,
    max_decompressed_bytes: int | None = None,
    **_: object,
) -> Iterator[Document]:
    """Documents of a WET or WARC file. The text is the record's body with trailing whitespace removed;
    `raw_body` keeps the body exactly as stored (released cc_net's reader needs its line ends).

    Damage costs the damaged record (or stretch of bytes) only: see the module docstring. The caps
    default to MAX_MEMBER_BYTES, base.MAX_DOC_BYTES and base.MAX_DECOMPRESSED_BYTES as they are at
    call time."""
    with base.open_raw(path) as raw:
        ctx = _Ctx(
            raw,
            skip,
            base.origin(path),
            raw_body,
            MAX_MEMBER_BYTES if max_member_bytes is None else max_member_bytes,
            base.MAX_DOC_BYTES if max_record_bytes is None else max_record_bytes,
            base.MAX_DECOMPRESSED_BYTES if max_decompressed_bytes is None else max_decompressed_bytes,
        )
        pos: int | None = 0
        while pos is not None and not ctx.stopped:
            pos = yield from _fast(ctx, pos)


def _fast(ctx: _Ctx, start: int) -> Generator[Document, None, int | None]:
    """FastWARC from offset `start` (a record's start) to its first doubt, then the careful scan.
    Returns where FastWARC is to restart, or None at the end of the file."""
    raw, skip = ctx.raw, ctx.skip
    raw.seek(start)
    guard = _Guard(raw)
    records = iter(ArchiveIterator(guard, parse_http=False))
    tell, member_cap, record_cap, file_cap = raw.tell, ctx.member_cap, ctx.record_cap, ctx.file_cap
    inflated = ctx.inflated
    # The newest record is held back until the next one starts or the careful scan has seen its member
    # whole: a record cut off inside its headers, or with a wrong Content-Length, looks whole to FastWARC.
    pending: Pending | None = None
    at, doubt = start, _FRESH  # the last record FastWARC returned, and what is known of it
    length = -1  # its Content-Length as FastWARC read it (-1: no record)
    stop: str | None = None  # why FastWARC was left before its end (for a file that cannot resync)
    while True:
        guard.limit = tell() + _NEXT_RECORD_SLACK
        try:
            rec = next(records)
        except StopIteration:
            break
        except (*base.STREAM_ERRORS, _Stalled) as exc:
            stop = "decompression_bomb" if isinstance(exc, _Stalled) else base.stream_error_reason(exc)
            break
        guard.limit = None
        if pending is not None:
            doc = _document(*pending, skip, ctx.origin, ctx.raw_body)
            pending = None
            if doc is not None:
                yield doc
        at, doubt = rec.stream_pos, _FRESH
        length = rec.content_length
        if length > member_cap:  # more than a member may inflate to: the scan judges it unread
            stop = "decompression_bomb"
            break
        inflated += length
        if inflated > file_cap:
            skip("decompression_bomb")
            ctx.stopped = True
            return None
        rtype = int(rec.record_type)
        try:
            if not rtype & RECORD_TYPES or length > record_cap:
                if rec.reader.consume() < length:  # the stream ends inside this record
                    stop = "truncated_or_corrupt_stream"
                    break
                if rtype & RECORD_TYPES:
                    skip("oversized")
                    doubt = _COUNTED
                else:
                    doubt = _SKIPPED
                continue
            block = rec.reader.read()
        except base.STREAM_ERRORS as exc:
            stop = base.stream_error_reason(exc)
            break
        headers = dict(rec.headers.items())  # one call: HeaderMap.get costs as much per key
        if "Content-Length" not in headers or len(block) < length:
            stop = "truncated_or_corrupt_stream"
            break
        pending, doubt = (rtype, headers, block), _PENDING
    guard.limit = None
    ctx.inflated = inflated
    if ctx.gzipped:
        raw.seek(at)
        if raw.read(3) != _GZIP_MAGIC:  # not one gzip member per record
            yield from _stop_or_end(ctx, start, pending, stop)
            return None
        return (yield from _scan_gzip(ctx, start, at, doubt, pending, stop, length))
    return (yield from _scan_plain(ctx, at, doubt, pending))


def _stop_or_end(ctx: _Ctx, start: int, pending: Pending | None, stop: str | None) -> Iterator[Document]:
    """A gzip file that is not one member per record: FastWARC's own end is the end (checked for a cut
    stream, from `start`), and its first damage (`stop`) ends the file, as in one gzip stream it must."""
    if stop is None and not _tail_complete(ctx.raw, start, ctx.file_cap):
        ctx.skip("truncated_or_corrupt_stream")
        return
    if pending is not None:
        yield from _one(pending, ctx)
    if stop is not None:
        ctx.skip(stop)


def _tail_complete(raw: BinaryIO, pos: int, cap: int) -> bool:
    """Whether the gzip members from `pos` to the end are all complete (and inflate to at most `cap`),
    inflating with constant memory."""
    raw.seek(pos)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total = 0
    while True:
        chunk = raw.read(1 << 20)
        if not chunk:
            return d.eof
        while chunk:
            if d.eof:  # next member
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                total += len(d.decompress(chunk, 1 << 20))
                while d.unconsumed_tail and not d.eof:  # bounded output per call
                    total += len(d.decompress(d.unconsumed_tail, 1 << 20))
            except zlib.error:
                return False
            if total > cap:
                return False
            chunk = d.unused_data if d.eof else b""


class _Member:
    """One gzip member inflated (capped): `status` ok / bomb / corrupt / truncated, its compressed `end`
    when ok, its inflated `size` (so far), the first bytes of its content (`head`), and for a bomb the
    compressed offset reached (`reached`)."""

    __slots__ = ("status", "end", "size", "head", "reached")

    def __init__(self, status: str, end: int, size: int, head: bytes, reached: int) -> None:
        self.status, self.end, self.size, self.head, self.reached = status, end, size, head, reached


def _inflate_member(raw: BinaryIO, start: int, cap: int, keep: int) -> _Member:
    """Inflate the gzip member at `start`, keeping its first `keep` bytes and counting the rest; stop
    past `cap` bytes (memory: `keep` plus 1 MB)."""
    raw.seek(start)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    kept: list[bytes] = []
    nkept = size = fed = 0
    while True:
        chunk = raw.read(1 << 16)
        if not chunk:
            return _Member("truncated", start + fed, size, b"".join(kept), start + fed)
        fed += len(chunk)
        while True:
            try:
                out = d.decompress(chunk, 1 << 20)
            except zlib.error:
                return _Member("corrupt", start + fed, size, b"".join(kept), start + fed)
            size += len(out)
            if nkept < keep and out:
                kept.append(out[: keep - nkept])
                nkept += len(kept[-1])
            if d.eof:
                end = start + fed - len(d.unused_data)
                return _Member("bomb" if size > cap else "ok", end, size, b"".join(kept), end)
            if size > cap:
                return _Member("bomb", start + fed, size, b"".join(kept), start + fed - len(d.unconsumed_tail))
            chunk = d.unconsumed_tail
            if not chunk:
                break


def _starts_record(raw: BinaryIO, pos: int) -> bool:
    """Whether a gzip member starting at `pos` begins with a WARC header (inflating a few bytes)."""
    raw.seek(pos)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = b""
    for _ in range(16):  # a gzip header with long optional fields: at most 16 x 4 KB of input
        chunk = raw.read(4096)
        if not chunk:
            break
        try:
            out += d.decompress(d.unconsumed_tail + chunk, 7 - len(out))
        except zlib.error:
            return False
        if len(out) >= 7 or d.eof:
            break
    return out.startswith(b"WARC/1.")


def _next_member(raw: BinaryIO, pos: int) -> int | None:
    """Offset of the next gzip member at or after `pos` that starts a WARC record, found in the
    compressed bytes (nothing is inflated but a few bytes of each candidate)."""
    step = 1 << 20
    while True:
        raw.seek(pos)
        buf = raw.read(step)
        i = buf.find(_GZIP_MAGIC)
        while i >= 0:
            if _starts_record(raw, pos + i):
                return pos + i
            i = buf.find(_GZIP_MAGIC, i + 1)
        if len(buf) < step:
            return None
        pos += len(buf) - len(_GZIP_MAGIC) + 1


def _parse_record(head: bytes) -> tuple[int, dict[str, str], int] | str:
    """(header length, headers, Content-Length) of the WARC record at the start of `head`, or the reason
    it is not one."""
    if not head.startswith(b"WARC/1."):
        return "truncated_or_corrupt_stream"
    hend = head.find(b"\r\n\r\n", 0, _HEADER_CAP)
    if hend < 0:
        return "malformed_warc_header"
    headers = {}
    for line in head[:hend].decode("utf-8", "replace").split("\r\n")[1:]:
        k, sep, v = line.partition(":")
        if sep:
            headers[k.strip()] = v.strip()
    length = headers.get("Content-Length", "")
    if not length.isdigit():
        return "malformed_warc_header"
    return hend + 4, headers, int(length)


def _judge(ctx: _Ctx, m: _Member, doubt: int, pending: Pending | None) -> Iterator[Document] | str | None:
    """The record in doubt, whose whole member is `m`: its documents if it is good, else the reason
    (None: an empty member, nothing to count; "multi": the member holds several records)."""
    if m.status == "bomb":
        return "decompression_bomb"
    if m.status != "ok":
        return "truncated_or_corrupt_stream"
    if m.size == 0 and doubt == _FRESH:
        return None
    parsed = _parse_record(m.head)
    if isinstance(parsed, str):
        return parsed
    hlen, headers, length = parsed
    want = hlen + length + 4
    if m.size != want:
        extra = m.head[want : want + 64]
        if m.size > want and extra.startswith(b"WARC/1."):
            return "multi"
        if not (m.size > want and m.size - want <= 64 and len(extra) == m.size - want and not extra.strip()):
            return "bad_content_length"  # blank lines after a record are harmless, anything else is not
    if len(m.head) >= want and m.head[want - 4 : want] != b"\r\n\r\n":
        return "bad_content_length"
    if doubt == _PENDING:
        assert pending is not None
        return _one(pending, ctx)
    if doubt != _FRESH:
        return iter(())
    rtype = _TYPES_BY_NAME.get(headers.get("WARC-Type", "").lower(), 0)
    if not rtype:
        return iter(())
    if length > ctx.record_cap or hlen + length > len(m.head):
        ctx.skip("oversized")
        return iter(())
    return _one((rtype, headers, m.head[hlen : hlen + length]), ctx)


def _one(rec: Pending, ctx: _Ctx) -> Iterator[Document]:
    doc = _document(*rec, ctx.skip, ctx.origin, ctx.raw_body)
    if doc is not None:
        yield doc


def _scan_gzip(
    ctx: _Ctx,
    start: int,
    at: int,
    doubt: int,
    pending: Pending | None,
    stop: str | None,
    length: int,
) -> Generator[Document, None, int | None]:
    """The careful scan of a gzip file from the member at `at` (the record in doubt, whose Content-Length
    FastWARC read as `length`): judge that record, then walk members to the next one that starts a
    record (returned: FastWARC restarts there)."""
    raw, skip = ctx.raw, ctx.skip
    keep = _HEADER_CAP + 64  # what of the member is held: the header, and the block if it may be kept
    if doubt == _PENDING:
        keep += length
    elif doubt == _FRESH and length <= ctx.record_cap:
        keep += ctx.record_cap
    m = _inflate_member(raw, at, ctx.member_cap, keep)
    if doubt == _FRESH and not ctx.add_inflated(m.size):  # a record already read was counted
        return None
    verdict = _judge(ctx, m, doubt, pending)
    if verdict == "multi":
        yield from _stop_or_end(ctx, start, pending, stop)
        return None
    stream_damage = False  # counted a run of damaged bytes: what follows it directly is the same run
    if isinstance(verdict, str):
        if doubt != _COUNTED:
            skip(verdict)
        stream_damage = verdict == "truncated_or_corrupt_stream"
    elif verdict is not None:
        yield from verdict
    pos = _after(raw, m, at)
    while pos is not None:
        raw.seek(pos)
        magic = raw.read(len(_GZIP_MAGIC))
        if not magic:
            return None
        if magic != _GZIP_MAGIC:  # garbage between members
            if not stream_damage:
                skip("truncated_or_corrupt_stream")
                stream_damage = True
            pos = _next_member(raw, pos + 1)
            continue
        if _starts_record(raw, pos):
            return pos
        m = _inflate_member(raw, pos, ctx.member_cap, 0)
        if not ctx.add_inflated(m.size):
            return None
        if m.status == "bomb":
            skip("decompression_bomb")
            stream_damage = False
        elif m.status != "ok" or m.size:  # a member that is no record: junk, corrupt or cut off
            if not stream_damage:
                skip("truncated_or_corrupt_stream")
                stream_damage = True
        pos = _after(raw, m, pos)
    return None


def _after(raw: BinaryIO, m: _Member, pos: int) -> int | None:
    """Where the walk goes on after member `m` at `pos`: its end, or the next record's member."""
    if m.status == "ok":
        return m.end
    if m.status == "bomb":
        return _next_member(raw, m.reached)
    if m.status == "corrupt":
        return _next_member(raw, pos + 1)
    return None  # truncated: the file ends inside it


def _next_warc_line(raw: BinaryIO, pos: int) -> int | None:
    """Offset of the next `WARC/1.0` (or 1.1) line at or after `pos` in an uncompressed file."""
    step = 1 << 20
    while True:
        base_pos = max(pos - 1, 0)
        raw.seek(base_pos)
        buf = raw.read(step)
        i = buf.find(b"\nWARC/1.", pos - base_pos - 1)
        while i >= 0:
            if buf[i + 8 : i + 11] in (b"0\r\n", b"1\r\n"):
                return base_pos + i + 1
            i = buf.find(b"\nWARC/1.", i + 1)
        if len(buf) < step:
            return None
        pos = base_pos + len(buf) - 10


def _scan_plain(ctx: _Ctx, at: int, doubt: int, pending: Pending | None) -> Generator[Document, None, int | None]:
    """The careful scan of an uncompressed WARC from the record in doubt at `at`: a record is good when
    `\\r\\n\\r\\n` follows its block; after a bad one, resync on the next `WARC/1.0` line."""
    raw, skip = ctx.raw, ctx.skip
    raw.seek(at)
    head = raw.read(_HEADER_CAP + 64)
    if not head or (doubt == _FRESH and not head.strip()):
        return None
    parsed = _parse_record(head)
    if parsed == "malformed_warc_header" and len(head) < _HEADER_CAP + 64 and b"\r\n\r\n" not in head:
        parsed = "truncated_or_corrupt_stream"  # the file ends inside the header
    elif not isinstance(parsed, str):
        hlen, headers, length = parsed
        raw.seek(at + hlen + length)
        tail = raw.read(4)
        if tail != b"\r\n\r\n":  # the block does not end where Content-Length says, or the file ends first
            parsed = "bad_content_length" if len(tail) == 4 else "truncated_or_corrupt_stream"
    if isinstance(parsed, str):
        if doubt != _COUNTED:
            skip(parsed)
        pos = _next_warc_line(raw, at + 1)
        stream_damage = parsed == "truncated_or_corrupt_stream"
    else:
        hlen, headers, length = parsed
        if doubt == _PENDING:
            assert pending is not None
            yield from _one(pending, ctx)
        elif doubt == _FRESH and (rtype := _TYPES_BY_NAME.get(headers.get("WARC-Type", "").lower(), 0)):
            if length > ctx.record_cap:
                skip("oversized")
            else:
                raw.seek(at + hlen)
                yield from _one((rtype, headers, raw.read(length)), ctx)
        pos = at + hlen + length + 4
        stream_damage = False
    while pos is not None:
        raw.seek(pos)
        head = raw.read(4096)
        if not head:
            return None
        body = head.lstrip(b"\r\n")  # blank lines between records are harmless
        pos += len(head) - len(body)
        if not body:
            continue
        if body.startswith(b"WARC/1."):
            return pos
        if not stream_damage:
            skip("truncated_or_corrupt_stream")
            stream_damage = True
        pos = _next_warc_line(raw, pos + 1)
    return None


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
