"""ArXiv reader: a paper's LaTeX source as `.tex`, or the per-paper archive arXiv serves (`.tar`,
`.tar.gz`/`.tgz`, or `.gz`, which is either one gzipped .tex or a gzipped tar: detected by content).

Archive members are read in memory from a streaming tar, never extracted to disk by name; members with
absolute or `..` paths are refused (`unsafe_tar_member`), as are links and devices. The main file is the
one with `\\documentclass`; its `\\input`/`\\include` of files in the same archive are inlined. One
Document per paper with the assembled source; the arxiv filter does the cleaning.

Bounded work per paper: the archive inflates to at most `max_decompressed_bytes` (MAX_PAPER_BYTES, or
base.MAX_DECOMPRESSED_BYTES where lower), holds at most `max_members` members (MAX_MEMBERS), a TeX member
at most `max_member_bytes` (base.MAX_ARCHIVE_MEMBER_BYTES), a pax or GNU long-name header at most
MAX_TAR_HEADER_BYTES, the TeX members together and the assembled source at most base.MAX_DOC_BYTES, and
at most MAX_INLINES inlined files. A damaged tar (bad header, bad size, cut short, no end-of-archive
blocks) drops the paper as `truncated_or_corrupt_stream`.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import re
import tarfile
from collections.abc import Iterator
from typing import BinaryIO

from pipeline.document import Document, Meta
from pipeline.sources import base
from pipeline.sources.base import SkipFn

TEX_EXTS = (".tex", ".ltx", ".latex")
MAX_INCLUDE_DEPTH = 8
MAX_PAPER_BYTES = 1 << 30  # inflated bytes of one paper's archive (arXiv takes 50 MB submissions)
MAX_MEMBERS = 100_000  # tar members of one paper, of any kind
MAX_TAR_HEADER_BYTES = 1 << 20  # a pax extended header or GNU long name/link is read whole by tarfile
MAX_INLINES = 10_000  # \input/\include expansions while assembling one paper
_MAIN = re.compile(r"^[^%\n]*\\document(class|style)\b", re.MULTILINE)
# Bounded repetitions and no `\s*\s+`: linear time on hostile text (a run of spaces, an unclosed brace).
_INCLUDE = re.compile(r"\\(?:input|include)(?:\s*\{([^}\n]{0,1024})\}|\s+([^\s{}\\%]+))")
_TITLE = re.compile(r"\\title\s*(?:\[[^\]]{0,4096}\]\s*)?\{")
TITLE_CHARS = 4096  # a \title{...} not closed within this many characters has no title
_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".gz", ".tex", ".ltx", ".latex")


def paper_stem(path: str) -> str:
    name = base.origin(path)
    stripped = True
    while stripped:  # `x.tex.gz` -> `x`
        stripped = False
        for s in _SUFFIXES:
            if name.lower().endswith(s) and len(name) > len(s):
                name, stripped = name[: -len(s)], True
                break
    return name


def unsafe_name(name: str) -> bool:
    return name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) is not None or ".." in re.split(r"[/\\]", name)


def _open(path: str, cap: int) -> BinaryIO:
    if path.lower().endswith(".tgz"):
        raw = base.open_raw(path)
        inflate = gzip.GzipFile(fileobj=raw)
        capped = base.CappedReader(inflate, cap)  # type: ignore[arg-type]
        return io.BufferedReader(capped, buffer_size=1 << 20)  # type: ignore[return-value]
    return base.open_decompressed(path, cap)


class _TarLimit(Exception):
    """A tar header that tarfile would follow without bound; the paper is dropped with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _CheckedTarInfo(tarfile.TarInfo):
    """tarfile.TarInfo that refuses unbounded headers and remembers why the member list ended (tarfile
    ends it silently on a bad, cut or missing header once past the first member).

    A member may not claim more than `size_cap` bytes (the archive's inflated-size cap; set per read by
    a subclass): a stream read skips a member by reading through it, one 10 KiB block a step even past
    the end of the data, so a claimed 2**80 bytes would never finish."""

    size_cap = MAX_PAPER_BYTES

    @classmethod
    def fromtarfile(cls, tf):  # type: ignore[no-untyped-def]
        try:
            return super().fromtarfile(tf)
        except tarfile.HeaderError as exc:
            tf.header_error = exc
            raise

    def _proc_member(self, tf):  # type: ignore[no-untyped-def]
        if self.size < 0:  # base-256 sizes can be negative: tarfile would seek backwards
            raise _TarLimit("truncated_or_corrupt_stream")
        if self.type in _META_TYPES and self.size > MAX_TAR_HEADER_BYTES:
            raise _TarLimit("oversized")
        if self.type == tarfile.GNUTYPE_SPARSE and self._sparse_structs[1]:  # type: ignore[attr-defined]
            raise _TarLimit("special_file")  # extension blocks: tarfile reads them without a bound
        member = super()._proc_member(tf)
        if member.size < 0:  # a pax `size` record can say anything
            raise _TarLimit("truncated_or_corrupt_stream")
        if member.size > self.size_cap:
            raise _TarLimit("oversized")
        return member


