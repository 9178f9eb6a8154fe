"""The one record type of the pipeline, and the names of its metadata keys.

No Beam here: `filters/` imports this module, and `filters/` must stay Beam-free.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

SOURCES: tuple[str, ...] = ("common_crawl", "c4", "github", "wikipedia", "books", "arxiv", "stackexchange")


class Meta:
    """Metadata key constants. Values are flat scalars (str, int, float, bool) or None. Keys that start
    with "_" are transient pipeline state and are never written to the store."""

    URL = "url"
    TITLE = "title"
    TIMESTAMP = "timestamp"
    DIGEST = "digest"
    LANG = "lang"
    LANG_SCORE = "lang_score"
    PERPLEXITY = "perplexity"
    BUCKET = "bucket"
    WIKI_PROB = "wiki_prob"
    LICENSE = "license"
    REPO = "repo"
    PATH = "path"
    PROG_LANG = "language"
    SCORE = "score"
    SITE = "site"
    QUESTION_ID = "question_id"
    ORIGIN = "origin"  # the file a document was read from
    ORIGINAL_LENGTH = "original_length"
    ORIGINAL_NLINES = "original_nlines"


# Column types in the Parquet store for known keys; unknown keys are stored as strings.
META_TYPES: dict[str, str] = {
    Meta.URL: "string",
    Meta.TITLE: "string",
    Meta.TIMESTAMP: "string",
    Meta.DIGEST: "string",
    Meta.LANG: "string",
    Meta.LANG_SCORE: "float64",
    Meta.PERPLEXITY: "float64",
    Meta.BUCKET: "string",
    Meta.WIKI_PROB: "float64",
    Meta.LICENSE: "string",
    Meta.REPO: "string",
    Meta.PATH: "string",
    Meta.PROG_LANG: "string",
    Meta.SCORE: "int64",
    Meta.SITE: "string",
    Meta.QUESTION_ID: "int64",
    Meta.ORIGIN: "string",
    Meta.ORIGINAL_LENGTH: "int64",
    Meta.ORIGINAL_NLINES: "int64",
}


@dataclasses.dataclass
class Document:
    id: str
    source: str
    text: str
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; expected one of {', '.join(SOURCES)}")

    def with_text(self, text: str, **meta: Any) -> Document:
        """A copy with new text and extra metadata (Beam elements must not be mutated in place)."""
        return Document(self.id, self.source, text, {**self.meta, **meta})

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Document:
        d = json.loads(line)
        return cls(d["id"], d["source"], d["text"], d.get("meta") or {})


def stable_id(*parts: str) -> str:
    """A stable document id from its parts (never Python's salted hash())."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return h[:20]


def stable_hash64(*parts: str | bytes) -> int:
    """A stable unsigned 64-bit hash, for seeded sampling and sharding by document id."""
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(p.encode("utf-8") if isinstance(p, str) else p)
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "little")
