"""GitHub reader: the BigQuery `github_repos` export as JSONL (plain, `.gz`, `.zst`; one file a line with
`repo_name`, `path`, `content`, `license`, ...) or a local source tree `<...>/<repo_name>/` whose licence
comes from its licence file (pipeline.sources.license_detect).

The licence value is passed through raw (SPDX normalisation and the Apache/BSD/MIT rule are the licence
filter's job). Ids are stable_id(repo, path), the same in both input forms.
"""

from __future__ import annotations

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


def read(path: str, skip: SkipFn, repo: str | None = None, **_: object) -> Iterator[Document]:
    """`repo` names a source tree (default: the folder's name, e.g. `rust-hex`)."""
    if "://" not in path and os.path.isdir(path):
        yield from read_tree(path, skip, repo)
    else:
        yield from read_jsonl(path, skip)


def read_jsonl(path: str, skip: SkipFn) -> Iterator[Document]:
    origin = base.origin(path)
    for _, obj in base.iter_json_lines(path, skip):
        content, repo, fpath = obj.get("content"), obj.get("repo_name"), obj.get("path")
        if not isinstance(content, str) or not isinstance(repo, str) or not isinstance(fpath, str):
            skip("missing_field")
            continue
        if obj.get("binary") is True or "\x00" in content[:BINARY_SNIFF]:
            skip("binary")
            continue
        if base.too_big(len(content), skip) or base.is_blank(content, skip):
            continue
        lic = obj.get("license")
        yield _doc(repo, fpath, content, lic if isinstance(lic, str) else "", origin)


def tree_license(root: str) -> str:
    """The licence of a source tree from the licence files at its root (and a DEP-5 debian/copyright)."""
    found = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return license_detect.UNKNOWN
    for name in names:
        full = os.path.join(root, name)
        if license_detect.LICENSE_FILE.match(name) and os.path.isfile(full) and not os.path.islink(full):
            found.append(license_detect.detect_text(_read_small(full)))
    dep5 = os.path.join(root, "debian", "copyright")
    if os.path.isfile(dep5) and not os.path.islink(dep5):
        found.append(license_detect.detect_dep5(_read_small(dep5)))
    return license_detect.combine(found)


def _read_small(path: str, limit: int = 1 << 20) -> str:
    with open(path, "rb") as f:
        return f.read(limit).decode("utf-8", errors="replace")


def read_tree(root: str, skip: SkipFn, repo: str | None = None) -> Iterator[Document]:
    """One Document per regular file of a local tree, walked in sorted order without following links."""
    root = root.rstrip("/")
    repo = repo or os.path.basename(root)
    lic = tree_license(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        kept = []
        for d in sorted(dirnames):
            if d in SKIP_DIRS:
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                skip("symlink")
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            doc = _tree_file(full, rel, repo, lic, skip)
            if doc is not None:
                yield doc


def _tree_file(full: str, rel: str, repo: str, lic: str, skip: SkipFn) -> Document | None:
    st = os.lstat(full)
    if stat.S_ISLNK(st.st_mode):
        skip("symlink")
        return None
    if not stat.S_ISREG(st.st_mode):
        skip("special_file")
        return None
    if base.too_big(st.st_size, skip):
        return None
    with open(full, "rb") as f:
        data = f.read(base.MAX_DOC_BYTES + 1)
    if base.too_big(len(data), skip):  # grew since lstat
        return None
    if b"\x00" in data[:BINARY_SNIFF]:
        skip("binary")
        return None
    text = base.decode_utf8(data, skip)
    if text is None or base.is_blank(text, skip):
        return None
    return _doc(repo, rel, text, lic, base.origin(repo, rel))
