"""The common_crawl job: read CommonCrawl WET/WARC; cleaning stages plug in here."""

from __future__ import annotations

from pipeline.document import Meta
from pipeline.jobs import JobSpec


def build(docs, args, output):  # noqa: ANN001, ANN201
    return docs


JOB = JobSpec(
    source="common_crawl",
    meta_keys=(Meta.URL, Meta.DIGEST, Meta.TIMESTAMP, Meta.ORIGIN,),
    build=build,
    help="CommonCrawl WET/WARC -> cleaned documents",
)
