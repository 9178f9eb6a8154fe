"""C4's cross-page rules: URL dedup (TFDS normalize_url + select_newest_page), whole-line dedup (TFDS
remove_duplicate_text), and the paper's three-sentence-span dedup kept as an option; the plain functions
and the Beam shuffles of pipeline/beam/jobs/c4.py."""

from __future__ import annotations

import hashlib

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from filters.base import Drop
from filters.c4_dedup import (
    KEEP_LINES,
    C4LineDedup,
    line_key,
    mark_url_duplicates,
    normalize_url,
    owner_rank,
    remove_lines,
    remove_spans,
    span_keys,
)
from pipeline.beam.jobs import c4 as c4_job
from pipeline.document import Document


def page(id_: str, url: str, text: str, ts: str = "2019-04-25T12:00:00Z") -> Document:
    return Document(id_, "c4", text, {"url": url, "timestamp": ts})


def _md5(s: str) -> str:
    return hashlib.md5(s.encode("utf-8")).hexdigest()


# -- URL dedup ------------------------------------------------------------------------------------


def test_normalize_url_as_tfds() -> None:
    assert normalize_url("https://www.example.com/a/") == "example.com/a"
    assert normalize_url("http://example.com/a?utm_source=feed&x=1") == "example.com/a"
    assert normalize_url("https://example.com/a?ref=home") == "example.com/a"
    assert normalize_url("https://example.com/a?id=3") == "example.com/a?id=3"
    # TFDS's regex is not anchored: a URL inside the query loses its scheme too
    assert normalize_url("https://a.org/go?to=https://www.b.org") == "a.org/go?to=b.org"


def test_newest_page_of_a_url_wins_ties_to_smallest_id() -> None:
    pages = [
        page("b", "https://x.org/p", "old", "2019-01-01T00:00:00Z"),
        page("c", "http://www.x.org/p/", "new", "2019-03-01T00:00:00Z"),
        page("a", "https://x.org/p", "new too", "2019-03-01T00:00:00Z"),
    ]
    out = list(mark_url_duplicates(pages))
    assert [(d.id, bool(d.meta.get("_c4_url_duplicate"))) for d in out] == [("a", False), ("c", True), ("b", True)]


def test_url_dedup_beam() -> None:
    pages = [
        page("1", "https://x.org/p", "older copy", "2019-01-01T00:00:00Z"),
        page("2", "https://www.x.org/p/?utm_medium=rss", "newer copy", "2019-02-01T00:00:00Z"),
        page("3", "https://y.org/q", "another page", "2019-01-01T00:00:00Z"),
    ]
    with TestPipeline() as p:
        out = c4_job.url_dedup(p | beam.Create(pages)) | beam.Map(lambda d: (d.id, d.text))
        assert_that(out, equal_to([("2", "newer copy"), ("3", "another page")]))


# -- line dedup -----------------------------------------------------------------------------------

SHARED = "Sea otters float on their backs while they sleep."
A1 = "Otters live along the rocky coast of California."
A2 = "They eat urchins, crabs and clams from the sea floor."
B1 = "The aquarium opened a new otter exhibit this spring."
B2 = "Visitors can watch the animals being fed every day."
B3 = "Tickets are cheaper for children under twelve years."


def test_line_key_and_owner_rank_are_tfds_md5s() -> None:
    assert line_key("  Hello World.  ") == _md5("hello world.") == line_key("hello world.")
    d = page("x", "https://a.org/", "t")
    assert owner_rank(d) == (_md5("https://a.org/"), "x")


def test_remove_lines_keeps_owned_lines_once_without_restripping() -> None:
    text = f"{A1}\n {A2}\n{SHARED}\n{A1}"
    keep = {line_key(A1), line_key(A2)}
    # the copy of A1 lower down is a local duplicate; " A2" keeps its leading space
    assert remove_lines(text, keep) == f"{A1}\n {A2}"


