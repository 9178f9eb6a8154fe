"""Mixture config and planner: Table 1 reproduced at 1.4T, the 1T epochs, targets, flags, CLI output."""

from __future__ import annotations

import json
import os

import pytest
from synthetic_tokens import write_tokens

from mixtures.config import ConfigError, config_from_dict, load_config, parse_tokens
from mixtures.plan import make_plan, plan_for_tokens
from pipeline.app.cli import main
from pipeline.document import SOURCES

TABLE1 = {  # source: (proportion %, epochs at 1.4T, disk bytes), LLaMA paper Table 1
    "common_crawl": (67.0, 1.10, 3.3e12),
    "c4": (15.0, 1.06, 783e9),
    "github": (4.5, 0.64, 328e9),
    "wikipedia": (4.5, 2.45, 83e9),
    "books": (4.5, 2.23, 85e9),
    "arxiv": (2.5, 1.06, 92e9),
    "stackexchange": (2.0, 1.03, 78e9),
}
EPOCHS_1T = {
    "common_crawl": 0.79,
    "c4": 0.76,
    "github": 0.46,
    "wikipedia": 1.75,
    "books": 1.59,
    "arxiv": 0.76,
    "stackexchange": 0.74,
}


def test_config_holds_table1_with_provenance():
    cfg = load_config()
    assert [s.name for s in cfg.sources] == list(SOURCES)
    for s in cfg.sources:
        pct, epochs, disk = TABLE1[s.name]
        assert s.proportion == pytest.approx(pct / 100)
        assert s.epochs_at_reference == epochs
        assert s.disk_bytes == disk
    assert abs(sum(s.proportion for s in cfg.sources) - 1) <= 1e-9
    assert cfg.reference_tokens == 1_400_000_000_000
    assert "2302.13971" in cfg.provenance["paper"] and "Table 1" in cfg.provenance["table"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"github": {"proportion_percent": 5.5}}, "sum to"),
        ({"reddit": {"proportion_percent": 1.0}}, "unknown source"),
        ({"books": {"proportion_percent": 0.0}}, "outside"),
    ],
)
def test_config_validation(change, message):
    raw = {"sources": {n: {"proportion_percent": p, "epochs_at_reference": e} for n, (p, e, _) in TABLE1.items()}}
    raw["sources"].update(change)
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


@pytest.mark.parametrize(
    "text, n",
    [
        ("1.4T", 1_400_000_000_000),
        ("1T", 10**12),
        ("300M", 300_000_000),
        ("2.5k", 2500),
        ("7B", 7 * 10**9),
        ("12345", 12345),
    ],
)
def test_parse_tokens(text, n):
    assert parse_tokens(text) == n


@pytest.mark.parametrize("bad", ["", "1.4X", "-3M", "abc", "0"])
def test_parse_tokens_rejects(bad):
    with pytest.raises(ValueError):
        parse_tokens(bad)


def test_paper_plan_reproduces_table1_epochs_at_1_4T():
    plan = make_plan(load_config(), parse_tokens("1.4T"))
    for s in plan.sources:
        assert round(s.epochs, 2) == TABLE1[s.name][1], s.name
        assert s.budget_tokens == round(TABLE1[s.name][0] / 100 * 1.4e12)
    rows = plan.by_name()
    assert (rows["wikipedia"].whole_passes, round(rows["wikipedia"].fraction, 2)) == (2, 0.45)
    assert (rows["github"].whole_passes, round(rows["github"].fraction, 2)) == (0, 0.64)
    assert plan.num_shards == 1400 and plan.bin_bytes == 2 * 1_400_000_000_000
    assert not [s for s in plan.sources if s.data_starved]


def test_paper_plan_at_1T():
    plan = make_plan(load_config(), parse_tokens("1T"))
    assert {s.name: round(s.epochs, 2) for s in plan.sources} == EPOCHS_1T
    # same proportions, so the epochs scale by 1/1.4 exactly
    for s in plan.sources:
        assert s.epochs == pytest.approx(TABLE1[s.name][1] / 1.4, rel=1e-9)


def test_data_starved_flag():
    plan = make_plan(load_config(), parse_tokens("3T"), max_epochs=4)
    starved = {s.name for s in plan.sources if s.data_starved}
    assert starved == {"wikipedia", "books"}  # 2.45 x 3/1.4 = 5.25 and 4.78 epochs
    assert make_plan(load_config(), parse_tokens("3T"), max_epochs=6).to_json()["data_starved"] == []


