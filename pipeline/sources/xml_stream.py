"""Streaming, entity-safe XML records for the Wikipedia and StackExchange readers.

Built on the stdlib expat parser directly rather than ElementTree.iterparse: expat streams, detects UTF-8
and UTF-16 from the BOM / XML declaration (one real sample dump needs it), and lets us vet every
declaration it sees. Memory stays constant: bytes are fed in chunks, and only the fields asked for of
the record being read are kept.

DTDs (docs/damaged_inputs.md, "MediaWiki XML and StackExchange Posts.xml"). Expat expands the internal
entities of a DOCTYPE by itself (billion laughs), whatever handlers are set, and a reference in an
attribute value to an entity it has not read is dropped without a word. So expat never sees the file's
DOCTYPE: `_scan_prolog` reads the prolog (everything before the root element) itself and replaces the
DOCTYPE with one of its own, in which every entity name the original declares is an internal entity
whose whole replacement text is one U+FDD0 (a Unicode noncharacter) and nothing else: no external id,
no parameter entity, no attribute list. A page that references an entity then holds U+FDD0 where the
reference was, in its text or in an attribute, and is skipped as `xml_entity_reference`; every other
page is read as usual. Expat's declaration handlers check that the only DOCTYPE and entities it meets
are those (else the file ends with `xml_entities`), so no entity value of the file is ever expanded and
nothing is ever fetched. A reference to a name declared nowhere we could read stays what XML says it is,
a fatal error (`malformed_xml`, ending the file after the records before it).

Caps, each an argument of `iter_records` (and a reader option), each hit counted:
- `max_depth` (MAX_DEPTH): a record with an element nested deeper is skipped as `xml_too_deep`; expat
  holds about 125 bytes per open element, so past HARD_DEPTH_FACTOR x max_depth the file ends there.
- `max_text_chars` (base.MAX_DOC_BYTES): a wanted field's text is not held past this; the record is
  marked `oversized` (the reader skips it). Text is streamed, so a giant text node costs no memory.
- `max_markup_bytes` (2 x max_text_chars): expat holds a whole tag (with its attributes), comment or
  processing instruction in memory until its end, and rescans it on every chunk. Past this many bytes
  the token is cut out of the stream: its record is skipped as `xml_markup_too_large` and parsing goes
  on after it with a fresh parser (an element whose name alone is that long stands open as PLACEHOLDER
  until its end tag, cut too). The cap is checked between reads, so a token up to one read (1 to 4 MiB)
  longer may pass whole; it is never below CHUNK. The prolog (with its DOCTYPE) has the same cap.
"""

from __future__ import annotations

import codecs
import dataclasses
import html.entities
import re
from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.parsers import expat

from pipeline.sources import base
from pipeline.sources.base import SkipFn

CHUNK = 1 << 20
MAX_DEPTH = 64
HARD_DEPTH_FACTOR = 1000

# skip reasons
MALFORMED = "malformed_xml"
ENTITY_REFERENCE = "xml_entity_reference"
TOO_DEEP = "xml_too_deep"
MARKUP_TOO_LARGE = "xml_markup_too_large"
REFUSED = "xml_entities"

# What a reference to any entity of the file's DTD becomes. A noncharacter: Unicode reserves it for a
# program's internal use, so real text does not carry it (if some does, only that record is skipped).
SENTINEL = "\ufdd0"
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
# The entities of the XHTML 1.x DTDs (HTML 4's set), the external DTD most XML files that name one use.
# Declared as sentinels when the DOCTYPE points outside itself, so a page using `&nbsp;` is skipped alone.
_XHTML_NAMES = frozenset(html.entities.name2codepoint) - _PREDEFINED


class _Refused(Exception):
    """Expat met a declaration that is not one of ours: the file is refused from here on."""


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _NeedMore(Exception):
    def __init__(self, in_doctype: bool = False) -> None:
        super().__init__()
        self.in_doctype = in_doctype


@dataclasses.dataclass
class Record:
    attrs: dict[str, str]
    # relative path inside the record ("title", "revision/text") -> text of its first occurrence
    fields: dict[str, str]
    # relative paths seen (with their attributes), e.g. "redirect"
    present: set[str]
    oversized: bool = False
    skip: str | None = None  # set when the record is dropped by iter_records itself


