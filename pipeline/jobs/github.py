"""The github job: read GitHub BigQuery JSONL or source trees; cleaning stages plug in here."""

from __future__ import annotations

from pipeline.document import Meta
from pipeline.jobs import JobSpec


def build(docs, args, output):  # noqa: ANN001, ANN201
    return docs


JOB = JobSpec(
    source="github",
    meta_keys=(Meta.REPO, Meta.PATH, Meta.PROG_LANG, Meta.LICENSE, Meta.ORIGIN,),
    build=build,
    help="GitHub BigQuery JSONL or source trees -> cleaned documents",
)
