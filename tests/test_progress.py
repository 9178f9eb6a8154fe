"""Progress of a job: worker files, the launcher's line, and the log of a real run."""

from __future__ import annotations

import logging
import os
import sys

from pipeline.progress import ProgressFile, ProgressMonitor, phase_elapsed, read_states, summarize

sys.path.insert(0, os.path.dirname(__file__))
from wet_fixture import write_wet  # noqa: E402


def test_worker_files_and_the_progress_line(tmp_path) -> None:
    hashing = ProgressFile(str(tmp_path), "hash")
    for _ in range(10):
        hashing.doc(1000)
    hashing.file_done(4000)  # 10,000 chars of text came from 4,000 input bytes
    for _ in range(5):
        hashing.doc(1000)
    hashing.write()
    states = read_states(str(tmp_path))
    assert len(states) == 1 and states[0]["docs"] == 15 and states[0]["peak_rss_mb"] > 10
    line = summarize(states, total_input=8000, passes=2, phase_elapsed={"hash": 10.0})
    # 4,000 bytes done + 5,000 chars at 0.4 bytes/char = 6,000 of 8,000
    assert "pass 1/2 (hash) 75% of" in line and "15 docs" in line and "ETA 0m03s for pass 1, then pass 2" in line
    cleaning = ProgressFile(str(tmp_path), "clean")
    cleaning.doc(500)
    cleaning.write()
    states = read_states(str(tmp_path))
    assert "pass 2/2 (clean)" in summarize(states, 8000, 2, phase_elapsed(states))


def test_no_folder_means_no_reporting(tmp_path) -> None:
    p = ProgressFile(str(tmp_path / "missing"), "read")  # e.g. a cluster worker: the folder is not there
    p.doc(10)
    p.file_done(10)
    assert not p.enabled and not os.path.exists(tmp_path / "missing")


def test_a_job_logs_progress_and_reports_peak_rss(tmp_path, monkeypatch, caplog) -> None:
    import pipeline.beam.job as job
    from pipeline.app.cli import main

    pages = [(f"https://x/{i}", f"Page {i} " + "some words of text " * 40) for i in range(300)]
    write_wet(str(tmp_path / "a.warc.wet.gz"), pages)
    monkeypatch.setattr(job, "PROGRESS_EVERY_S", 0.05)
    monkeypatch.setattr("pipeline.progress.WRITE_EVERY_S", 0.0)
    with caplog.at_level(logging.INFO, logger="llama_data.progress"):
        rc = main(["run", "common_crawl", "--input", str(tmp_path / "a.warc.wet.gz"), "--output", str(tmp_path / "o"),
                   "--stop-after", "dedup"])  # fmt: skip
    assert rc == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "llama_data.progress"]
    assert lines and all(x.startswith("progress:") for x in lines)
    import json

    stats = json.load(open(tmp_path / "o" / "stats.json"))
    assert stats["peak_rss_mb"]["total_mb"] >= stats["peak_rss_mb"]["launcher_mb"] > 50
    assert stats["read"] == 300 and stats["docs_per_second"] > 0


def test_monitor_peak_rss_counts_other_processes(tmp_path) -> None:
    import json

    (tmp_path / "clean-1-1.json").write_text(json.dumps({"phase": "clean", "pid": 1, "docs": 1, "text_bytes": 1,
        "input_done": 0, "text_done": 0, "files": 0, "started": 0, "peak_rss_mb": 300.0}))  # fmt: skip
    peak = ProgressMonitor(str(tmp_path), 1).peak_rss()
    assert peak["worker_processes"] == 1 and peak["workers_mb"] == 300.0
    assert peak["total_mb"] == peak["launcher_mb"] + 300.0


def test_every_job_reports_what_each_input_file_gave_its_reader(tmp_path) -> None:
    """A job that cleans across files (here Wikipedia, whose stats are not per file) still reports, per
    input file, the documents read and the records skipped by reason, and their total is the job's."""
    import glob
    import json

    from pipeline.app.cli import main
    from pipeline.app.samples import ensure_samples

    dumps = sorted(glob.glob(os.path.join(str(ensure_samples()), "wikipedia", "*.xml.bz2")))[:2]
    assert main(["run", "wikipedia", "--input", *dumps, "--output", str(tmp_path / "w")]) == 0
    stats = json.load(open(tmp_path / "w" / "stats.json"))
    assert set(stats["per_file"]) == set(dumps) and stats["accounting"] == "balanced"
    assert sum(f["read"] for f in stats["per_file"].values()) == stats["read"] > 0
    skipped: dict[str, int] = {}
    for f in stats["per_file"].values():
        for reason, n in f["skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + n
    assert skipped == stats["skipped"]


def test_an_empty_input_still_reports_read_and_kept(tmp_path) -> None:
    import gzip
    import json

    from pipeline.app.cli import main

    (tmp_path / "empty.warc.wet.gz").write_bytes(gzip.compress(b""))
    for source, extra in (("common_crawl", []), ("c4", ["--mode", "clean"])):
        out = tmp_path / source
        assert main(["run", source, "--input", str(tmp_path / "empty.warc.wet.gz"), "--output", str(out), *extra]) == 0
        stats = json.load(open(out / "stats.json"))
        assert (stats["read"], stats["kept"], stats["files"]) == (0, 0, 1), source


def test_a_missing_model_file_is_a_one_line_error_for_any_job(tmp_path, capsys) -> None:
    import gzip

    from pipeline.app.cli import main

    (tmp_path / "empty.warc.wet.gz").write_bytes(gzip.compress(b""))
    argv = [
        "run",
        "c4",
        "--mode",
        "clean",
        "--input",
        str(tmp_path / "empty.warc.wet.gz"),
        "--output",
        str(tmp_path / "o"),
    ]
    assert main([*argv, "--lid-model", "/nonexistent.ftz"]) == 1
    assert capsys.readouterr().err.strip() == "llama-data: error: --lid-model /nonexistent.ftz: no such file"
    assert main([*argv, "--badwords", "/nonexistent.txt"]) == 1
    assert capsys.readouterr().err.strip() == "llama-data: error: --badwords /nonexistent.txt: no such file"
