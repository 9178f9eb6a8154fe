"""GitHub reader: the BigQuery `github_repos` export as JSONL (plain, `.gz`, `.zst`; one file a line with
`repo_name`, `path`, `content`, `license`, ...) or a local source tree `<...>/<repo_name>/`, whose files'
licences are read as a licence scanner reads them (pipeline.sources.licenses, docs/github.md): the file's
own SPDX header, else a DEP-5 debian/copyright, else the nearest folder's manifest or licence files. Tree
documents also carry `license_source`, where their licence was read.

The licence value is passed through raw (SPDX normalisation and the Apache/BSD/MIT rule are the licence
filter's job). Ids are stable_id(repo, path), the same in both input forms.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator

from pipeline.document import Document, Meta, stable_id
from pipeline.sources import base, licenses
from pipeline.sources.base import SkipFn

# File extension -> programming language (the languages the BigQuery dump and the paper's whitelist
# have in common; the extension whitelist itself is the filter's).
LANGUAGES: dict[str, str] = {
    ".py": "Python",
    ".pyi": "Python",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".hh": "C++",
    ".cs": "C#",
    ".java": "Java",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".jsx": "JavaScript",
    ".ts": "TypeScript",
    ".tsx": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".rb": "Ruby",
    ".php": "PHP",
    ".scala": "Scala",
    ".kt": "Kotlin",
    ".swift": "Swift",
    ".m": "Objective-C",
    ".sh": "Shell",
    ".bash": "Shell",
    ".pl": "Perl",
    ".pm": "Perl",
    ".lua": "Lua",
    ".r": "R",
    ".jl": "Julia",
    ".hs": "Haskell",
    ".ml": "OCaml",
    ".ex": "Elixir",
    ".exs": "Elixir",
    ".erl": "Erlang",
    ".clj": "Clojure",
    ".dart": "Dart",
    ".sql": "SQL",
    ".html": "HTML",
    ".htm": "HTML",
    ".css": "CSS",
    ".tex": "TeX",
    ".md": "Markdown",
    ".rst": "reStructuredText",
    ".json": "JSON",
    ".yaml": "YAML",
    ".yml": "YAML",
    ".toml": "TOML",
    ".xml": "XML",
    ".f90": "Fortran",
    ".f": "Fortran",
    ".vb": "Visual Basic",
    ".asm": "Assembly",
    ".s": "Assembly",
    ".groovy": "Groovy",
    ".cmake": "CMake",
    ".mk": "Makefile",
}
_NAMED = {"makefile": "Makefile", "dockerfile": "Dockerfile", "cmakelists.txt": "CMake"}
BINARY_SNIFF = 8000  # git's heuristic: a NUL byte in the first 8000 bytes means binary
SKIP_DIRS = {".git", ".hg", ".svn"}


def language_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    if name in _NAMED:
        return _NAMED[name]
    ext = os.path.splitext(name)[1]
    return LANGUAGES.get(ext, "")


LICENSE_SOURCE = "license_source"  # meta of tree documents: where the licence was read


def _doc(repo: str, path: str, text: str, license: str, origin: str, source: str | None = None) -> Document:
    meta = {
        Meta.REPO: repo,
        Meta.PATH: path,
        Meta.LICENSE: license,
        Meta.PROG_LANG: language_of(path),
        Meta.ORIGIN: origin,
    }
    if source is not None:
        meta[LICENSE_SOURCE] = source
    return Document(id=stable_id(repo, path), source="github", text=text, meta=meta)


def read(
    path: str,
    skip: SkipFn,
    repo: str | None = None,
    max_line_bytes: int | None = None,
    max_decompressed_bytes: int | None = None,
    **_: object,
) -> Iterator[Document]:
    """`repo` names a source tree (default: the folder's name, e.g. `rust-hex`). `max_line_bytes` caps one
    JSONL line (base.line_cap), `max_decompressed_bytes` a JSONL file's inflated size."""
    if "://" not in path and os.path.isdir(path):
        yield from read_tree(path, skip, repo)
    else:
        yield from read_jsonl(path, skip, max_line_bytes, max_decompressed_bytes)


def read_jsonl(
    path: str, skip: SkipFn, max_line_bytes: int | None = None, max_decompressed_bytes: int | None = None
) -> Iterator[Document]:
    origin = base.origin(path)
    caps = {"max_line_bytes": max_line_bytes, "max_decompressed_bytes": max_decompressed_bytes}
    for _, obj in base.iter_json_lines(path, skip, **caps):
        content, repo, fpath = obj.get("content"), obj.get("repo_name"), obj.get("path")
        if not isinstance(content, str) or not isinstance(repo, str) or not isinstance(fpath, str):
            skip("missing_field")
            continue
        if obj.get("binary") is True or "\x00" in content[:BINARY_SNIFF]:
            skip("binary")
            continue
        lic = obj.get("license")
        lic = lic if isinstance(lic, str) else ""
        if base.too_big(len(content), skip) or base.is_blank(content, skip):
            continue
        if base.lone_surrogate(content, repo, fpath, lic):
            skip("invalid_utf8")
            continue
        yield _doc(repo, fpath, content, lic, origin)


# Open without following a symlink (one swapped in after lstat() fails with ELOOP) and without blocking
# on a FIFO swapped in after lstat(); fstat() then checks that what was opened is a regular file.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _read_regular(path: str, limit: int, dir_fd: int | None = None) -> bytes | None:
    """Up to `limit` bytes of a regular file; None when `path` is no longer one. Raises OSError."""
    fd = os.open(path, _OPEN_FLAGS, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return f.read(limit)


def _reader(dir_fd: int, limit: int = 1 << 20):
    """read(name) -> the first `limit` bytes of a regular, non-link file of the folder as text, or None."""

    def read(name: str) -> str | None:
        try:
            if not stat.S_ISREG(os.lstat(name, dir_fd=dir_fd).st_mode):  # never open a device
                return None
            data = _read_regular(name, limit, dir_fd)
        except OSError:
            return None
        return None if data is None else data.decode("utf-8", errors="replace")

    return read


def tree_license(root: str) -> str:
    """The licence a tree's root declares (manifest, licence files or DEP-5 `Files: *`), "unknown" if none."""
    try:
        fd = os.open(root, _DIR_FLAGS)
    except OSError:
        return licenses.UNKNOWN
    try:
        names = sorted(os.listdir(fd))
        read = _reader(fd)
        dep5 = licenses.Dep5.parse(read("debian/copyright") or "") if "debian" in names else None
        short = dep5.tree_licence() if dep5 else None
        if dep5 and short:
            return dep5.spdx(short)
        subdirs = [n for n in names if os.path.isdir(os.path.join(root, n))]
        decl = licenses.folder_declaration(read, names, subdirs, "", {})
        return decl.expression if decl else licenses.UNKNOWN
    finally:
        os.close(fd)


class _TreeLicences:
    """Per-file licence of a tree: own SPDX header > DEP-5 paragraph > nearest folder declaration."""

    def __init__(self, root_fd: int) -> None:
        text = _reader(root_fd)("debian/copyright")
        self.dep5 = licenses.Dep5.parse(text) if text else None
        self.workspace: dict[str, str] = {}  # Cargo [workspace.package] values for `license.workspace`
        self._header: dict[str, str | None] = {}

    def folder(self, dir_fd: int, entries, folder: str, inherited):
        files = [e.name for e in entries if not _is_dir(e)]
        subdirs = [e.name for e in entries if _is_dir(e)]
        own = licenses.folder_declaration(_reader(dir_fd), files, subdirs, folder, self.workspace)
        return own or inherited

    def of_file(self, rel: str, text: str, decl) -> tuple[str, str]:
        line = licenses.spdx_line(text)
        if line is not None:
            expr = self._header.get(line) if line in self._header else licenses.normalize(line)
            self._header[line] = expr
            if expr:
                return expr, "SPDX header"
        if self.dep5 is not None:
            short = self.dep5.lookup(rel)
            if short:
                return self.dep5.spdx(short), "debian/copyright"
        if decl is None:
            return licenses.UNKNOWN, "none"
        return decl.expression, decl.source


def _is_dir(entry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def read_tree(root: str, skip: SkipFn, repo: str | None = None) -> Iterator[Document]:
    """One Document per regular file of a local tree, walked in sorted order (a folder's files, then its
    subfolders) without following links, iteratively (no recursion limit on deep trees). Links are
    `symlink`, devices and FIFOs `special_file`, names that are not UTF-8 `invalid_path`, what cannot
    be listed or read `unreadable`. Each folder is opened without following a link (its files then
    relative to it), so nothing outside the tree is opened even if a file or folder is swapped for a link
    while the tree is read."""
    root = root.rstrip("/") or "/"
    repo = repo or os.path.basename(root)
    scanner: _TreeLicences | None = None
    stack: list[tuple[str, licenses.Declaration | None]] = [("", None)]  # folders to walk, their inherited licence
    while stack:
        folder, inherited = stack.pop()
        try:  # the root itself may be a link (the caller named it); no folder below it
            dir_fd = os.open(os.path.join(root, folder) if folder else root, _DIR_FLAGS | (_NOFOLLOW if folder else 0))
        except OSError as exc:
            skip("symlink" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else "unreadable")
            continue
        try:
            try:
                with os.scandir(dir_fd) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                skip("unreadable")
                continue
            if scanner is None:
                scanner = _TreeLicences(dir_fd)
            decl = scanner.folder(dir_fd, [e for e in entries if e.name not in SKIP_DIRS], folder, inherited)
            subfolders = []
            for entry in entries:
                if entry.name in SKIP_DIRS:
                    continue
                rel = f"{folder}/{entry.name}" if folder else entry.name
                if not _utf8(entry.name):
                    skip("invalid_path")
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if is_dir:
                    subfolders.append(rel)
                    continue
                doc = _tree_file(dir_fd, entry.name, rel, repo, scanner, decl, skip)
                if doc is not None:
                    yield doc
            stack.extend((sub, decl) for sub in reversed(subfolders))
        finally:
            os.close(dir_fd)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # undecodable bytes of a file name come back as lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _tree_file(
    dir_fd: int, name: str, rel: str, repo: str, scanner: _TreeLicences, decl, skip: SkipFn
) -> Document | None:
    try:
        st = os.lstat(name, dir_fd=dir_fd)
        if stat.S_ISLNK(st.st_mode):
            skip("symlink")
            return None
        if not stat.S_ISREG(st.st_mode):
            skip("special_file")
            return None
        if base.too_big(st.st_size, skip):
            return None
        data = _read_regular(name, base.MAX_DOC_BYTES + 1, dir_fd)
    except OSError as exc:
        skip("symlink" if exc.errno == errno.ELOOP else "unreadable")  # ELOOP: a link swapped in
        return None
    if data is None:  # swapped for a FIFO or device since lstat
        skip("special_file")
        return None
    if base.too_big(len(data), skip):  # grew since lstat
        return None
    if b"\x00" in data[:BINARY_SNIFF]:
        skip("binary")
        return None
    text = base.decode_utf8(data, skip)
    if text is None or base.is_blank(text, skip):
        return None
    lic, source = scanner.of_file(rel, text, decl)
    return _doc(repo, rel, text, lic, base.origin(repo, rel), source)
