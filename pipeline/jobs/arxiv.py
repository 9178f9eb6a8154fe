"""The arxiv job: read ArXiv LaTeX sources; cleaning stages plug in here."""

from __future__ import annotations

from pipeline.document import Meta
from pipeline.jobs import JobSpec


def build(docs, args, output):  # noqa: ANN001, ANN201
    return docs


JOB = JobSpec(
    source="arxiv",
    meta_keys=(Meta.TITLE, Meta.ORIGIN,),
    build=build,
    help="ArXiv LaTeX sources -> cleaned documents",
)
