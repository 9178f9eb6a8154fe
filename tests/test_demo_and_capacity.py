"""`llama-data demo` end to end on a reduced setting (small mixture, few training steps), its rerun
skipping finished stages, and the capacity planner's arithmetic on given bench results and on the
figures shipped with the package."""

from __future__ import annotations

import glob
import json
import os

import pytest

from pipeline.app.cli import main


def test_demo_reduced_setting(tmp_path, capsys) -> None:
    out = str(tmp_path / "demo")
    argv = ["demo", "--out", out, "--target", "400K", "--steps", "4", "--vocab-size", "1000"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "llama-data demo summary" in text and "mixture shares (built) against Table 1" in text
    manifest = json.load(open(os.path.join(out, "mixtures", "sample", "manifest.json")))
    for name, row in manifest["sources"].items():
        assert abs(row["share"] - row["proportion"]) * 100 < 0.5, name
    summary = json.load(open(os.path.join(out, "train", "summary.json")))
    assert summary["steps"] == 4 and summary["last_loss"] < summary["first_loss"] + 0.5
    report = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    assert report.count("data:image/png;base64,") == 5
    for source in ("common_crawl", "c4", "github", "wikipedia", "books", "arxiv", "stackexchange"):
        stats = json.load(open(os.path.join(out, "clean", source, "stats.json")))
        assert stats["kept"] > 0, source
    # CCNet's per-language output: English and German, each bucketed by its own model
    by_lang = json.load(open(os.path.join(out, "by_lang", "common_crawl", "stats.json")))
    assert set(by_lang["kept_by_lang"]) == {"en", "de"} and by_lang["accounting"] == "balanced"
    for lang in ("en", "de"):
        assert os.path.exists(os.path.join(out, "models", "lm", f"{lang}.arpa.bin"))
        assert glob.glob(os.path.join(out, "by_lang", "common_crawl", lang, "part-*.parquet"))
    # what the CommonCrawl job dropped (a quarter of it, chosen by id), and why
    cc_stats = json.load(open(os.path.join(out, "clean", "common_crawl", "stats.json")))
    assert cc_stats["steps"]["lid"]["dropped"]["lang_not_selected"] > 0
    assert main(["inspect", os.path.join(out, "clean", "common_crawl"), "--dropped", "lang_not_selected"]) == 0
    shown = capsys.readouterr().out
    assert "lid/lang_not_selected" in shown and "[lid/lang_not_selected]" in shown
    # decontamination over every cleaned output: the three planted passages found, the questions not
    decon = json.load(open(os.path.join(out, "decontaminated", "decontamination", "summary.json")))
    quiz = decon["eval_sets"]["demo_quiz"]
    assert quiz["items_found"] == 3 and 3 <= decon["documents_removed"] and quiz["documents_removed"] >= 3
    assert "Decontamination against evaluation sets" in report and "demo_quiz" in text
    # a rerun with the same inputs skips every stage
    assert main(argv) == 0
    rerun = capsys.readouterr().out
    assert rerun.count("up to date, skipped") >= 15 and "stages: {}" in rerun


def _results(folder: str) -> None:
    os.makedirs(folder)
    stage = lambda name, mb: {"stage": name, "mb_per_s": mb}  # noqa: E731
    cc = {
        "machine": "t",
        "documents": 100,
        "mb": 1.0,
        "job_pipeline_docs_per_s": 100.0,
        "dedup_removed_char_share": 0.5,
        "stages": [
            stage("dedup normalise+sha1", 10.0),
            stage("language id (fastText)", 5.0),
            stage("perplexity (SP + KenLM)", 2.0),
            stage("reference classifier", 10.0),
        ],
    }
    json.dump(cc, open(os.path.join(folder, "cc.json"), "w"))
    json.dump({"encode_mb_per_s": 5.0}, open(os.path.join(folder, "tokenizer.json"), "w"))


def test_capacity_from_measured_results(tmp_path, capsys) -> None:
    res = str(tmp_path / "results")
    _results(res)
    assert main(["capacity", "--target", "1.4T", "--workers", "1000", "--results", res, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    rows = {(r["source"], r["stage"]): r for r in plan["stages"]}
    # line dedup: 5 dumps x 24 TB at 10 MB/s per core
    assert rows[("common_crawl", "line dedup")]["cpu_hours"] == pytest.approx(120e6 / 10 / 3600)
    # the job ran at 1 MB/s: the runner overhead makes the CommonCrawl total exactly 120 TB at 1 MB/s
    cc_total = sum(r["cpu_hours"] for r in plan["stages"] if r["source"] == "common_crawl")
    assert cc_total == pytest.approx(120e6 / 1.0 / 3600)
    assert plan["wall_hours"] == pytest.approx(plan["cpu_hours"] / 1000)
    assert plan["disk_tb"]["mixture"] == pytest.approx(2.8)
    assert any("24.0 TB" in a for a in plan["assumptions"])


def test_capacity_needs_bench_results(tmp_path) -> None:
    os.makedirs(tmp_path / "empty")
    assert main(["capacity", "--results", str(tmp_path / "empty")]) == 1


def _publisher():
    """bench/publish_results.py, the script that copies bench figures into the package data."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "publish_results.py")
    spec = importlib.util.spec_from_file_location("publish_results", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_published_fields_hold_everything_the_product_reads(tmp_path) -> None:
    """The shipped copies keep only MEASURED_FIELDS: on the checkout's full bench results, the trimmed
    copies must give the same capacity plan and the same mixture writer speeds as the full files."""
    from mixtures.estimate import writer_speed
    from pipeline.app.capacity import load_results, plan

    pub = _publisher()
    bench = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "results")
    full = load_results(bench)
    trimmed = {stem: pub.pick(full[stem], fields) for stem, _, fields in pub.targets() if stem in full}
    assert {"cc", "sources_a", "sources_b", "tokenizer", "dedup_scaling", "mixture"} <= set(trimmed)
    assert len(json.dumps(trimmed)) < len(json.dumps({k: full[k] for k in trimmed})) / 5
    assert plan(1.4e12, 1000, 0.04, trimmed) == plan(1.4e12, 1000, 0.04, full)
    small = tmp_path / "mixture.json"
    small.write_text(json.dumps(trimmed["mixture"]))
    for workers in (1, 2, 3, 64):
        a, b = writer_speed(workers, str(small)), writer_speed(workers, os.path.join(bench, "mixture.json"))
        assert a.mb_per_s == b.mb_per_s and a.source.split(": ", 1)[0] == b.source.split(": ", 1)[0]


def test_capacity_defaults_to_the_packaged_figures(capsys) -> None:
    from mixtures.estimate import DEFAULT_RESULTS
    from pipeline.app.capacity import MEASURED_DIR

    assert os.path.exists(os.path.join(MEASURED_DIR, "cc.json"))
    assert main(["capacity", "--target", "1T", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["target_tokens"] == 1e12 and any(m.startswith("CommonCrawl stages on") for m in got["measured"])
    mixture_write = next(r for r in got["stages"] if r["stage"] == "mixture write")
    with open(DEFAULT_RESULTS, encoding="utf-8") as f:  # the mixture writer's speed, shipped beside its module
        assert mixture_write["mb_per_s_per_core"] == json.load(f)["write_mb_per_s"]
