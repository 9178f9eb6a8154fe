"""The product works from an installed copy, not only from the checkout: the project is built and
installed into a temporary folder (pip, no network, no dependency reinstalled), then the command line runs
there from another working directory and must find its shipped data: the measured bench figures behind
`capacity` and `mixture plan`, Table 1, and the C4 bad-words list. Test and bench fixtures must not ship."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from pipeline.app.capacity import packaged_results, plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = ("pipeline", "filters", "tokenizer", "mixtures", "train_stub")  # pyproject's packages.find


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("installed")
    # Build from a copy, so that the build's egg-info and build/ folders never land in the checkout.
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(os.path.join(ROOT, name), src / name)
    for pkg in SHIPPED:
        shutil.copytree(os.path.join(ROOT, pkg), src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    site = base / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
    pip += ["--disable-pip-version-check", "--target", str(site), str(src)]
    r = subprocess.run(pip, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    elsewhere = base / "elsewhere"  # neither the checkout nor the install: nothing found by accident
    elsewhere.mkdir()
    # PYTHONPATH comes before the editable install's finder, so the installed copy is the one imported.
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    return {"site": str(site), "cwd": str(elsewhere), "env": env}


def _run(installed: dict, *argv: str) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, cwd=installed["cwd"], env=installed["env"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{argv}: {r.stderr[-2000:]}"
    return r


def test_installed_copy_is_imported_and_ships_its_data_not_fixtures(installed) -> None:
    site = installed["site"]
    probe = (
        "import json, pipeline, filters.c4 as c4, mixtures.config as mc; "
        "print(json.dumps({'pipeline': pipeline.__file__, 'badwords_path': c4.DEFAULT_BADWORDS, "
        "'badwords': c4.load_badwords(), 'table1': [s.name for s in mc.load_config().sources]}))"
    )
    got = json.loads(_run(installed, sys.executable, "-c", probe).stdout)
    assert got["pipeline"].startswith(site + os.sep)
    assert got["badwords_path"].startswith(site + os.sep)
    from filters.c4 import load_badwords

    assert got["badwords"] == load_badwords() and len(got["badwords"]) > 10  # the same list as the checkout's
    assert got["table1"][0] == "common_crawl" and len(got["table1"]) == 7
    # fixtures live beside the tests now, and nothing of tests/ or bench/ is installed
    assert not os.path.exists(os.path.join(site, "tokenizer", "localcorpus.py"))
    assert not os.path.exists(os.path.join(site, "mixtures", "synthetic.py"))
    assert not {"tests", "bench"} & set(os.listdir(site))


def test_installed_capacity_reads_the_packaged_figures(installed) -> None:
    exe = os.path.join(installed["site"], "bin", "llama-data")  # the console script pip wrote
    got = json.loads(_run(installed, exe, "capacity", "--target", "1.4T", "--json").stdout)
    # the same plan as the checkout's own packaged figures give: the install found every file
    assert got == json.loads(json.dumps(plan(1.4e12, 1000, 0.04, packaged_results())))
    assert any(m.startswith("CommonCrawl stages on") for m in got["measured"])
    notes = {(r["source"], r["stage"]): r["note"] for r in got["stages"]}
    assert notes[("common_crawl", "line dedup")] == "measured" and notes[("all", "tokenize")] == "measured"
    text = _run(installed, exe, "capacity", "--target", "1.4T").stdout
    assert "capacity plan for 1.40T tokens" in text and "total CPU-hours" in text


def test_installed_mixture_plan_reads_the_packaged_writer_speed(installed) -> None:
    exe = os.path.join(installed["site"], "bin", "llama-data")
    got = json.loads(_run(installed, exe, "mixture", "plan", "--target", "1T", "--json").stdout)
    assert got["bin_bytes"] == 2 * 10**12 and len(got["sources"]) == 7
    source = got["estimate"]["speed_source"]
    shipped = os.path.join(installed["site"], "mixtures", "data", "mixture.json")
    assert source.startswith("measured with 1 worker(s)") and shipped in source
    with open(shipped, encoding="utf-8") as f:
        assert got["estimate"]["mb_per_s"] == json.load(f)["workers"]["1"]["write_mb_per_s"]
