"""ArXiv reader: a paper's LaTeX source as `.tex`, or the per-paper archive arXiv serves (`.tar`,
`.tar.gz`/`.tgz`, or `.gz`, which is either one gzipped .tex or a gzipped tar: detected by content).

Archive members are read in memory from a streaming tar, never extracted to disk by name; members with
absolute or `..` paths are refused (`unsafe_tar_member`), as are links and devices. The main file is the
one with `\\documentclass`; its `\\input`/`\\include` of files in the same archive are inlined. One
Document per paper with the assembled source; the arxiv filter does the cleaning (DESIGN.md section 3).
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
_MAIN = re.compile(r"^[^%\n]*\\document(class|style)\b", re.MULTILINE)
_INCLUDE = re.compile(r"\\(?:input|include)\s*(?:\{([^}\n]*)\}|\s+([^\s{}\\%]+))")
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


def _open(path: str) -> BinaryIO:
    if path.lower().endswith(".tgz"):
        raw = base.open_raw(path)
        inflate = gzip.GzipFile(fileobj=raw)
        capped = base.CappedReader(inflate, base.MAX_DECOMPRESSED_BYTES)  # type: ignore[arg-type]
        return io.BufferedReader(capped, buffer_size=1 << 20)  # type: ignore[return-value]
    return base.open_decompressed(path)


def read(path: str, skip: SkipFn, **_: object) -> Iterator[Document]:
    stem = paper_stem(path)
    lower = path.lower()
    is_archive = False
    try:
        with _open(path) as f:
            if lower.endswith((".tar", ".tar.gz", ".tgz")) or (lower.endswith(".gz") and _looks_like_tar(f)):
                is_archive = True
                members = _tex_members(f, skip)
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
    source = _inline(texts[main], posixpath.dirname(main), texts, {main}, 0)
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


def _tex_members(f: BinaryIO, skip: SkipFn) -> dict[str, bytes] | None:
    """The TeX members of a streamed tar, in memory; None when the paper is skipped as a whole."""
    members: dict[str, bytes] = {}
    total = 0
    with tarfile.open(fileobj=f, mode="r|") as tar:
        for m in tar:
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
            if m.size > base.MAX_ARCHIVE_MEMBER_BYTES:
                skip("oversized")
                continue
            total += m.size
            if total > base.MAX_DOC_BYTES:
                skip("oversized")
                return None
            fh = tar.extractfile(m)
            if fh is not None:
                members[name] = fh.read()
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


def _in_comment(text: str, pos: int) -> bool:
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    return re.search(r"(?<!\\)%", line) is not None


def _inline(text: str, folder: str, texts: dict[str, str], seen: set[str], depth: int) -> str:
    if depth >= MAX_INCLUDE_DEPTH:
        return text

    def repl(m: re.Match[str]) -> str:
        if _in_comment(text, m.start()):
            return m.group(0)
        target = (m.group(1) or m.group(2) or "").strip()
        for cand in (target, target + ".tex"):
            for name in (posixpath.normpath(posixpath.join(folder, cand)), posixpath.normpath(cand)):
                if name in texts and name not in seen:
                    return _inline(texts[name], folder, texts, seen | {name}, depth + 1)
        return m.group(0)

    return _INCLUDE.sub(repl, text)


def _title(source: str) -> str | None:
    m = re.search(r"\\title\s*(?:\[[^\]]*\])?\s*\{", source)
    if not m:
        return None
    depth, i = 1, m.end()
    while i < len(source) and depth:
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        i += 1
    title = " ".join(source[m.end() : i - 1].split())
    return title or None
