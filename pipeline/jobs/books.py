"""The books job: read Gutenberg .txt and Books3 JSONL(.zst); cleaning stages plug in here."""

from __future__ import annotations

from pipeline.document import Meta
from pipeline.jobs import JobSpec


def build(docs, args, output):  # noqa: ANN001, ANN201
    return docs


JOB = JobSpec(
    source="books",
    meta_keys=(Meta.TITLE, Meta.ORIGIN,),
    build=build,
    help="Gutenberg .txt and Books3 JSONL(.zst) -> cleaned documents",
)
