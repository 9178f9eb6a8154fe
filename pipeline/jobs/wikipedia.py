"""The wikipedia job: read MediaWiki XML dumps; cleaning stages plug in here."""

from __future__ import annotations

from pipeline.document import Meta
from pipeline.jobs import JobSpec


def build(docs, args, output):  # noqa: ANN001, ANN201
    return docs


JOB = JobSpec(
    source="wikipedia",
    meta_keys=(Meta.TITLE, Meta.LANG, Meta.URL, Meta.ORIGIN,),
    build=build,
    help="MediaWiki XML dumps -> cleaned documents",
)