_META_TYPES = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)


def read(
    path: str,
    skip: SkipFn,
    max_decompressed_bytes: int | None = None,
    max_member_bytes: int | None = None,
    max_members: int | None = None,
    **_: object,
) -> Iterator[Document]:
    stem = paper_stem(path)
    lower = path.lower()
    is_archive = False
    cap = max_decompressed_bytes
    if cap is None:
        cap = min(MAX_PAPER_BYTES, base.MAX_DECOMPRESSED_BYTES)
    try:
        with _open(path, cap) as f:
            if not f.peek(1):  # type: ignore[attr-defined]
                skip("empty")
                return
            if lower.endswith((".tar", ".tar.gz", ".tgz")) or (lower.endswith(".gz") and _looks_like_tar(f)):
                is_archive = True
                members = _tex_members(f, skip, cap, max_member_bytes, max_members)
            else:
                data = f.read(base.MAX_DOC_BYTES + 1)
                if base.too_big(len(data), skip):
                    return
                members = {f"{stem}.tex": data}
    except base.STREAM_ERRORS as exc:
        skip(base.stream_error_reason(exc))
        return
    except tarfile.TarError:
        skip("truncated_or_corrupt_stream")
        return
    except _TarLimit as exc:
        skip(exc.reason)
        return
    if members is None:
        return
    texts: dict[str, str] = {}
    for name, data in members.items():
        text = base.decode_utf8(data, skip)
        if text is not None:
            texts[name] = text
    main = _main_file(texts)
    if main is None:
        if texts:
            skip("no_main_tex")
        elif not members:
            skip("empty")
        return
    try:
        source = _inline(texts[main], posixpath.dirname(main), texts, {main}, 0, _Budget())
    except _TooBig:
        skip("oversized")
        return
    except _TooManyInlines:
        skip("too_many_includes")
        return
    if base.too_big(len(source), skip) or base.is_blank(source, skip):
        return
    meta = {Meta.ORIGIN: base.origin(path, main if is_archive else None)}
    title = _title(source)
    if title:
        meta[Meta.TITLE] = title
    yield Document(id=f"arxiv:{stem}", source="arxiv", text=source, meta=meta)


def _looks_like_tar(f: BinaryIO) -> bool:
    head = f.peek(512)[:512]  # type: ignore[attr-defined]
    return len(head) >= 262 and head[257:262] == b"ustar"