@dataclasses.dataclass
class Header:
    path: str  # absolute path from the root, e.g. "mediawiki/siteinfo/dbname"
    text: str
    # the element's attributes, e.g. {"key": "6"} of a <siteinfo><namespaces><namespace>
    attrs: dict[str, str] = dataclasses.field(default_factory=dict)


def _has_sentinel(attrs: dict[str, str]) -> bool:
    return any(SENTINEL in v for v in attrs.values())


class _Builder:
    def __init__(
        self,
        record_tag: str,
        fields: set[str],
        headers: set[str],
        skip: SkipFn,
        max_depth: int,
        max_text: int,
    ) -> None:
        self.record_tag = record_tag
        self.fields = fields
        self.headers = headers
        self.skip = skip
        self.max_depth = max_depth
        self.hard_depth = max_depth * HARD_DEPTH_FACTOR
        self.max_text = max_text
        self.entity_mode = False  # the file declared entities: look for the sentinel
        self.stack: list[str] = []
        self.rec_depth = -1  # stack depth of the open record element, -1 when outside one
        self.rec: Record | None = None
        self.text: list[str] | None = None  # collecting text of the current wanted element
        self.text_len = 0
        self.text_key = ""
        self.text_depth = -1  # stack depth of the element whose text is being collected
        self.text_bad = False  # a header's text held the sentinel
        self.text_attrs: dict[str, str] = {}  # attributes of the header element being collected
        self.out: list[Record | Header] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        stack = self.stack
        stack.append(name)
        rec = self.rec
        if rec is not None:  # the common case first: an element inside a record
            if len(stack) > self.max_depth:
                self._deep(rec, len(stack))
                return
            rel = "/".join(stack[self.rec_depth :])
            rec.present.add(rel)
            if rel in self.fields and self.text is None and rel not in rec.fields:
                self.text, self.text_len, self.text_key, self.text_depth = [], 0, rel, len(stack)
            return
        depth = len(stack)
        if name == self.record_tag:
            rec = self.rec = Record(attrs, {}, set())
            self.rec_depth = depth
            if depth > self.max_depth:
                self._deep(rec, depth)
            return
        if depth > self.max_depth:
            self._deep(None, depth)
            return
        path = "/".join(stack)
        if path in self.headers and self.text is None:
            self.text, self.text_len, self.text_key, self.text_bad = [], 0, path, False
            self.text_depth, self.text_attrs = depth, attrs

    def start_checked(self, name: str, attrs: dict[str, str]) -> None:
        """start() for a file with entities: a sentinel in an attribute of a record skips the record."""
        self.start(name, attrs)
        rec = self.rec
        if rec is not None and attrs and rec.skip is None and _has_sentinel(attrs):
            rec.skip = ENTITY_REFERENCE
        elif rec is None and self.text is not None and self.text_depth == len(self.stack) and _has_sentinel(attrs):
            self.text_bad = True  # a header whose attributes reference an entity is skipped like its text

    def _deep(self, rec: Record | None, depth: int) -> None:
        if depth > self.hard_depth:
            if rec is not None:  # counted once, with the file's end
                self.rec, self.rec_depth = None, -1
            raise _Stop(TOO_DEEP)
        if rec is not None:
            rec.skip = rec.skip or TOO_DEEP

    def chars(self, data: str) -> None:
        if self.text is None:
            return
        self.text_len += len(data)
        if self.text_len > self.max_text:
            if self.rec is not None:
                self.rec.oversized = True
            self.text = []  # stop holding it; the record will be skipped as oversized
            return
        self.text.append(data)

    def chars_checked(self, data: str) -> None:
        """chars() for a file with entities: a sentinel in a record's text skips the record."""
        if SENTINEL in data:
            if self.rec is not None:
                self.rec.skip = self.rec.skip or ENTITY_REFERENCE
            elif self.text is not None:
                self.text_bad = True
        self.chars(data)

    def end(self, name: str) -> None:
        depth = len(self.stack)
        if self.text is not None and depth == self.text_depth:  # the wanted element ends
            if self.rec is not None:
                self.rec.fields[self.text_key] = "".join(self.text)
            elif self.text_bad:
                self.skip(ENTITY_REFERENCE)
            else:
                self.out.append(Header(self.text_key, "".join(self.text), dict(self.text_attrs)))
            self.text = None
        if self.rec is not None and depth == self.rec_depth:
            if self.rec.skip is None:
                self.out.append(self.rec)
            else:
                self.skip(self.rec.skip)
            self.rec, self.rec_depth = None, -1
        self.stack.pop()

    def cut(self, kind: str, name: str | None, self_closing: bool) -> None:
        """A token too large for expat was cut out of the stream: account for it as expat would have.
        An element whose name was too long to keep stands open as PLACEHOLDER until its (as long, so
        also cut) end tag."""
        name = name or PLACEHOLDER
        if kind == "start":
            self.start(name, {})
        if self.rec is not None:
            self.rec.skip = self.rec.skip or MARKUP_TOO_LARGE
        else:
            self.skip(MARKUP_TOO_LARGE)
        if kind == "end" or (kind == "start" and self_closing):
            if not self.stack or self.stack[-1] != name:
                raise _Stop(MALFORMED)
            self.end(name)


