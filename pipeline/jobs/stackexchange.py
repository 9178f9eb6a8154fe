"""The stackexchange job: read StackExchange Posts.xml; cleaning stages plug in here."""

from __future__ import annotations

from pipeline.document import Meta
from pipeline.jobs import JobSpec


def build(docs, args, output):  # noqa: ANN001, ANN201
    return docs


JOB = JobSpec(
    source="stackexchange",
    meta_keys=(Meta.SITE, Meta.QUESTION_ID, Meta.SCORE, Meta.TITLE, Meta.ORIGIN,),
    build=build,
    help="StackExchange Posts.xml -> cleaned documents",
)
