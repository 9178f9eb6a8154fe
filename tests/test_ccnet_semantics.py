"""bench/check_ccnet_semantics.py: its comparison arithmetic and its edge-case file, without cc_net; and,
where a cc_net checkout is given in CCNET_SRC (plus CCNET_DEPS for the packages its modules import), the
check itself on the sample WET files."""

from __future__ import annotations

import importlib.util
import os
from collections import Counter

from filters.ccnet import CCNetPage
from pipeline.document import Document
from pipeline.sources import reader_for
from pipeline.sources.base import SkipCounter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_check():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location(
        "check_ccnet_semantics", os.path.join(REPO, "bench", "check_ccnet_semantics.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load_check()


def _ours(url: str, text: str, **meta: object) -> Document:
    return Document(url, "common_crawl", text, {"url": url, "digest": "sha1:" + url, **meta})


def _cc(url: str, text: str, **fields: object) -> dict:
    return {"url": url, "digest": "sha1:" + url, "raw_content": text, **fields}


def test_comparison_counts_each_kind_of_difference() -> None:
    same = dict(title="T", perplexity=300.0, lang="en", lang_score=0.9, bucket="head")
    cc_same = dict(title="T", perplexity=300.05, language="en", language_score=0.9, bucket="head")
    ours = [
        _ours("a", "x\ny", **same),
        _ours("b", "x\nz", **{**same, "perplexity": 310.0, "bucket": "middle"}),
        _ours("only-ours", "q", **same),
    ]
    cc = [_cc("a", "x\ny", **cc_same), _cc("b", "x\nw", **cc_same), _cc("only-cc", "r", **cc_same)]
    comp = check.Comparison("ccnet", ours, cc, examples=2)
    assert (comp.n_ours, comp.n_cc, len(comp.shared)) == (3, 3, 2)
    assert comp.only_ours == [("only-ours", "sha1:only-ours")] and comp.only_cc == [("only-cc", "sha1:only-cc")]
    assert comp.agree["text"] == 1 and comp.agree["perplexity"] == 1 and comp.agree["bucket"] == 1
    assert comp.agree["title"] == comp.agree["lang_score"] == comp.agree["language"] == 2
    assert "-z" in comp.examples["text"][0] and "+w" in comp.examples["text"][0]
    assert comp.differs()
    assert not check.Comparison("ccnet", ours[:1], cc[:1], examples=1).differs()


def test_stage_counts_and_unknown_drops() -> None:
    stats = {"read": 10, "dropped": {"too_short": 1, "dedup_empty": 2, "lang_score_low": 1, "bucket_tail": 3, "x": 1}}
    passing, other = check.stage_counts(stats)
    assert passing == [10, 9, 7, 6, 6, 6, 3]
    assert other == {"x": 1}
    comp = check.Comparison("ccnet", [], [], examples=1)
    comp.add_stages(stats, Counter(read=10, parsed=9, dedup=7, lid=6, keep_lang=6, perplexity=6, keep_bucket=3))
    assert comp.differs()  # only by the unknown drop reason
    comp.other_drops = {}
    assert not comp.differs()


def test_cutoff_csv_is_ccnets_layout(tmp_path) -> None:
    src = tmp_path / "cutoffs.json"
    src.write_text('{"en": {"p30": 340, "p60": 520.5, "documents": 9}}')
    check.write_cutoff_csv(str(src), tmp_path / "cutoff.csv")
    assert (tmp_path / "cutoff.csv").read_text() == ",en\n30,340.0\n60,520.5\n"


def test_edge_case_file_reads_as_released_ccnet_reads_it(tmp_path) -> None:
    """What bench/check_ccnet_semantics.py found running cc_net's own reader on this file: a body that does
    not end with a line break keeps one empty last line (so a 299-character page counts 300), and a
    line "WARC/1.0" inside a page ends the page."""
    path = tmp_path / "edge.warc.wet.gz"
    check.write_edge_cases(path)
    skips = SkipCounter()
    docs = {d.meta["url"]: CCNetPage()(d) for d in reader_for("common_crawl")(str(path), skips, raw_body=True)}
    assert not skips.counts
    assert len(docs) == len(check.edge_case_pages())
    short = docs["http://edge.test/min-len-299"].text
    assert len(short) == 300 and short.endswith("\n")
    assert docs["http://edge.test/leading-blank-line"].meta["title"] == ""
    cut = docs["http://edge.test/warc-line"].text
    assert "WARC/1.0" not in cut.split("\n") and len(cut.split("\n")) == 4  # the page stops after its 4th line
