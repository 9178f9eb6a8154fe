"""The whole CommonCrawl job on the sample corpus: models built here from the sample Wikipedia with the
real lmplz, the job's output in three runner modes, and the stats."""

from __future__ import annotations

import glob
import json
import os

import pytest

from pipeline.app.cli import main
from pipeline.store import read_documents


@pytest.fixture(scope="module")
def samples() -> str:
    from pipeline.app.samples import ensure_samples

    return str(ensure_samples())


@pytest.fixture(scope="module")
def models(samples: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cc-models")
    wiki = str(root / "wiki")
    cc = sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.wet.gz")))
    assert (
        main(["run", "wikipedia", "--input", os.path.join(samples, "wikipedia", "enwiki-*.xml.bz2"), "--output", wiki])
        == 0
    )
    lm = str(root / "lm")
    assert main(["lm", "train", "--lang", "en", "--input", wiki, "--output", lm, "--vocab-size", "2000"]) == 0
    cut = str(root / "cutoffs.json")
    assert (
        main(
            [
                "lm",
                "cutoffs",
                "--lang",
                "en",
                "--lm-dir",
                lm,
                "--raw-source",
                "common_crawl",
                "--input",
                *cc,
                "--output",
                cut,
            ]
        )
        == 0
    )
    q = str(root / "quality.bin")
    assert (
        main(
            [
                "quality",
                "train",
                "--cc",
                *cc,
                "--raw-source",
                "common_crawl",
                "--references",
                os.path.join(wiki, "external_links"),
                "--wiki",
                wiki,
                "--output",
                q,
            ]
        )
        == 0
    )
    return {"lm": lm, "cutoffs": cut, "quality": q, "wiki": wiki}


def test_models_are_built_with_the_real_tools(models: dict[str, str]) -> None:
    meta = json.load(open(os.path.join(models["lm"], "en.lm.json")))
    assert meta["order"] == 5 and meta["documents"] > 50
    # build_binary writes KenLM's binary format, whose file starts with this magic
    with open(os.path.join(models["lm"], "en.arpa.bin"), "rb") as f:
        assert f.read(4) == b"mmap"
    cut = json.load(open(models["cutoffs"]))["en"]
    assert 0 < cut["p30"] < cut["p60"]
    qmeta = json.load(open(models["quality"] + ".json"))
    # the sample's pages are not cited by its Wikipedia slice: the fallback is taken and recorded
    assert qmeta["positives_from"] == "wikipedia_articles_fallback"


def _run(samples: str, models: dict[str, str], out: str, *extra: str) -> list[tuple]:
    cc = sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc*.gz")))
    rc = main(
        [
            "run",
            "common_crawl",
            "--input",
            *cc,
            "--output",
            out,
            "--lm-dir",
            models["lm"],
            "--cutoffs",
            models["cutoffs"],
            "--quality-model",
            models["quality"],
            *extra,
        ]
    )
    assert rc == 0
    return sorted((d.id, d.text, tuple(sorted(d.meta.items()))) for d in read_documents(out))


def test_job_on_samples_in_three_runner_modes(samples: str, models: dict[str, str], tmp_path) -> None:
    direct = _run(samples, models, str(tmp_path / "direct"))
    stats = json.load(open(tmp_path / "direct" / "stats.json"))
    assert stats["read"] >= 800 and 0 < stats["kept"] < stats["read"]
    for reason in ("dedup_empty", "lang_not_selected", "bucket_tail"):
        assert stats["dropped"].get(reason, 0) > 0, reason
    assert 0.1 < stats["dedup.removed_char_share"] < 0.9
    assert sum(stats["dropped"].values()) + stats["kept"] == stats["read"]
    for _, _, meta in direct:
        m = dict(meta)
        assert m["lang"] == "en" and m["lang_score"] >= 0.5
        assert m["bucket"] in ("head", "middle") and m["perplexity"] > 0
        assert 0.25 <= m["wiki_prob"] <= 1.0
    assert stats["peak_rss_mb"]["total_mb"] > 50 and stats["docs_per_second"] > 0
    multi = _run(samples, models, str(tmp_path / "multi"), "--workers", "2")
    assert multi == direct
    portable = _run(samples, models, str(tmp_path / "portable"), "--runner", "portable")
    assert portable == direct
    # one shard per input file, byte-identical whatever the runner
    shards = sorted(os.listdir(tmp_path / "direct"))
    assert len([n for n in shards if n.startswith("part-")]) == len(
        glob.glob(os.path.join(samples, "common_crawl", "*.gz"))
    )
    for name in shards:
        if name.startswith("part-"):
            for other in ("multi", "portable"):
                assert (tmp_path / "direct" / name).read_bytes() == (tmp_path / other / name).read_bytes(), name


def test_dedup_groups_keep_more_than_whole_run(samples: str, models: dict[str, str], tmp_path) -> None:
    cc = sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.wet.gz")))
    shares = []
    for group in ("0", "1"):
        out = str(tmp_path / f"g{group}")
        assert (
            main(
                [
                    "run",
                    "common_crawl",
                    "--input",
                    *cc,
                    "--output",
                    out,
                    "--stop-after",
                    "dedup",
                    "--dedup-group-files",
                    group,
                ]
            )
            == 0
        )
        shares.append(json.load(open(os.path.join(out, "stats.json")))["dedup.removed_char_share"])
    # the same page sits in both WET files: deduping per file misses those cross-file copies
    assert shares[0] > shares[1] > 0


def test_dry_run_prints_the_stages(samples: str, capsys) -> None:
    cc = sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.wet.gz")))
    assert (
        main(
            ["run", "common_crawl", "--input", *cc, "--output", "/nonexistent/out", "--dry-run", "--runner", "portable"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "--runner=PortableRunner" in out
    for stage in ("HashLines", "GroupByPrefix", "FindDuplicates", "RemoveLinesCleanAndWriteShards"):
        assert stage in out, stage


def test_a_folder_input_is_one_input_with_or_without_slash(tmp_path) -> None:
    from pipeline.beam.job import expand_inputs

    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "x.py").write_text("print(1)\n")
    for pattern in (str(tree), str(tree) + "/"):
        assert expand_inputs([pattern]) == [str(tree)]


def test_split_by_language_with_each_language_s_own_model(samples: str, tmp_path) -> None:
    """CCNet keeps every language, each bucketed by its own model: models for en and de built from the
    sample's English and German Wikipedia, then the CommonCrawl sample split into OUTPUT/<lang>/."""
    wiki, lm, cut = str(tmp_path / "wiki"), str(tmp_path / "lm"), str(tmp_path / "cutoffs.json")
    dumps = [os.path.join(samples, "wikipedia", f"{lang}wiki-*.xml.bz2") for lang in ("en", "de")]
    assert main(["run", "wikipedia", "--input", *dumps, "--output", wiki]) == 0
    assert main(["lm", "train", "--lang", "en,de", "--input", wiki, "--output", lm, "--vocab-size", "2000"]) == 0
    for lang in ("en", "de"):
        assert json.load(open(os.path.join(lm, f"{lang}.lm.json")))["documents"] >= 20
    cc = sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.wet.gz")))
    argv = ["lm", "cutoffs", "--lang", "en,de", "--lm-dir", lm, "--raw-source", "common_crawl", "--input", *cc]
    assert main([*argv, "--output", cut]) == 0
    cutoffs = json.load(open(cut))
    assert set(cutoffs) == {"en", "de"} and cutoffs["en"] != cutoffs["de"]
    out = tmp_path / "cc"
    argv = ["run", "common_crawl", "--input", *cc, "--output", str(out), "--langs", "en,de", "--split-by-lang"]
    assert main([*argv, "--lm-dir", lm, "--cutoffs", cut]) == 0
    stats = json.load(open(out / "stats.json"))
    assert stats["accounting"] == "balanced" and not glob.glob(str(out / "part-*"))
    for lang in ("en", "de"):
        docs = list(read_documents(str(out / lang)))
        assert docs and all(d.meta["lang"] == lang for d in docs)
        lo, hi = cutoffs[lang]["p30"], cutoffs[lang]["p60"]
        for d in docs:  # bucketed by the language's own cutoffs
            assert d.meta["bucket"] == ("head" if d.meta["perplexity"] < lo else "middle"), d.id
            assert d.meta["perplexity"] < hi
        counted = stats["kept_by_lang"][lang]
        assert sum(counted.values()) == len(docs)
        assert counted.get("head", 0) == sum(d.meta["bucket"] == "head" for d in docs)
    assert sum(sum(b.values()) for b in stats["kept_by_lang"].values()) == stats["kept"]