def _tex_members(
    f: BinaryIO,
    skip: SkipFn,
    size_cap: int,
    max_member_bytes: int | None = None,
    max_members: int | None = None,
) -> dict[str, bytes] | None:
    """The TeX members of a streamed tar, in memory; None when the paper is skipped as a whole."""
    member_cap = base.MAX_ARCHIVE_MEMBER_BYTES if max_member_bytes is None else max_member_bytes
    count_cap = MAX_MEMBERS if max_members is None else max_members
    members: dict[str, bytes] = {}
    total = count = 0
    info = type("_CappedTarInfo", (_CheckedTarInfo,), {"size_cap": size_cap})
    with tarfile.open(fileobj=f, mode="r|", tarinfo=info) as tar:
        for m in tar:
            tar.members = []  # a stream read keeps every TarInfo otherwise: memory grows with the count
            count += 1
            if count > count_cap:
                skip("too_many_members")
                return None
            if unsafe_name(m.name):
                skip("unsafe_tar_member")
                continue
            if m.issym() or m.islnk():
                skip("symlink")
                continue
            if not m.isfile():
                if not m.isdir():
                    skip("special_file")
                continue
            name = posixpath.normpath(m.name)
            if not name.lower().endswith(TEX_EXTS):
                continue  # figures, styles, bibliographies: not text of the paper
            if m.size > member_cap:
                skip("oversized")
                continue
            total += m.size
            if total > base.MAX_DOC_BYTES:
                skip("oversized")
                return None
            fh = tar.extractfile(m)
            if fh is not None:
                members[name] = fh.read()
        error = getattr(tar, "header_error", None)
    if error is not None and not isinstance(error, tarfile.EOFHeaderError):
        # past the first member tarfile ends the listing quietly on a bad header (InvalidHeaderError),
        # one cut short (TruncatedHeaderError) or none at all where the end-of-archive blocks belong
        # (EmptyHeaderError): members may be missing, so the paper is not assembled from the rest
        raise tarfile.ReadError(str(error))
    return members


def _main_file(texts: dict[str, str]) -> str | None:
    candidates = [n for n, t in texts.items() if _MAIN.search(t)]
    if not candidates:
        return None
    # A full document beats a standalone figure; then the conventional names, then the shallowest.
    candidates.sort(
        key=lambda n: (
            "\\begin{document}" not in texts[n],
            posixpath.basename(n) not in ("ms.tex", "main.tex", "paper.tex"),
            n.count("/"),
            n,
        )
    )
    return candidates[0]


class _TooBig(Exception):
    pass


class _TooManyInlines(Exception):
    pass


class _Budget:
    """Inline expansions left for one paper."""

    def __init__(self) -> None:
        self.inlines = MAX_INLINES


def _comment_test(text: str):  # type: ignore[no-untyped-def]
    """pos -> whether pos lies in a `%` comment; each line is looked at once (linear in the text however
    many includes share a line)."""
    cache = [-1, -1, -1]  # line start, line end, first unescaped % in the line (-1: none)

    def in_comment(pos: int) -> bool:
        if not cache[0] <= pos < cache[1]:
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            m = _PERCENT.search(text, start, end)
            cache[:] = [start, end, m.start() if m else -1]
        return 0 <= cache[2] < pos

    return in_comment


_PERCENT = re.compile(r"(?<!\\)%")


def _inline(text: str, folder: str, texts: dict[str, str], seen: set[str], depth: int, budget: _Budget) -> str:
    """`text` with its includes of archive files inlined. Raises _TooBig once the result would pass
    MAX_DOC_BYTES (checked as pieces are added, so a file included many times over is never built
    whole) and _TooManyInlines past MAX_INLINES expansions (bounded work for includes of empty files)."""
    if depth >= MAX_INCLUDE_DEPTH:
        return text
    in_comment = _comment_test(text)
    added = [0]  # bytes inlined into the result so far: a lower bound on its size

    def repl(m: re.Match[str]) -> str:
        if in_comment(m.start()):
            return m.group(0)
        target = (m.group(1) or m.group(2) or "").strip()
        for cand in (target, target + ".tex"):
            for name in (posixpath.normpath(posixpath.join(folder, cand)), posixpath.normpath(cand)):
                if name in texts and name not in seen:
                    budget.inlines -= 1
                    if budget.inlines < 0:
                        raise _TooManyInlines
                    out = _inline(texts[name], folder, texts, seen | {name}, depth + 1, budget)
                    added[0] += len(out)
                    if added[0] > base.MAX_DOC_BYTES:
                        raise _TooBig
                    return out
        return m.group(0)

    return _INCLUDE.sub(repl, text)


def _title(source: str) -> str | None:
    m = _TITLE.search(source)
    if not m:
        return None
    depth, i, end = 1, m.end(), min(len(source), m.end() + TITLE_CHARS)
    while i < end and depth:
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        i += 1
    if depth:
        return None  # not closed within TITLE_CHARS
    title = " ".join(source[m.end() : i - 1].split())
    return title or None
