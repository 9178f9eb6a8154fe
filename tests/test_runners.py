"""Every CLI Beam job through Beam's portable Job API path (`--runner portable`: PortableRunner with an
embedded job server and LOOPBACK workers, the path Spark, Flink and Dataflow receive: the graph is
serialised, nothing may depend on process-local state), with output identical to the DirectRunner.
The CommonCrawl job's three-mode check is in test_cc_job.py."""

from __future__ import annotations

import glob
import hashlib
import os

import pytest

from pipeline.app.cli import main
from pipeline.store import read_documents

SOURCES = {
    "c4": ["c4/*.json.gz"],
    "github": ["github/*.jsonl.gz", "github/trees/*/*"],
    "wikipedia": ["wikipedia/enwiki-*.xml.bz2", "wikipedia/dewiki-*.xml.bz2"],
    "books": ["books/gutenberg/*.txt", "books/books3/*.jsonl.zst"],
    "arxiv": ["arxiv/*"],
    "stackexchange": ["stackexchange/*/Posts.xml"],
}


@pytest.fixture(scope="module")
def samples() -> str:
    from pipeline.app.samples import ensure_samples

    return str(ensure_samples())


@pytest.fixture(scope="module")
def clean(samples: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    root = str(tmp_path_factory.mktemp("clean"))
    for source, globs in SOURCES.items():
        inputs = sorted(p for g in globs for p in glob.glob(os.path.join(samples, g)))
        assert main(["run", source, "--input", *inputs, "--output", os.path.join(root, source)]) == 0
    # the mixture needs every source; CommonCrawl up to LID (its full job is tested in test_cc_job.py)
    wet = sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.wet.gz")))
    assert (
        main(
            [
                "run",
                "common_crawl",
                "--input",
                *wet,
                "--output",
                os.path.join(root, "common_crawl"),
                "--stop-after",
                "lid",
            ]
        )
        == 0
    )
    return root


def _docs(path: str) -> list[tuple]:
    return sorted((d.id, d.text, tuple(sorted(d.meta.items()))) for d in read_documents(path))


def _files(folder: str) -> dict[str, str]:
    out = {}
    for p in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
        if os.path.isfile(p) and p.endswith((".bin", ".idx", ".src")):
            out[os.path.relpath(p, folder)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_source_job_portable_equals_direct(source: str, samples: str, clean: str, tmp_path) -> None:
    inputs = sorted(p for g in SOURCES[source] for p in glob.glob(os.path.join(samples, g)))
    out = str(tmp_path / source)
    assert main(["run", source, "--input", *inputs, "--output", out, "--runner", "portable"]) == 0
    direct = _docs(os.path.join(clean, source))
    assert direct, f"{source}: the direct run kept nothing"
    assert _docs(out) == direct


def test_encode_and_mixture_portable_and_multiprocess_equal_direct(clean: str, tmp_path) -> None:
    tok = str(tmp_path / "tok" / "t")
    assert main(["tokenizer", "train", "--input", clean, "--output", tok, "--vocab-size", "600"]) == 0
    modes = {"direct": [], "portable": ["--runner", "portable"], "multi": ["--workers", "2"]}
    outs = {}
    for mode, runner in modes.items():
        tokens = str(tmp_path / f"tokens-{mode}")
        encode = ["tokenizer", "encode", "--tokenizer", tok + ".model", "--input", clean, "--output", tokens]
        assert main(encode + runner) == 0
        mix = str(tmp_path / f"mix-{mode}")
        build = ["mixture", "build", "--tokens", tokens, "--target", "200K", "--output", mix, "--shard-tokens", "100K"]
        assert main(build + runner) == 0
        outs[mode] = (_files(tokens), _files(mix))
    assert outs["direct"][0] and len(outs["direct"][1]) >= 6  # at least two shards of .bin/.idx/.src
    assert outs["portable"] == outs["direct"]
    assert outs["multi"] == outs["direct"]


@pytest.mark.parametrize(
    "preset, expect",
    [
        (
            ["--runner", "dataflow", "--project", "p", "--region", "r", "--temp-location", "gs://b/tmp"],
            ["--runner=DataflowRunner", "--project=p", "--setup_file="],
        ),
        (
            ["--runner", "spark", "--spark-master-url", "spark://h:7077", "--job-server-jar", "/j.jar"],
            ["--runner=SparkRunner", "--spark_master_url=spark://h:7077", "--spark_job_server_jar=/j.jar"],
        ),
        (["--runner", "flink", "--flink-master", "h:8081"], ["--runner=FlinkRunner", "--flink_master=h:8081"]),
        (
            ["--runner", "portable", "--worker-start-timeout", "7"],
            ["--runner=PortableRunner", "--job_endpoint=embed", "--worker_start_timeout=7"],
        ),
        (["--workers", "2"], ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]),
    ],
)
def test_dry_run_shows_options_for_each_preset(preset, expect, samples: str, capsys) -> None:
    inputs = glob.glob(os.path.join(samples, "arxiv", "*"))
    assert (
        main(
            [
                "run",
                "arxiv",
                "--input",
                *inputs,
                "--output",
                "gs://b/out",
                *preset,
                "--dry-run",
                "--",
                "--max_num_workers=7",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for e in expect + ["--max_num_workers=7", "Read:arxiv", "WriteParquet"]:
        assert e in out, e


def test_dataflow_preset_requires_its_options(samples: str) -> None:
    with pytest.raises(SystemExit, match="--project"):
        main(
            [
                "run",
                "arxiv",
                "--input",
                *glob.glob(os.path.join(samples, "arxiv", "*")),
                "--output",
                "x",
                "--runner",
                "dataflow",
                "--dry-run",
            ]
        )


def test_dataflow_preset_leaves_the_setup_file_out_for_a_container_image() -> None:
    """Workers get the project either from setup.py (the preset's default) or from an image that has it."""
    from pipeline.app.cli import build_parser
    from pipeline.beam.runner import beam_args_for

    argv = ["run", "arxiv", "--input", "x", "--output", "gs://b/o", "--runner", "dataflow"]
    argv += ["--project", "p", "--region", "r", "--temp-location", "gs://b/tmp"]
    args = build_parser().parse_args(argv)
    assert any(a.startswith("--setup_file=") and a.endswith("setup.py") for a in beam_args_for(args, []))
    image = ["--sdk_container_image=us-docker.pkg.dev/p/r/llama-data:1"]
    out = beam_args_for(args, image)
    assert not any(a.startswith("--setup_file") for a in out) and out[-1] == image[0]
