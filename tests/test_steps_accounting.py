"""One step contract with full accounting: every job's stats.json has, per step, what went in and out,
the drops by reason and the lines and characters removed; `--write-dropped` keeps the dropped documents
(with step and reason) and `llama-data inspect OUTPUT --dropped REASON` shows them."""

from __future__ import annotations

import pytest
from wet_fixture import write_wet

from pipeline.app.cli import main
from pipeline.dropped import REASON, STEP, read_dropped
from pipeline.store import read_documents, read_stats

FILLER = "This sentence is only here so that the page passes the minimum length of the job. " * 4


@pytest.fixture()
def wet_files(tmp_path) -> list[str]:
    a = [
        ("https://a/1", f"Title one\nNav Bar\nFirst page text.\n{FILLER}one"),
        ("https://a/2", "Too short to keep."),
        ("https://a/3", f"Nav Bar\n{FILLER}three"),
    ]
    b = [("https://b/1", f"Title two\nNAV BAR\nSecond page text.\n{FILLER}two"), ("https://b/2", "Short.")]
    paths = [str(tmp_path / "a.warc.wet.gz"), str(tmp_path / "b.warc.wet.gz")]
    write_wet(paths[0], a)
    write_wet(paths[1], b, start=10)
    return paths


def test_common_crawl_steps_count_in_out_drops_and_removed_lines(wet_files: list[str], tmp_path) -> None:
    out = tmp_path / "cc"
    argv = ["run", "common_crawl", "--input", *wet_files, "--output", str(out), "--stop-after", "dedup"]
    assert main([*argv, "--write-dropped"]) == 0
    stats = read_stats(str(out))
    steps = stats["steps"]
    # length: 5 pages in, the two short ones dropped; dedup: the nav bar (in every page) removed
    assert steps["length"] == {"in": 5, "out": 3, "dropped": {"too_short": 2}}
    assert steps["dedup"]["in"] == 3 and steps["dedup"]["out"] == 3
    assert steps["dedup"]["lines_removed"] == 3 and steps["dedup"]["chars_removed"] == 3 * len("Nav Bar\n")
    # the steps' drops are the job's drops
    by_reason: dict[str, int] = {}
    for rec in steps.values():
        for reason, n in rec.get("dropped", {}).items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    assert by_reason == stats["dropped"] and stats["accounting"] == "balanced"
    dropped = sorted((d.meta["url"], d.meta[STEP], d.meta[REASON]) for d in read_dropped(str(out)))
    assert dropped == [("https://a/2", "length", "too_short"), ("https://b/2", "length", "too_short")]
    assert len(list(read_documents(str(out)))) == 3  # the dropped shards are not part of the output


def test_write_dropped_a_fraction_is_the_same_sample_every_run(tmp_path) -> None:
    pages = [(f"https://s/{i}", f"Short page {i}.") for i in range(60)] + [("https://s/long", f"Long\n{FILLER}")]
    wet = str(tmp_path / "s.warc.wet.gz")
    write_wet(wet, pages)
    runs = {}
    for name, extra in (("all", []), ("half", ["0.5"]), ("again", ["0.5"]), ("tenth", ["0.1"])):
        out = str(tmp_path / name)
        argv = ["run", "common_crawl", "--input", wet, "--output", out, "--stop-after", "length"]
        assert main([*argv, "--write-dropped", *extra]) == 0
        runs[name] = sorted(d.meta["url"] for d in read_dropped(out))
    assert len(runs["all"]) == 60
    assert runs["half"] == runs["again"] and 15 < len(runs["half"]) < 45  # chosen by id, not by chance
    assert set(runs["tenth"]) <= set(runs["half"]) <= set(runs["all"])
    assert read_stats(str(tmp_path / "half"))["dropped"] == {"too_short": 60}  # counts are never sampled


def test_inspect_dropped_counts_and_examples(wet_files: list[str], tmp_path, capsys) -> None:
    out = str(tmp_path / "cc")
    argv = ["run", "common_crawl", "--input", *wet_files, "--output", out, "--stop-after", "dedup", "--write-dropped"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["inspect", out, "--dropped", "too_short", "--show", "5"]) == 0
    text = capsys.readouterr().out
    assert "2 documents written" in text and "length/too_short" in text and "Too short to keep." in text
    assert main(["inspect", out, "--dropped", "bucket_tail"]) == 1
    assert "no dropped document has that reason" in capsys.readouterr().err
    plain = str(tmp_path / "plain")
    assert main(["run", "common_crawl", "--input", *wet_files, "--output", plain, "--stop-after", "dedup"]) == 0
    capsys.readouterr()
    assert main(["inspect", plain, "--dropped", "all"]) == 1
    assert "run the job with --write-dropped" in capsys.readouterr().err


def test_a_sampled_fraction_is_a_stable_subset() -> None:
    from pipeline.dropped import sampled

    ids = [f"doc-{i}" for i in range(2000)]
    half = [i for i in ids if sampled(i, 0.5)]
    assert 900 < len(half) < 1100 and half == [i for i in ids if sampled(i, 0.5)]
    assert {i for i in ids if sampled(i, 0.1)} <= set(half)  # a smaller fraction is a subset
    assert all(sampled(i, 1.0) for i in ids)
