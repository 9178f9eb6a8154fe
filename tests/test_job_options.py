"""Typed job options: each job's options are one frozen dataclass whose defaults are the one definition of
each default (thresholds: the constants of the filters/ module that applies the rule); the command line
takes its defaults from it, `run_job` builds it once, and the jobs' build functions receive it."""

from __future__ import annotations

import argparse
import dataclasses
import glob
import gzip
import json
import os
import re

import pytest

from pipeline.app.cli import build_parser, main
from pipeline.beam.jobs import JobSpec, job_for
from pipeline.document import SOURCES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the options every job shares: pipeline/app/run.py adds them, run_job reads them
COMMON = {"num_shards", "strict", "write_dropped"}


def _parse(source: str, *extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["run", source, "--input", "x", "--output", "o", *extra])


def _own_dests(spec: JobSpec) -> set[str]:
    """The argparse dests the job's own add_arguments defines."""
    p = argparse.ArgumentParser(add_help=False)
    spec.add_arguments(p)
    return {a.dest for a in p._actions}


@pytest.mark.parametrize("source", SOURCES)
def test_options_are_a_frozen_dataclass_whose_defaults_are_the_cli_defaults(source: str) -> None:
    spec = job_for(source)
    assert dataclasses.is_dataclass(spec.options) and spec.options.__dataclass_params__.frozen
    opts = spec.options_from(_parse(source))
    assert opts == spec.options()  # each CLI default (after argparse's type) is the dataclass default
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.__setattr__(dataclasses.fields(opts)[0].name, None)
    # every flag of the job is a field (none bypasses the dataclass); a field that is no flag of the job
    # is one of the shared options, read on purpose (Wikipedia sizes its links output by --num-shards)
    fields = {f.name for f in dataclasses.fields(spec.options)}
    assert _own_dests(spec) <= fields
    assert fields - _own_dests(spec) <= COMMON


def test_a_flag_reaches_the_options() -> None:
    opts = job_for("github").options_from(_parse("github", "--max-line-length", "7", "--license-allow", "ISC,Zlib"))
    assert opts.max_line_length == 7 and opts.license_allow == ("ISC", "Zlib")
    opts = job_for("common_crawl").options_from(_parse("common_crawl", "--lid-groups", "default", "--no-dedup"))
    assert opts.lid_groups == ["default"] and opts.no_dedup
    opts = job_for("wikipedia").options_from(_parse("wikipedia", "--langs", "en,de", "--num-shards", "3"))
    assert opts.langs == ("en", "de") and opts.num_shards == 3
    # a namespace with only some of the dests (a caller that parsed the job's flags alone): defaults
    assert job_for("books").options_from(argparse.Namespace(overlap=0.8)) == job_for("books").options(overlap=0.8)


def test_thresholds_are_defined_once_in_the_filters() -> None:
    from filters import base, c4, github, langid, perplexity, quality, stackexchange, wikipedia
    from filters import books as book_rules

    expect = {
        "github": {
            "max_line_length": github.MAX_LINE_LENGTH,
            "mean_line_length": github.MEAN_LINE_LENGTH,
            "min_alnum_fraction": github.MIN_ALNUM_FRACTION,
        },
        "c4": {
            "min_words_per_line": c4.MIN_WORDS_PER_LINE,
            "min_sentences": c4.MIN_NUM_SENTENCES,
            "max_page_chars": c4.MAX_PAGE_CHARS,
            "lid_threshold": c4.LID_THRESHOLD,
        },
        "books": {
            "overlap": book_rules.OVERLAP,
            "lsh_threshold": book_rules.LSH_THRESHOLD,
            "num_perm": book_rules.NUM_PERM,
            "minhash_seed": book_rules.SEED,
        },
        "stackexchange": {"top_sites": stackexchange.TOP_SITES},
        "wikipedia": {"langs": wikipedia.LLAMA_LANGS},
        "common_crawl": {
            "min_length": base.MIN_LENGTH,
            "lang_threshold": langid.LANG_THRESHOLD,
            "quality_threshold": quality.QUALITY_THRESHOLD,
            "keep_buckets": ",".join(perplexity.KEEP_BUCKETS),
        },
    }
    for source, values in expect.items():
        parsed = job_for(source).options_from(_parse(source))
        for name, value in values.items():
            assert getattr(job_for(source).options(), name) == value, (source, name)
            assert getattr(parsed, name) == value, (source, name)
    # the steps' own defaults are the same constants
    steps = {s.name: s for s in github.github_steps()}
    assert steps["max_line_length"].limit == github.MAX_LINE_LENGTH
    assert steps["mean_line_length"].limit == github.MEAN_LINE_LENGTH
    assert steps["alnum_fraction"].minimum == github.MIN_ALNUM_FRACTION
    assert base.MinLength().min_chars == base.MIN_LENGTH
    assert langid.LangIdStep().threshold == langid.LANG_THRESHOLD
    assert c4.C4WetPage().max_chars == c4.MAX_PAGE_CHARS


def test_no_number_is_written_twice_in_the_jobs() -> None:
    """No job module sees the Namespace (only JobSpec.options_from, in jobs/__init__.py, reads it) or writes
    a numeric default literally in add_arguments."""
    for path in glob.glob(os.path.join(ROOT, "pipeline", "beam", "jobs", "*.py")):
        text = open(path, encoding="utf-8").read()
        if not path.endswith("__init__.py"):
            assert "Namespace" not in text and "args." not in text, path
        assert not re.search(r"default=-?[0-9]", text), path


def _inputs(tmp_path) -> dict[str, list[str]]:
    """One tiny file (or folder) per source: a dry run only lists the inputs, it reads none of them."""
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "x.py").write_text("print(1)\n")
    files = {
        "common_crawl": "a.warc.wet.gz",
        "c4": "c4-train.00000-of-01024.json.gz",
        "wikipedia": "enwiki-pages-articles.xml",
        "books": "book.txt",
        "arxiv": "paper.tex",
        "stackexchange": "Posts.xml",
    }
    out = {"github": [str(tree)]}
    for source, name in files.items():
        path = tmp_path / name
        if name.endswith(".gz"):
            with gzip.open(path, "wt") as f:
                f.write(json.dumps({"text": "x"}) + "\n")
        else:
            path.write_text("x\n")
        out[source] = [str(path)]
    return out


@pytest.mark.parametrize("source", SOURCES)
def test_each_job_builds_from_its_options_in_a_dry_run(source: str, tmp_path, monkeypatch, capsys) -> None:
    import importlib

    module = importlib.import_module(f"pipeline.beam.jobs.{source}")
    seen: list[object] = []
    spec = module.JOB
    if spec.build_files is not None:

        def build_files(files, opts, job):  # noqa: ANN001, ANN202
            seen.append(opts)
            return spec.build_files(files, opts, job)

        monkeypatch.setattr(module, "JOB", dataclasses.replace(spec, build_files=build_files))
    else:

        def build(docs, opts, output):  # noqa: ANN001, ANN202
            seen.append(opts)
            return spec.build(docs, opts, output)

        monkeypatch.setattr(module, "JOB", dataclasses.replace(spec, build=build))
    inputs = _inputs(tmp_path)[source]
    assert main(["run", source, "--input", *inputs, "--output", str(tmp_path / "out"), "--dry-run"]) == 0
    assert "WriteParquet" in capsys.readouterr().out or source == "common_crawl"
    assert len(seen) == 1 and type(seen[0]) is spec.options and seen[0] == spec.options()
    assert not os.path.exists(tmp_path / "out")  # a dry run writes nothing
