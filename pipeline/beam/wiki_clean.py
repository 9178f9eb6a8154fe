"""Beam side of the wikipedia job: one parse per article gives the cleaned text (main output) and the
article's external links (tagged output `links`), so the wikitext is not parsed twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam

from filters.base import Drop
from filters.wikipedia import clean_article
from pipeline.beam.transforms import Counters, StepCounts, dropped_config
from pipeline.document import Document

LINKS_TAG = "links"


class CleanArticle(beam.DoFn):
    """Document (raw wikitext) -> cleaned Document | drop.<reason>, plus its URLs on LINKS_TAG when
    `export_links` (otherwise no URL is extracted, emitted or counted)."""

    def __init__(self, drop_disambiguation: bool = True, export_links: bool = True) -> None:
        self.drop_disambiguation = drop_disambiguation
        self.export_links = export_links
        self.dropped = dropped_config()

    def setup(self) -> None:
        self._counts = StepCounts("wikitext", self.dropped)
        self._count = Counters("")

    def process(self, doc: Document) -> Iterator[Any]:
        out, links = clean_article(doc, drop_disambiguation=self.drop_disambiguation, want_links=self.export_links)
        for url in links:
            yield beam.pvalue.TaggedOutput(LINKS_TAG, url)
        if links:
            self._count.inc("external_links", len(links))
        if isinstance(out, Drop):
            self._counts.dropped(doc, out.reason)
        else:
            self._counts.passed(doc, out)
            yield out

    def finish_bundle(self) -> None:
        self._counts.close()
