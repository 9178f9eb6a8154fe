"""GitHub reader: the BigQuery `github_repos` export as JSONL (plain, `.gz`, `.zst`; one file a line with
`repo_name`, `path`, `content`, `license`, ...) or a local source tree `<...>/<repo_name>/` whose licence
comes from its licence file (pipeline.sources.license_detect).

The licence value is passed through raw (SPDX normalisation and the Apache/BSD/MIT rule are the licence
filter's job). Ids are stable_id(repo, path), the same in both input forms.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator

from pipeline.document import Document, Meta, stable_id
from pipeline.sources import base, license_detect
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


def _doc(repo: str, path: str, text: str, license: str, origin: str) -> Document:
    return Document(
        id=stable_id(repo, path),
        source="github",
        text=text,
        meta={
            Meta.REPO: repo,
            Meta.PATH: path,
            Meta.LICENSE: license,
            Meta.PROG_LANG: language_of(path),
            Meta.ORIGIN: origin,
        },
    )


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


def tree_license(root: str) -> str:
    """The licence of a source tree from the licence files at its root (and a DEP-5 debian/copyright)."""
    found = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return license_detect.UNKNOWN
    for name in names:
        if license_detect.LICENSE_FILE.match(name):
            text = _read_small(os.path.join(root, name))
            if text is not None:
                found.append(license_detect.detect_text(text))
    dep5 = _read_small(os.path.join(root, "debian", "copyright"))
    if dep5 is not None:
        found.append(license_detect.detect_dep5(dep5))
    return license_detect.combine(found)


def _read_small(path: str, limit: int = 1 << 20) -> str | None:
    """The first `limit` bytes of a regular, non-link file as text; None for anything else."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):  # never open a device
            return None
        data = _read_regular(path, limit)
    except OSError:
        return None
    return None if data is None else data.decode("utf-8", errors="replace")


def read_tree(root: str, skip: SkipFn, repo: str | None = None) -> Iterator[Document]:
    """One Document per regular file of a local tree, walked in sorted order (a folder's files, then its
    subfolders) without following links, iteratively (no recursion limit on deep trees). Links are
    `symlink`, devices and FIFOs `special_file`, names that are not UTF-8 `invalid_path`, what cannot
    be listed or read `unreadable`. Each folder is opened without following a link (its files then
    relative to it), so nothing outside the tree is opened even if a file or folder is swapped for a link
    while the tree is read."""
    root = root.rstrip("/") or "/"
    repo = repo or os.path.basename(root)
    lic = tree_license(root)
    stack = [""]  # folders still to walk, relative to root
    while stack:
        folder = stack.pop()
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
                doc = _tree_file(dir_fd, entry.name, rel, repo, lic, skip)
                if doc is not None:
                    yield doc
            stack.extend(reversed(subfolders))
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


def _tree_file(dir_fd: int, name: str, rel: str, repo: str, lic: str, skip: SkipFn) -> Document | None:
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
    return _doc(repo, rel, text, lic, base.origin(repo, rel))