def test_line_dedup_step_counts_sentences_over_the_whole_page() -> None:
    lines = ['The sign at the gate read "Keep out"', "and nobody went in there after that.", B3]
    text = "\n".join(lines)
    d = page("x", "https://a.org/", text).with_text(text, **{KEEP_LINES: " ".join(line_key(ln) for ln in lines)})
    # three lines, one sentence each for clean_page; but over the whole page punkt sees two
    assert C4LineDedup()(d) == Drop("too_few_sentences_after_dedup")
    out = C4LineDedup(min_sentences=2)(d)
    assert isinstance(out, Document) and out.text == text and KEEP_LINES not in out.meta
    assert C4LineDedup()(d.with_text(text, **{KEEP_LINES: ""})) == Drop("duplicate_lines")


def test_line_dedup_beam_owner_is_smallest_md5_of_url() -> None:
    # md5 of the URLs: otters 26ce... < zoo 5d5f... < r e18e...; the ids run the other way, so an
    # owner chosen by id would differ
    pages = [
        page("z", "https://otters.example.org/a", f"{SHARED}\n{A1}\n{A2}\n{B1}"),
        page("m", "https://zoo.example.net/b", f"{B1}\n{SHARED.upper()}\n{B2}\n{B3}\n{B2}"),
        page("a", "https://r.example.com/", f"{A1}\n{A2}"),
    ]
    assert sorted(pages, key=owner_rank)[0].id == "z"
    with TestPipeline() as p:
        out = c4_job.line_dedup(p | beam.Create(pages), min_sentences=1) | beam.Map(lambda d: (d.id, d.text))
        # z keeps everything; m loses B1 and SHARED (any case) and its second B2; a is left empty
        assert_that(out, equal_to([("z", f"{SHARED}\n{A1}\n{A2}\n{B1}"), ("m", f"{B2}\n{B3}")]))


# -- three-sentence spans (--dedup spans) -----------------------------------------------------------


def test_span_keys_and_remove_foreign_spans() -> None:
    a = "One fish swam here. Two fish swam there. Red fish swam away. Blue fish stayed home."
    b = "A new day began. One fish swam here. Two fish swam there. Red fish swam away. The end came soon."
    keys_a, keys_b = span_keys(a), span_keys(b)
    shared = set(keys_a) & set(keys_b)
    assert len(shared) == 1 and len(keys_a) == 2 and len(keys_b) == 3
    out = remove_spans(page("b", "u", b), shared, min_sentences=1)
    assert isinstance(out, Document) and out.text == "A new day began. The end came soon."
    assert remove_spans(page("b", "u", b), shared, min_sentences=3) == Drop("duplicate_spans")


def test_span_repeated_within_a_page_keeps_first() -> None:
    three = "Alpha is first. Beta is second. Gamma is third."
    out = remove_spans(page("x", "u", f"{three}\n{three}\nOK then."), set(), min_sentences=1)
    assert isinstance(out, Document) and out.text == f"{three}\nOK then."
    untouched = page("y", "u", three)
    assert remove_spans(untouched, {"0" * 16}) is untouched


# -- the job end to end: URL dedup, then the rules, then line dedup ---------------------------------


def test_clean_job_keeps_newest_page_of_a_url(tmp_path) -> None:
    import argparse

    from test_jobs_c4_github_se import ENGLISH_A, ENGLISH_B
    from wet_fixture import wet_record

    from pipeline.beam.job import run_job
    from pipeline.store import read_documents

    wet = tmp_path / "CC-MAIN-2020-05-00000.warc.wet.gz"
    with open(wet, "wb") as f:
        f.write(wet_record("https://www.news.example.org/story/", ENGLISH_B, 0, "2020-01-01T00:00:00Z"))
        f.write(wet_record("http://news.example.org/story", ENGLISH_A, 1, "2020-02-01T00:00:00Z"))
        f.write(wet_record("https://other.example.org/", "Content-Type: " + ENGLISH_B, 2))
    parser = argparse.ArgumentParser()
    c4_job.JOB.add_arguments(parser)
    stats = run_job("c4", [str(wet)], str(tmp_path / "out"), parser.parse_args(["--mode", "clean"]), [], num_shards=1)
    docs = sorted(read_documents(str(tmp_path / "out")), key=lambda d: d.id)
    # the older copy of the story goes; the third page's first line starts "Content-", which TFDS
    # takes for a header line, so that line is gone and two sentences are too few
    assert [(d.meta["url"], d.text) for d in docs] == [("http://news.example.org/story", ENGLISH_A)]
    assert stats["dropped"] == {"duplicate_url": 1, "too_few_sentences": 1}
