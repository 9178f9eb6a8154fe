"""CCNet line dedup: the numpy arithmetic (filters/dedup.py) and the file-granular two-pass Beam job
(pipeline/beam/line_dedup.py) run through the CLI on small WET files, in both semantics."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from wet_fixture import write_wet

from filters.dedup import file_summary, find_duplicates, keep_masks, line_keys, split_by_prefix
from pipeline.app.cli import main
from pipeline.store import read_documents

FILLER = "This sentence is only here so that the page passes the minimum length of the job. " * 4


def _keep(docs: list[str], semantics: str) -> list[str]:
    """Dedup a list of documents as one file, through the same functions the job uses."""
    parts = [line_keys(d, hash_empty=semantics == "ccnet") for d in docs]
    nlines = np.array([len(p) for p in parts])
    keys = np.concatenate(parts)
    uniq, flags = file_summary(keys, nlines, semantics)
    marks, _, _ = find_duplicates([(0, uniq, flags)])
    dups = marks[0][1] if marks else keys[:0]
    keep = keep_masks(keys, nlines, np.unique(dups), semantics)
    out, start = [], 0
    for d, n in zip(docs, nlines):
        lines = d.split("\n")
        out.append("\n".join(line for line, k in zip(lines, keep[start : start + n]) if k))
        start += n
    return out


def test_keys_are_ccnet_sha1_as_little_endian_uint64() -> None:
    import hashlib

    (k,) = line_keys("Hello 2020")
    assert int(k) == int.from_bytes(hashlib.sha1(b"hello 0000").digest()[:8], "little")


def test_paper_removes_every_copy_even_inside_one_document() -> None:
    docs = ["Menu | Home\nAlpha is first.\nrepeat me\nRepeat me", "menu | home\nBeta is second."]
    assert _keep(docs, "paper") == ["Alpha is first.", "Beta is second."]


def test_ccnet_counts_documents_and_keeps_the_first_copy_inside_a_document() -> None:
    docs = ["Menu | Home\nAlpha is first.\nrepeat me\nRepeat me\n\n", "menu | home\nBeta is second."]
    # the repeat exists in one document only: its first copy stays; the empty lines hash like any line
    assert _keep(docs, "ccnet") == ["Alpha is first.\nrepeat me\n", "Beta is second."]


def test_empty_normalised_lines_go_in_paper_semantics() -> None:
    assert _keep(["one line\n\n…\nanother line"], "paper") == ["one line\nanother line"]


def test_prefix_shards_give_the_same_duplicates() -> None:
    rng = np.random.default_rng(0)
    files = [rng.integers(1, np.iinfo(np.uint64).max, 500, dtype=np.uint64) for _ in range(3)]
    files[1][:50] = files[0][:50]
    files[2][100:110] = files[1][100:110]
    summaries = [file_summary(k, [len(k)], "paper") for k in files]

    def marks(bits: int) -> dict[int, set[int]]:
        shards: dict[int, list] = {}
        for i, (u, f) in enumerate(summaries):
            for prefix, sl in split_by_prefix(u, bits):
                shards.setdefault(prefix, []).append((i, u[sl], f[sl]))
        out: dict[int, set[int]] = {}
        for parts in shards.values():
            for i, keys in find_duplicates(parts)[0]:
                out.setdefault(i, set()).update(int(x) for x in keys)
        return out

    whole = marks(0)
    assert len(whole[0]) == 50 and len(whole[1]) == 60 and len(whole[2]) == 10
    assert marks(4) == whole and len({p for p, _ in split_by_prefix(summaries[0][0], 4)}) > 8


# --- the Beam job on WET files ---


@pytest.fixture()
def wet_files(tmp_path) -> list[str]:
    a = [
        ("https://a/1", f"Title one\nNav Bar\nFirst page text.\nSaid twice.\nSaid twice.\n{FILLER}one"),
        ("https://a/2", f"Title two\nnav bar\nSecond page text.\n{FILLER}two"),
    ]
    b = [("https://b/1", f"Title three\nNAV BAR\nThird page text.\n{FILLER}three")]
    paths = [str(tmp_path / "a.warc.wet.gz"), str(tmp_path / "b.warc.wet.gz")]
    write_wet(paths[0], a)
    write_wet(paths[1], b, start=10)
    return paths


def _run(files: list[str], out: str, *extra: str) -> dict[str, str]:
    assert main(["run", "common_crawl", "--input", *files, "--output", out, "--stop-after", "dedup", *extra]) == 0
    return {d.meta["url"]: d.text for d in read_documents(out)}


def test_job_paper_semantics(wet_files: list[str], tmp_path) -> None:
    out = _run(wet_files, str(tmp_path / "paper"))
    assert out["https://a/1"].split("\n")[:2] == ["Title one", "First page text."]  # nav bar and both repeats go
    assert out["https://b/1"].startswith("Title three\nThird page text.")  # the nav bar of file a, in capitals
    names = sorted(os.listdir(tmp_path / "paper"))
    assert names == ["part-00000-of-00002.parquet", "part-00001-of-00002.parquet", "stats.json"]  # no keys left
    stats = json.load(open(tmp_path / "paper" / "stats.json"))
    assert stats["read"] == 3 and stats["kept"] == 3 and stats["dedup.duplicated_keys"] == 2


def test_job_ccnet_semantics(wet_files: list[str], tmp_path) -> None:
    out = _run(wet_files, str(tmp_path / "ccnet"), "--semantics", "ccnet")
    # the first line is the title, not text; a repeat inside one page keeps its first copy
    assert out["https://a/1"].split("\n")[:2] == ["First page text.", "Said twice."]
    titles = {d.meta["title"] for d in read_documents(str(tmp_path / "ccnet"))}
    assert titles == {"Title one", "Title two", "Title three"}


def test_job_output_does_not_depend_on_prefix_shards_or_groups(wet_files: list[str], tmp_path) -> None:
    base = _run(wet_files, str(tmp_path / "bits0"), "--dedup-prefix-bits", "0")
    assert _run(wet_files, str(tmp_path / "bits5"), "--dedup-prefix-bits", "5") == base
    for name in ("part-00000-of-00002.parquet", "part-00001-of-00002.parquet"):
        assert (tmp_path / "bits0" / name).read_bytes() == (tmp_path / "bits5" / name).read_bytes()
    # groups of one file: the nav bar line shared across the two files survives in b
    grouped = _run(wet_files, str(tmp_path / "g1"), "--dedup-group-files", "1")
    assert "NAV BAR" in grouped["https://b/1"] and grouped != base


def test_no_dedup_is_one_pass_with_every_line(wet_files: list[str], tmp_path) -> None:
    out = _run(wet_files, str(tmp_path / "nodedup"), "--no-dedup")
    assert out["https://a/1"].count("Said twice.") == 2


# --- accounting ---


def test_every_file_is_accounted_and_balances(wet_files: list[str], tmp_path) -> None:
    _run(wet_files, str(tmp_path / "acc"))
    stats = json.load(open(tmp_path / "acc" / "stats.json"))
    assert stats["accounting"] == "balanced" and set(stats["per_file"]) == set(wet_files)
    a = stats["per_file"][wet_files[0]]
    assert a["read"] == 2 and a["kept"] == 2 and a["dropped"] == {} and a["skipped"] == {}
    assert not os.path.exists(tmp_path / "acc" / ".work")  # keys, marks and tallies are cleaned up


def test_an_unreadable_file_is_counted_and_the_others_go_on(wet_files: list[str], tmp_path, monkeypatch) -> None:
    import pipeline.sources.common_crawl as reader

    real = reader.read

    def breaks_on_b(path, skip, **kw):  # noqa: ANN001, ANN202
        for i, doc in enumerate(real(path, skip, **kw)):
            if path.endswith("b.warc.wet.gz") and i == 0:
                raise OSError("disk says no")
            yield doc

    monkeypatch.setattr(reader, "read", breaks_on_b)
    out = _run(wet_files, str(tmp_path / "broken"))
    assert set(out) == {"https://a/1", "https://a/2"}  # file a's pages are all kept
    stats = json.load(open(tmp_path / "broken" / "stats.json"))
    assert stats["skipped"] == {"unreadable_file": 1} and stats["accounting"] == "balanced"
    (err,) = stats["per_file"][wet_files[1]]["errors"]
    assert err["error"] == "OSError" and err["after_records"] == 0
    # where in the file it failed: past the first record, not past the end
    assert 0 < err["byte_offset"] <= os.path.getsize(wet_files[1])
    with pytest.raises(Exception, match="disk says no"):
        main(["run", "common_crawl", "--input", *wet_files, "--output", str(tmp_path / "strict"), "--strict"])


def test_a_killed_run_rerun_gives_the_output_of_an_unbroken_run(tmp_path) -> None:
    import signal
    import subprocess
    import sys
    import time

    files = []
    for f in range(6):
        pages = [(f"https://k/{f}/{i}", f"Page {f} {i}\nshared menu line\n{FILLER} {f} {i} x") for i in range(400)]
        files.append(str(tmp_path / f"k{f}.warc.wet.gz"))
        write_wet(files[-1], pages, start=f * 1000)
    argv = ["run", "common_crawl", "--input", *files, "--stop-after", "dedup", "--output"]
    assert main([*argv, str(tmp_path / "whole")]) == 0
    out = tmp_path / "killed"
    env = {**os.environ, "BEAM_DIRECT_RUNNER_DISABLE_PRISM": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.app.cli", *argv, str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob("part-*.parquet")) and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # mid-write: the first shard has just appeared
    proc.wait()
    assert not (out / "stats.json").exists()
    assert main([*argv, str(out)]) == 0
    whole = sorted(p.name for p in (tmp_path / "whole").glob("part-*"))
    assert whole == sorted(p.name for p in out.glob("part-*")) and len(whole) == 6
    for name in whole:
        assert (tmp_path / "whole" / name).read_bytes() == (out / name).read_bytes()
    assert not [p for p in out.iterdir() if p.name.startswith(".") or ".tmp" in p.name]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--langs", "xx"], "--langs xx: not a language lid.176 predicts"),
        (["--lm-dir", "/nonexistent"], "--lm-dir /nonexistent: no perplexity model for en"),
        (["--quality-model", "/nonexistent.bin"], "--quality-model /nonexistent.bin: no such file"),
        (["--lid-model", "/nonexistent.ftz"], "--lid-model /nonexistent.ftz: no such file"),
    ],
)
def test_option_mistakes_are_one_line_errors(wet_files: list[str], tmp_path, capsys, extra, message) -> None:
    assert main(["run", "common_crawl", "--input", *wet_files, "--output", str(tmp_path / "o"), *extra]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"llama-data: error: {message}") and not any("Traceback" in x for x in err)


def test_output_that_is_a_file_is_a_one_line_error(wet_files: list[str], tmp_path, capsys) -> None:
    (tmp_path / "f").write_text("x")
    assert main(["run", "common_crawl", "--input", *wet_files, "--output", str(tmp_path / "f")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"llama-data: error: --output {tmp_path / 'f'} is a file; give a folder (it is created if missing)"
    )


def test_cutoffs_mistakes_are_one_line_errors(wet_files: list[str], tmp_path, capsys) -> None:
    from filters.perplexity import lm_paths

    models = tmp_path / "lm"
    models.mkdir()
    for p in lm_paths(str(models), "en"):  # present: the cutoffs are checked before anything is loaded
        open(p, "wb").close()
    bad = tmp_path / "cutoffs.json"
    base = ["run", "common_crawl", "--input", *wet_files, "--output", str(tmp_path / "o")]
    for content, extra, message in [
        ("garbage\n", [], "--cutoffs sets the perplexity buckets: it needs --lm-dir"),
        ("garbage\n", ["--lm-dir", str(models)], f"{bad}: not a cutoffs file (JSON such as"),
        ("[1, 2]", ["--lm-dir", str(models)], f"{bad}: not a cutoffs file (JSON such as"),
        ('{"en": {"p30": 600, "p60": 500}}', ["--lm-dir", str(models)], f"{bad}: en p30 600.0 > p60 500.0"),
    ]:
        bad.write_text(content)
        assert main([*base, "--cutoffs", str(bad), *extra]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"llama-data: error: {message}"), err
