"""Every reader inside a real Beam pipeline (DirectRunner) through pipeline.beam.transforms.ReadFiles: the
documents come out and the skips land in the `skip.<reason>` counters of the step."""

from __future__ import annotations

import bz2
import gzip
import json
import os

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.beam.transforms import NAMESPACE, ReadFiles

os.environ.setdefault("BEAM_DIRECT_RUNNER_DISABLE_PRISM", "1")


def wet_record(wtype: str, i: int, body: bytes) -> bytes:
    head = (
        f"WARC/1.0\r\nWARC-Type: {wtype}\r\nWARC-Target-URI: http://e.com/{i}\r\n"
        f"WARC-Date: 2019-01-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:beam-{i}>\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + body + b"\r\n\r\n")


def fixtures(d) -> dict[str, tuple[str, list[str], dict[str, int]]]:
    """source -> (input path, expected ids, expected skip counters)."""
    out = {}
    p = d / "cc.warc.wet.gz"
    p.write_bytes(
        wet_record("warcinfo", 0, b"x")
        + wet_record("conversion", 1, b"hello")
        + wet_record("conversion", 2, b"bad \xff")
        + wet_record("conversion", 3, b"world")
    )
    out["common_crawl"] = (str(p), ["urn:uuid:beam-1", "urn:uuid:beam-3"], {"skip.invalid_utf8": 1})
    p = d / "c4-train.json.gz"
    p.write_bytes(gzip.compress(b'{"text": "a", "url": "u"}\n{oops\n{"text": "b"}\n'))
    out["c4"] = (str(p), ["c4-train:1", "c4-train:3"], {"skip.malformed_json": 1})
    p = d / "gh.jsonl"
    p.write_text(
        json.dumps({"repo_name": "o/r", "path": "a.py", "content": "x=1\n", "license": "mit"})
        + "\n"
        + json.dumps({"repo_name": "o/r", "path": "b.py"})
        + "\n"
    )
    from pipeline.document import stable_id

    out["github"] = (str(p), [stable_id("o/r", "a.py")], {"skip.missing_field": 1})
    p = d / "enwiki-x.xml.bz2"
    pages = "".join(
        f"<page><title>T{i}</title><ns>{ns}</ns><id>{i}</id><revision><text>body {i}</text></revision></page>"
        for i, ns in [(1, 0), (2, 4), (3, 0)]
    )
    p.write_bytes(bz2.compress(f"<mediawiki><siteinfo><dbname>enwiki</dbname></siteinfo>{pages}</mediawiki>".encode()))
    out["wikipedia"] = (str(p), ["en:1", "en:3"], {"skip.non_article_namespace": 1})
    p = d / "pg11.txt"
    p.write_text("Title: Alice\n\n[EBook #11]\n\nAlice was beginning...\n")
    out["books"] = (str(p), ["gutenberg:11"], {})
    p = d / "1234.5678.tex"
    p.write_text("\\documentclass{article}\\begin{document}\\section{A}x\\end{document}\n")
    out["arxiv"] = (str(p), ["arxiv:1234.5678"], {})
    site = d / "cooking.stackexchange.com"
    site.mkdir()
    p = site / "Posts.xml"
    p.write_text(
        '<posts><row Id="1" PostTypeId="1" Score="2" Body="q" Title="t"/>'
        '<row Id="2" PostTypeId="2" ParentId="1" Score="x" Body="a"/>'
        '<row Id="3" PostTypeId="2" ParentId="1" Score="1" Body="b"/></posts>'
    )
    out["stackexchange"] = (
        str(p),
        ["cooking.stackexchange.com:1", "cooking.stackexchange.com:3"],
        {"skip.bad_score": 1},
    )
    return out


def test_all_readers_in_a_beam_pipeline(tmp_path):
    cases = fixtures(tmp_path)
    p = TestPipeline(options=beam.options.pipeline_options.PipelineOptions(["--runner=DirectRunner"]))
    for source, (path, ids, _) in cases.items():
        docs = p | f"Create:{source}" >> beam.Create([path]) | f"Read:{source}" >> beam.ParDo(ReadFiles(source))
        assert_that(docs | f"Id:{source}" >> beam.Map(lambda doc: doc.id), equal_to(ids), label=f"Check:{source}")
    result = p.run()
    result.wait_until_finish()
    for source, (_, ids, skips) in cases.items():
        counters = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE).with_step(f"Read:{source}"))[
            "counters"
        ]
        got = {c.key.metric.name: c.committed for c in counters}
        assert got.get("read") == len(ids), source
        assert got.get("files") == 1, source
        assert {k: v for k, v in got.items() if k.startswith("skip.")} == skips, source