# ---------------------------------------------------------------------------------------------------
# Encodings: markup is scanned in a byte-transparent codec (latin-1 for every ASCII-compatible
# encoding, so one character is one byte) or in UTF-16 code units.


@dataclasses.dataclass
class _Enc:
    scan: str  # codec the prolog and cut tokens are scanned with
    unit: int  # bytes per code unit: 1, or 2 for UTF-16
    bom: bytes
    real: str | None = None  # codec of the document's text (for names we write back); None if unknown
    head: bytes = b""  # BOM + XML declaration + our DOCTYPE: how a fresh parser starts

    def enc(self, s: str) -> bytes:
        return s.encode(self.scan, "surrogatepass")


def _detect(head: bytes) -> _Enc:
    if head.startswith(codecs.BOM_UTF8):
        return _Enc("latin-1", 1, codecs.BOM_UTF8)
    if head.startswith(codecs.BOM_UTF16_LE):
        return _Enc("utf-16-le", 2, codecs.BOM_UTF16_LE, "utf-16-le")
    if head.startswith(codecs.BOM_UTF16_BE):
        return _Enc("utf-16-be", 2, codecs.BOM_UTF16_BE, "utf-16-be")
    if head.startswith(b"<\x00?\x00"):
        return _Enc("utf-16-le", 2, b"", "utf-16-le")
    if head.startswith(b"\x00<\x00?"):
        return _Enc("utf-16-be", 2, b"", "utf-16-be")
    return _Enc("latin-1", 1, b"")


# ---------------------------------------------------------------------------------------------------
# The prolog: XMLDecl? Misc* (doctypedecl Misc*)? and then the root element's "<".

