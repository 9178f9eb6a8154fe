"""Readers for the native format of each source: `READERS[source](path, skip, **opts)`.

Each module registers one reader; `reader_for(source)` imports it lazily.
"""

from __future__ import annotations

import importlib

from pipeline.sources.base import Reader

_MODULES = {
    "common_crawl": "pipeline.sources.common_crawl",
    "c4": "pipeline.sources.c4",
    "github": "pipeline.sources.github",
    "wikipedia": "pipeline.sources.wikipedia",
    "books": "pipeline.sources.books",
    "arxiv": "pipeline.sources.arxiv",
    "stackexchange": "pipeline.sources.stackexchange",
}


def reader_for(source: str) -> Reader:
    if source not in _MODULES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(_MODULES)}")
    return importlib.import_module(_MODULES[source]).read