def test_cli_plan_json_schema(capsys):
    assert main(["mixture", "plan", "--available", "paper", "--target", "1.4T", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["target_tokens"] == 1_400_000_000_000
    assert list(out["sources"]) == list(SOURCES)
    wiki = out["sources"]["wikipedia"]
    assert {
        "proportion",
        "available_tokens",
        "budget_tokens",
        "epochs",
        "whole_passes",
        "fraction",
        "data_starved",
    } <= set(wiki)
    assert round(wiki["epochs"], 2) == 2.45 and wiki["proportion"] == pytest.approx(0.045)


def test_cli_plan_table(capsys):
    assert main(["mixture", "plan", "--target", "1T"]) == 0
    text = capsys.readouterr().out
    cc = next(line for line in text.splitlines() if line.startswith("common_crawl"))
    assert " 0.79 " in cc and "67.0" in cc
    assert "1000 shard(s)" in text


def test_plan_from_token_folder(tmp_path, capsys):
    write_tokens(str(tmp_path), {"common_crawl": 50, "wikipedia": 10}, mean_len=40, parts=2)
    plan, summaries = plan_for_tokens(load_config(), str(tmp_path), 10_000, 4_000, 4.0)
    rows = plan.by_name()
    assert rows["common_crawl"].available_tokens == summaries["common_crawl"].tokens > 0
    assert rows["common_crawl"].available_documents == 50
    assert rows["wikipedia"].epochs == pytest.approx(450 / summaries["wikipedia"].tokens)
    assert rows["c4"].missing and "c4" in plan.to_json()["missing"]
    assert plan.num_shards == 3
    assert main(["mixture", "plan", "--available", str(tmp_path), "--target", "10K"]) == 0
    assert "MISSING" in capsys.readouterr().out


def _bench_json(path, rows: dict[int, float], disk: float = 1000.0) -> str:
    data = {
        "machine": "testbox",
        "date": "2026-01-02",
        "write_mb_per_s": rows[1],
        "disk_mb_per_s": disk,
        "mean_doc_bytes": 1300.0,
        "workers": {str(n): {"write_mb_per_s": v} for n, v in rows.items()},
    }
    path.write_text(json.dumps(data))
    return str(path)


def test_estimate_uses_measured_speed_per_worker_count(tmp_path):
    from mixtures.estimate import estimate

    speeds = _bench_json(tmp_path / "m.json", {1: 400.0, 2: 800.0}, disk=1200.0)
    plan = make_plan(load_config(), parse_tokens("1T"))
    one = estimate(plan, 1, speeds)
    assert one.bin_bytes == 2 * 10**12 and one.index_bytes is None  # paper plan: no document count
    assert one.seconds == pytest.approx(2e12 / 400e6)
    assert "measured with 1 worker(s)" in one.speed.source and "m.json" in one.speed.source
    two = estimate(plan, 2, speeds)
    assert two.seconds == pytest.approx(2e12 / 800e6) and "measured with 2 worker(s)" in two.speed.source
    three = estimate(plan, 3, speeds)  # 800 x 3/2 = 1200, exactly the disk: not capped
    assert three.speed.mb_per_s == pytest.approx(1200.0) and "extrapolated from 800 MB/s" in three.speed.source
    eight = estimate(plan, 8, speeds)
    assert eight.speed.mb_per_s == 1200.0 and "capped at the disk speed" in eight.speed.source


def test_estimate_without_bench_result_says_it_assumes(tmp_path):
    from mixtures.estimate import DEFAULT_MB_PER_S, estimate

    plan = make_plan(load_config(), parse_tokens("1.4T"))
    e = estimate(plan, 2, str(tmp_path / "none.json"))
    assert e.speed.mb_per_s == 2 * DEFAULT_MB_PER_S
    assert e.speed.source.startswith("assumed") and "none.json" in e.speed.source


def test_estimate_counts_index_bytes_and_one_worker_per_shard(tmp_path):
    from mixtures.estimate import estimate

    write_tokens(str(tmp_path / "t"), {n: 20 for n in SOURCES}, mean_len=50)
    plan, _ = plan_for_tokens(load_config(), str(tmp_path / "t"), 30_000, 20_000, 100.0)
    e = estimate(plan, 8, _bench_json(tmp_path / "m.json", {1: 100.0}))
    assert plan.num_shards == 2 and e.workers == 2 and e.capped_workers
    docs = plan.documents_estimate
    assert e.index_bytes == plan.idx_bytes_estimate + docs and e.total_bytes == plan.bin_bytes + e.index_bytes


def test_cli_plan_prints_bytes_and_wall_time(tmp_path, capsys):
    speeds = _bench_json(tmp_path / "m.json", {1: 400.0, 2: 800.0})
    assert main(["mixture", "plan", "--target", "1.4T", "--workers", "2", "--speed-json", speeds]) == 0
    text = capsys.readouterr().out
    assert "writes 2.80 TB" in text and "with 2 worker(s): 58 min at 800 MB/s" in text
    assert "measured with 2 worker(s)" in text and "testbox" in text
    assert main(["mixture", "plan", "--target", "1T", "--json", "--speed-json", speeds]) == 0
    est = json.loads(capsys.readouterr().out)["estimate"]
    assert est["workers"] == 1 and est["mb_per_s"] == 400.0 and est["seconds"] == pytest.approx(5000.0)


def test_build_dry_run_prints_the_estimate(tmp_path, capsys):
    write_tokens(str(tmp_path / "t"), {n: 20 for n in SOURCES}, mean_len=50)
    speeds = _bench_json(tmp_path / "m.json", {1: 400.0, 2: 800.0})
    args = ["mixture", "build", "--tokens", str(tmp_path / "t"), "--target", "30K", "--output", str(tmp_path / "o")]
    assert main([*args, "--shard-tokens", "10K", "--workers", "2", "--speed-json", speeds, "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "expected wall time with 2 worker(s)" in text and "at 800 MB/s" in text and "Stages:" in text
    assert not os.path.exists(tmp_path / "o")


def test_workers_in_beam_args():
    from mixtures.job import workers_in

    assert workers_in(["--runner=DirectRunner"]) == 1
    assert workers_in(["--direct_running_mode=multi_processing", "--direct_num_workers=4"]) == 4
    assert workers_in(["--runner=DataflowRunner", "--max_num_workers=50"]) == 50
