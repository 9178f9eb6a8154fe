"""Line dedup as a Beam shuffle (TestPipeline + assert_that): CCNet paper semantics."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.dedup import DedupLines
from pipeline.document import Document
from pipeline.transforms import INPUT_INDEX


def _texts(docs):
    return sorted((d.id, d.text) for d in docs)


def _run(docs: list[Document], group_files: int = 0, expected=None) -> None:
    with TestPipeline() as p:
        out = p | beam.Create(docs) | DedupLines(group_files) | beam.Map(lambda d: (d.id, d.text))
        assert_that(out, equal_to(expected))


def test_line_repeated_across_documents_is_removed_from_all() -> None:
    docs = [
        Document("a", "common_crawl", "Menu | Home\nAlpha is the first letter.", {}),
        Document("b", "common_crawl", "menu | home\nBeta is the second letter.", {}),  # same after normalising
        Document("c", "common_crawl", "Gamma stays whole.\nDelta too.", {}),
    ]
    _run(
        docs,
        expected=[
            ("a", "Alpha is the first letter."),
            ("b", "Beta is the second letter."),
            ("c", "Gamma stays whole.\nDelta too."),
        ],
    )


def test_line_repeated_within_one_document_is_removed_and_empty_docs_dropped() -> None:
    docs = [
        Document("a", "common_crawl", "Repeat me\nunique line one\nRepeat me", {}),
        Document("b", "common_crawl", "Only boilerplate 2019\nOnly boilerplate 2020", {}),  # digits -> 0
    ]
    _run(docs, expected=[("a", "unique line one")])


def test_dedup_groups_of_files() -> None:
    # the shared line is duplicated only across groups when group_files=1: it survives in each group
    docs = [
        Document("a", "common_crawl", "shared line\nfirst", {INPUT_INDEX: 0}),
        Document("b", "common_crawl", "shared line\nsecond", {INPUT_INDEX: 1}),
    ]
    _run(docs, group_files=1, expected=[("a", "shared line\nfirst"), ("b", "shared line\nsecond")])
    _run(docs, group_files=0, expected=[("a", "first"), ("b", "second")])


def test_small_buffers_flush_mid_bundle_with_the_same_result() -> None:
    # buffers of 1 ref force a flush after every document: the result must not depend on bundling
    docs = [Document(f"d{i}", "common_crawl", f"shared nav\nunique {chr(97 + i)}", {}) for i in range(5)]
    with TestPipeline() as p:
        out = p | beam.Create(docs) | DedupLines(0, max_buffered=1) | beam.Map(lambda d: (d.id, d.text))
        assert_that(out, equal_to([(f"d{i}", f"unique {chr(97 + i)}") for i in range(5)]))


def test_a_wrong_expectation_fails() -> None:
    import pytest

    docs = [Document("a", "common_crawl", "x line\ny line", {}), Document("b", "common_crawl", "x line\nz", {})]
    with pytest.raises(Exception):
        _run(docs, expected=[("a", "x line\ny line"), ("b", "x line\nz")])