_WS = re.compile(r"[ \t\r\n]*")
_DECL_ENCODING = re.compile(r"""\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_DOCTYPE_SPECIAL = re.compile(r"""["'>\[]""")
_QUOTE_OR_GT = re.compile(r"""["'>]""")
_CLOSE = re.compile(r"[ \t\r\n]*>")
_NAME = r"""[^\s"'<>%&;\[\]()|,]+"""
_ENTITY_DECL = re.compile(r"<!ENTITY\s+(%\s+)?(" + _NAME + r")(.*)>\Z", re.S)
_NESTED_DECL = re.compile(r"<!ENTITY\s+(" + _NAME + ")")
_CHAR_REF = re.compile(r"&#(?:([0-9]{1,7})|x([0-9a-fA-F]{1,6}));")


@dataclasses.dataclass
class _Prolog:
    root: int = 0  # where the root element starts
    decl_end: int = 0  # end of the XML declaration, 0 if none
    encoding: str | None = None  # declared encoding
    doctype: tuple[int, int] | None = None  # span of the DOCTYPE
    doctype_name: str = ""
    entities: set[str] = dataclasses.field(default_factory=set)
    external: bool = False  # external DTD subset or parameter entity references: names we cannot know


def _char_ref(m: re.Match[str]) -> str:
    n = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    return chr(n) if 0 < n < 0x110000 else m.group()


def _names_in_pe_value(text: str) -> set[str]:
    """General entities an internal parameter entity would declare if referenced (char refs undone)."""
    names: set[str] = set()
    for _ in range(4):
        names.update(_NESTED_DECL.findall(text))
        decoded = _CHAR_REF.sub(_char_ref, text)
        if decoded == text:
            break
        text = decoded
    return names


def _decl_end(s: str, i: int) -> int:
    """End of a markup declaration starting before i: the first '>' outside quotes."""
    while True:
        m = _QUOTE_OR_GT.search(s, i)
        if m is None:
            raise _NeedMore(True)
        if m.group() == ">":
            return m.end()
        k = s.find(m.group(), m.end())
        if k < 0:
            raise _NeedMore(True)
        i = k + 1


def _entity_decl(decl: str, p: _Prolog) -> None:
    m = _ENTITY_DECL.match(decl)
    if m is None:
        return  # ELEMENT, ATTLIST, NOTATION, or a broken declaration: dropped
    is_pe, name, rest = m.groups()
    if is_pe:
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            p.entities.update(_names_in_pe_value(rest))
        else:
            p.external = True
    else:
        p.entities.add(name)


def _scan_subset(s: str, i: int, p: _Prolog) -> int:
    n = len(s)
    while True:
        i = _WS.match(s, i).end()
        if i >= n:
            raise _NeedMore(True)
        if s[i] == "]":
            return i + 1
        if s.startswith("<!--", i):
            e = s.find("-->", i + 4)
            if e < 0:
                raise _NeedMore(True)
            i = e + 3
        elif s.startswith("<?", i):
            e = s.find("?>", i + 2)
            if e < 0:
                raise _NeedMore(True)
            i = e + 2
        elif s.startswith("<!", i):
            e = _decl_end(s, i + 2)
            _entity_decl(s[i:e], p)
            i = e
        elif s[i] == "%":
            e = s.find(";", i)
            if e < 0:
                raise _NeedMore(True)
            p.external = True  # a parameter entity reference: it could declare anything
            i = e + 1
        elif s[i] == "<" and i + 1 == n:
            raise _NeedMore(True)
        else:
            raise _Stop(MALFORMED)


def _scan_doctype(s: str, i: int, p: _Prolog) -> int:
    while True:
        m = _DOCTYPE_SPECIAL.search(s, i)
        if m is None:
            raise _NeedMore(True)
        if not p.doctype_name:
            words = s[i : m.start()].split()
            p.doctype_name = words[0] if words else ""
        c = m.group()
        if c == ">":
            return m.end()
        if c == "[":
            i = _scan_subset(s, m.end(), p)
            close = _CLOSE.match(s, i)
            if close is None:
                if s[i:].isspace() or i == len(s):
                    raise _NeedMore(True)
                raise _Stop(MALFORMED)
            return close.end()
        k = s.find(c, m.end())  # a system or public id
        if k < 0:
            raise _NeedMore(True)
        p.external = True
        i = k + 1


def _scan_prolog(s: str) -> _Prolog:
    p = _Prolog()
    pos = 0
    n = len(s)
    if s.startswith("<?xml"):
        e = s.find("?>")
        if e < 0:
            raise _NeedMore
        m = _DECL_ENCODING.search(s, 0, e)
        p.encoding = m.group(1) if m else None
        pos = p.decl_end = e + 2
    while True:
        pos = _WS.match(s, pos).end()
        if pos >= n:
            raise _NeedMore
        if s.startswith("<!--", pos):
            e = s.find("-->", pos + 4)
            if e < 0:
                raise _NeedMore
            pos = e + 3
        elif s.startswith("<?", pos):
            e = s.find("?>", pos + 2)
            if e < 0:
                raise _NeedMore
            pos = e + 2
        elif s.startswith("<!DOCTYPE", pos):
            if p.doctype is not None:
                raise _Stop(MALFORMED)
            end = _scan_doctype(s, pos + 9, p)
            p.doctype = (pos, end)
            pos = end
        elif n - pos < 9 and ("<!DOCTYPE".startswith(s[pos:]) or "<!--".startswith(s[pos:])):
            raise _NeedMore
        else:
            p.root = pos  # the root element, or something expat will report as malformed
            return p


def _synthetic_doctype(p: _Prolog, enc: _Enc) -> tuple[str, frozenset[str]]:
    """Our DOCTYPE for the file's entity names (in the scan codec) and those names as expat reports them."""
    names = {n for n in p.entities if n not in _PREDEFINED}
    if p.external:
        names |= _XHTML_NAMES
    if not names:
        return "", frozenset()
    real: set[str] = set()
    kept = []
    for n in sorted(names):
        try:
            r = n.encode(enc.scan, "surrogatepass").decode(enc.real or "ascii")
        except (UnicodeError, LookupError):
            continue  # a name we cannot write back: left undeclared (a reference to it is fatal)
        kept.append(n)
        real.add(r)
    root = p.doctype_name if re.fullmatch(_NAME, p.doctype_name or "") else "x"
    decls = "".join(f'<!ENTITY {n} "&#x{ord(SENTINEL):X};">' for n in kept)
    return f"<!DOCTYPE {root} [{decls}]>", frozenset(real)


class _Source:
    """The decompressed stream, one read at a time (read1: bytes inflated before a damaged block are
    parsed rather than lost with the exception), with push-back."""

    def __init__(self, stream: BinaryIO) -> None:
        self._read = getattr(stream, "read1", stream.read)
        self._back: list[bytes] = []

    def read(self, n: int) -> bytes:
        if self._back:
            return self._back.pop()
        return self._read(n)

    def unget(self, data: bytes) -> None:
        if data:
            self._back.append(data)


def _read_prolog(src: _Source, cap: int) -> tuple[bytes, _Enc, frozenset[str]]:
    """The first bytes to give expat (the prolog with our DOCTYPE in place of the file's), the encoding,
    and the entity names declared to expat."""
    buf = b""
    while True:
        data = src.read(max(CHUNK, len(buf)))
        buf += data
        if len(buf) < 4 and data:
            continue
        enc = _detect(buf)
        body = buf[len(enc.bom) :]
        body = body[: len(body) - len(body) % enc.unit]
        limit = 1 << 16
        while True:
            s = body[: limit * enc.unit].decode(enc.scan, "surrogatepass")
            try:
                p = _scan_prolog(s)
                break
            except _NeedMore as more:
                if limit * enc.unit < len(body):
                    limit *= 4
                    continue
                if not data:  # end of file inside the prolog
                    if more.in_doctype:
                        raise _Stop(MALFORMED) from None
                    return buf, enc, frozenset()  # nothing to vet: expat reports what is wrong
                if len(buf) > cap:
                    raise _Stop(MARKUP_TOO_LARGE) from None
                p = None
                break
        if p is None:
            continue
        if enc.unit == 1:
            try:
                enc.real = codecs.lookup(p.encoding).name if p.encoding else "utf-8"
            except LookupError:
                enc.real = None
        off = len(enc.bom)
        decl_end = off + len(enc.enc(s[: p.decl_end]))  # byte offsets of what the scan found
        if p.doctype is None:
            enc.head = buf[:decl_end]
            return buf, enc, frozenset()
        doctype, names = _synthetic_doctype(p, enc)
        start = off + len(enc.enc(s[: p.doctype[0]]))
        end = off + len(enc.enc(s[: p.doctype[1]]))
        enc.head = buf[:decl_end] + enc.enc(doctype)
        return buf[:start] + enc.enc(doctype) + buf[end:], enc, names


# ---------------------------------------------------------------------------------------------------
# Cutting a token expat would hold whole (a giant tag, comment, processing instruction) out of the stream


def _run_pattern(enc: _Enc, stops: bytes) -> re.Pattern[bytes]:
    """Matches code units up to (not including) the first one that is an ASCII char of `stops`."""
    cls = re.escape(stops).decode("latin-1")
    if enc.unit == 1:
        return re.compile(f"[^{cls}]*".encode("latin-1"))
    if enc.scan == "utf-16-le":
        return re.compile(f"(?:[^{cls}].|[{cls}][^\\x00])*".encode("latin-1"), re.S)
    return re.compile(f"(?:[^\\x00].|\\x00[^{cls}])*".encode("latin-1"), re.S)


class _Window:
    """Bytes of a cut token being scanned, from an aligned offset, refilled from the source."""

    def __init__(self, src: _Source, unit: int) -> None:
        self.w = b""
        self.src = src
        self.unit = unit

    def more(self, pos: int) -> int:
        """Drop what lies before the aligned offset pos, read more; returns pos in the new window."""
        cut = pos - pos % self.unit
        data = self.src.read(CHUNK)
        if not data:
            raise _Stop(MARKUP_TOO_LARGE)  # the file ends inside the giant token
        self.w = self.w[cut:] + data
        return pos - cut

    def fill(self, n: int) -> None:
        while len(self.w) < n:
            data = self.src.read(CHUNK)
            if not data:
                return
            self.w += data

    def find(self, pat: bytes, pos: int) -> int:
        """Aligned offset of the end of pat at or after pos, reading as needed."""
        u = self.unit
        while True:
            i = self.w.find(pat, pos)
            while u > 1 and i >= 0 and i % u:
                i = self.w.find(pat, i + 1)
            if i >= 0:
                return i + len(pat)
            full = len(self.w) - len(self.w) % u
            pos = self.more(max(pos, full - len(pat) + u))


MAX_NAME_BYTES = 1 << 16  # a cut element with a longer name is reopened as PLACEHOLDER
PLACEHOLDER = "xml-stream-cut"


def _skip_token(src: _Source, enc: _Enc) -> tuple[str, str | None, bool, bytes]:
    """The source is at a token expat would hold whole. Reads past it; returns (kind, element name or
    None for a name over MAX_NAME_BYTES, self-closing, the bytes read after the token)."""
    e = enc.enc
    u = enc.unit
    win = _Window(src, u)
    win.fill(16 * u)
    data = win.w
    for kind, opener, closer in (("comment", "<!--", "-->"), ("pi", "<?", "?>"), ("ref", "&", ";")):
        if data.startswith(e(opener)):
            end = win.find(e(closer), len(e(opener)))
            return kind, "", False, win.w[end:]
    if data.startswith(e("<!")) or not data.startswith(e("<")) or enc.real is None:
        raise _Stop(MARKUP_TOO_LARGE)  # (no such token is held: CDATA and text are streamed)
    kind = "end" if data.startswith(e("</")) else "start"
    pos = u * (2 if kind == "end" else 1)
    name_run = _run_pattern(enc, b" \t\r\n/>")
    win.fill(MAX_NAME_BYTES)
    name_end = name_run.match(win.w, pos).end()
    name: str | None = None
    if name_end + u <= len(win.w) and name_end - pos <= MAX_NAME_BYTES:
        try:
            name = win.w[pos:name_end].decode(enc.real)
        except UnicodeError:
            raise _Stop(MALFORMED) from None
    while name_end + u > len(win.w):  # a giant name: read past it; the element becomes a placeholder
        pos = win.more(name_end)
        name_end = name_run.match(win.w, pos).end()
    run = _run_pattern(enc, b"\"'>")
    gt, slash = e(">"), e("/")
    pos = name_end
    while True:
        end = run.match(win.w, pos).end()
        if end + u > len(win.w):
            pos = win.more(max(pos, end - u))  # keep one unit before: it may be the "/" of "/>"
            continue
        c = win.w[end : end + u]
        if c == gt:
            return kind, name, win.w[end - u : end] == slash, win.w[end + u :]
        pos = win.find(c, end + u)


# ---------------------------------------------------------------------------------------------------


def _refuse(*_args: object) -> None:
    raise _Refused()


class _Parser:
    """One expat parser, vetted, with the bytes it has not consumed yet kept for a cut."""

    def __init__(self, b: _Builder, allowed: frozenset[str], prefix: bytes) -> None:
        p = self.p = expat.ParserCreate()
        p.buffer_text = True
        p.buffer_size = 1 << 16
        # Never read an external DTD subset or parameter entity; no foreign DTD.
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.UseForeignDTD(False)
        doctypes = [0]

        def doctype(_name: str, sysid: str | None, pubid: str | None, _internal: int) -> None:
            doctypes[0] += 1
            if sysid is not None or pubid is not None or doctypes[0] > 1 or not allowed:
                raise _Refused()

        def entity(name: str, is_pe: int, value: str | None, _base, sysid, pubid, notation) -> None:  # noqa: ANN001
            if is_pe or value != SENTINEL or sysid or pubid or notation or name not in allowed:
                raise _Refused()

        p.StartDoctypeDeclHandler = doctype
        p.EntityDeclHandler = entity
        p.UnparsedEntityDeclHandler = _refuse
        p.AttlistDeclHandler = _refuse
        p.NotationDeclHandler = _refuse
        p.ExternalEntityRefHandler = _refuse
        p.SkippedEntityHandler = _refuse
        if prefix:
            p.Parse(prefix, False)  # the open elements of the cut record's context, not reported again
        p.StartElementHandler = b.start_checked if allowed else b.start
        p.EndElementHandler = b.end
        p.CharacterDataHandler = b.chars_checked if allowed else b.chars
        self.fed = len(prefix)
        self.held: list[bytes] = []
        self.held_len = 0

    def feed(self, data: bytes) -> int:
        """Parse data; returns how many bytes expat holds unparsed (a token not finished yet)."""
        self.p.Parse(data, not data)
        self.fed += len(data)
        # (mod 2**32: CurrentByteIndex goes through a C long, 32 bits on some platforms; what expat
        # holds is far below that)
        pending = (self.fed - self.p.CurrentByteIndex) & 0xFFFFFFFF
        if pending == 0 or not data:
            self.held, self.held_len = [], 0
            return 0
        self.held.append(data)
        self.held_len += len(data)
        while self.held_len - len(self.held[0]) >= pending:
            self.held_len -= len(self.held.pop(0))
        return pending

    def unparsed(self, pending: int) -> list[bytes]:
        """The last `pending` bytes fed, as pieces (the first one sliced)."""
        held = self.held
        return [held[0][self.held_len - pending :], *held[1:]]


CAP_OPTIONS = ("max_depth", "max_text_chars", "max_markup_bytes")


def cap_options(options: dict[str, Any]) -> dict[str, int]:
    """The caps among a reader's options (others are the reader's own, or another reader's)."""
    return {k: int(v) for k, v in options.items() if k in CAP_OPTIONS and v is not None}


def iter_records(
    stream: BinaryIO,
    skip: SkipFn,
    record_tag: str,
    fields: set[str] = frozenset(),
    headers: set[str] = frozenset(),
    *,
    max_depth: int | None = None,
    max_text_chars: int | None = None,
    max_markup_bytes: int | None = None,
) -> Iterator[Record | Header]:
    """Yield each `record_tag` element (with the wanted child texts) and wanted header texts, in
    document order. A record referencing an entity, nested too deep or holding a too large tag is
    skipped with its reason; bad XML ends the stream with `malformed_xml`, a damaged compressed stream
    with its reason: always after the records before it. Caps: see the module docstring."""
    max_depth = MAX_DEPTH if max_depth is None else max_depth
    max_text = base.MAX_DOC_BYTES if max_text_chars is None else max_text_chars
    max_markup = 2 * max_text + (1 << 16) if max_markup_bytes is None else max_markup_bytes
    max_markup = max(max_markup, CHUNK)  # below one read, a tag that happens to straddle two is cut
    b = _Builder(record_tag, set(fields), set(headers), skip, max_depth, max_text)
    src = _Source(stream)
    try:
        data, enc, allowed = _read_prolog(src, max_markup)
    except _Stop as stop:
        skip(stop.reason)
        return
    except base.STREAM_ERRORS as exc:
        skip(base.stream_error_reason(exc))
        return
    b.entity_mode = bool(allowed)
    parser = _Parser(b, allowed, b"")
    error: str | None = None
    while True:
        try:
            pending = parser.feed(data)
            if pending > max_markup:
                for piece in reversed(parser.unparsed(pending)):
                    src.unget(piece)
                parser = None  # let expat's buffer go before reading on
                kind, name, closing, rest = _skip_token(src, enc)
                b.cut(kind, name, closing)
                src.unget(rest)
                opened = "".join(f"<{n}>" for n in b.stack).encode(enc.real or "ascii")
                parser = _Parser(b, allowed, enc.head + opened)
                pending = 0
        except _Stop as stop:
            error = stop.reason
        except _Refused:
            error = REFUSED
        except expat.ExpatError:
            error = MALFORMED
        except base.STREAM_ERRORS as exc:
            error = base.stream_error_reason(exc)
        # records completed before any error are still good (docs/damaged_inputs.md)
        yield from b.out
        b.out.clear()
        if error is not None:
            skip(error)
            return
        if not data:
            return
        try:
            # a large unfinished token: read on in larger pieces, as expat rescans it once per piece
            data = src.read(max(CHUNK, min(pending, 4 * CHUNK)))
        except base.STREAM_ERRORS as exc:
            skip(base.stream_error_reason(exc))
            return
