"""The c4 job: read C4 json.gz; cleaning stages plug in here."""

from __future__ import annotations

from pipeline.document import Meta
from pipeline.jobs import JobSpec


def build(docs, args, output):  # noqa: ANN001, ANN201
    return docs


JOB = JobSpec(
    source="c4",
    meta_keys=(Meta.URL, Meta.TIMESTAMP, Meta.ORIGIN,),
    build=build,
    help="C4 json.gz -> cleaned documents",
)
