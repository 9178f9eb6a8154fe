"""A small clean folder (seven sources) built from text already on this machine, for tests and the bench.

A fixture, not part of the product: it lives beside the tests (bench scripts put tests/ on sys.path).

No network: prose comes from the docstrings of the Python standard library, code from its `.py` files,
long "books" from /usr/share/common-licenses. Deterministic for a given Python install.
"""

from __future__ import annotations

import ast
import glob
import os
import sysconfig
from collections.abc import Iterator

from pipeline.document import SOURCES, Document, stable_id
from pipeline.store import shard_name, write_shard

# A little non-Latin text so the sample is not pure ASCII (Wikipedia has 20 languages, Latin + Cyrillic).
_MULTILINGUAL = [
    "Википедия — свободная энциклопедия, которую может редактировать каждый.",
    "Die freie Enzyklopädie, an der jeder mitschreiben kann. Größe: 12 345 Artikel.",
    "L'encyclopédie libre que chacun peut améliorer ; été 2022, 6 789 pages.",
    "Svobodná encyklopedie, kterou může každý upravovat. Část 3.",
]


def _stdlib_files(limit: int) -> list[str]:
    root = sysconfig.get_paths()["stdlib"]
    files = sorted(glob.glob(os.path.join(root, "*.py")))
    return files[:limit]


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _docstrings(path: str) -> list[str]:
    try:
        tree = ast.parse(_read(path))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc and len(doc) > 80:
                out.append(doc)
    return out


def _texts(source: str, budget: int) -> Iterator[str]:
    files = _stdlib_files(400)
    shift = SOURCES.index(source) * 53  # a different window of the stdlib per source
    files = files[shift:] + files[:shift]
    total = 0
    i = 0
    while total < budget:
        path = files[i % len(files)]
        i += 1
        if source == "github":
            texts = [_read(path)[:20000]]
        elif source == "books":  # whole licence texts first (long documents), then long docstring runs
            lic = [p for p in sorted(glob.glob("/usr/share/common-licenses/*")) if os.path.isfile(p)]
            texts = [_read(p) for p in lic[:3]] if i == 1 else ["\n\n".join(_docstrings(path))]
        else:
            docs = _docstrings(path)
            if source == "wikipedia":
                texts = [d + "\n" + _MULTILINGUAL[(i + k) % len(_MULTILINGUAL)] for k, d in enumerate(docs)]
            elif source == "arxiv":
                texts = [
                    f"\\section{{{os.path.basename(path)}}}\n{d}\n$x_{{{k}}} = {k * 31}$" for k, d in enumerate(docs)
                ]
            elif source == "stackexchange":
                texts = [f"Q: How does {os.path.basename(path)} work?\nA: {d}" for d in docs]
            else:
                texts = docs
        for t in texts:
            if t.strip():
                total += len(t.encode("utf-8"))
                yield t
            if total >= budget:
                return
        if i > 20 * len(files):
            return


def build_clean_folder(
    out: str, bytes_per_source: int = 60_000, shards_per_source: int = 1, sources: tuple[str, ...] = SOURCES
) -> dict[str, int]:
    """Write `<out>/<source>/part-*.parquet` for each source; returns documents per source."""
    counts = {}
    for src in sources:
        docs = [Document(stable_id(src, str(k)), src, t, {}) for k, t in enumerate(_texts(src, bytes_per_source))]
        per = -(-len(docs) // shards_per_source)
        for s in range(shards_per_source):
            write_shard(docs[s * per : (s + 1) * per], os.path.join(out, src, shard_name(s, shards_per_source)), [])
        counts[src] = len(docs)
    return counts
