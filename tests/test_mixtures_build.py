"""Mixture build: epochs (2.45 repeats, 0.64 subsamples), per-shard budgets, determinism, kill + resume,
verify catching corruption, the manifest's shares, the Megatron blend string."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mixtures.build import BuildSpec, ShardBuilder, fingerprint
from mixtures.config import load_config
from mixtures.inputs import summarize
from mixtures.job import build_mixture
from mixtures.reader import load_manifest, open_shard
from mixtures.stream import SourceStream
from mixtures.verify import verify_mixture
from pipeline.app.cli import main
from pipeline.document import SOURCES
from tokenizer.datasets import FORMAT
from tokenizer.indexed import IndexedWriter, read_sidecar

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_LEN = 20
TARGET = 400_000
SHARD = 100_000
VOCAB = 32000


def write_identifiable(tokens_dir: str, target: int = TARGET, parts: int = 2) -> dict[str, int]:
    """Per source, the number of DOC_LEN-token documents that makes the build at `target` need Table 1's
    epochs; document i of a source reads [BOS, 3 + i % 1000, 3 + i // 1000, ..., EOS] so the output can be
    traced back to it."""
    rng = np.random.default_rng(0)
    counts = {}
    for s in load_config().sources:
        n = round(s.proportion * target / s.epochs_at_reference / DOC_LEN)
        counts[s.name] = n
        bounds = np.linspace(0, n, parts + 1).astype(int)
        for p in range(parts):
            w = IndexedWriter(os.path.join(tokens_dir, s.name, f"part-{p:05d}"), np.uint16)
            for i in range(bounds[p], bounds[p + 1]):
                body = rng.integers(3, VOCAB, DOC_LEN - 4)
                w.add(np.concatenate([[1, 3 + i % 1000, 3 + i // 1000], body, [2]]))
            w.finalize(
                {
                    "format": FORMAT,
                    "source": s.name,
                    "vocab_size": VOCAB,
                    "tokenizer_sha256": "ab" * 32,
                    "bos_id": 1,
                    "eos_id": 2,
                }
            )
    return counts


def doc_ids(tokens: np.ndarray) -> int:
    return int(tokens[1] - 3) + 1000 * int(tokens[2] - 3)


def files_of(d: str) -> dict[str, bytes]:
    out = {}
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            out[n] = f.read()
    return out


@pytest.fixture(scope="module")
def tokens(tmp_path_factory) -> tuple[str, dict[str, int]]:
    d = str(tmp_path_factory.mktemp("tokens"))
    return d, write_identifiable(d)


@pytest.fixture(scope="module")
def built(tokens, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("mix") / "a")
    build_mixture(load_config(), tokens[0], out, TARGET, seed=3, shard_tokens=SHARD)
    return out


def occurrences(mixture_dir: str) -> dict[str, np.ndarray]:
    """Per source, how often each of its documents appears in the whole mixture."""
    manifest = load_manifest(mixture_dir)
    seen: dict[str, list[int]] = {n: [] for n in SOURCES}
    for shard in manifest["shards"]:
        ds, codes = open_shard(mixture_dir, shard, manifest)
        for i in range(len(ds)):
            seen[SOURCES[codes[i]]].append(doc_ids(ds[i]))
    return {n: np.bincount(v) if v else np.zeros(0, int) for n, v in seen.items()}


def test_epoch_repeats_and_subsets(built, tokens):
    _, counts = tokens
    occ = occurrences(built)
    wiki = np.pad(occ["wikipedia"], (0, counts["wikipedia"] - occ["wikipedia"].size))
    assert set(np.unique(wiki)) == {2, 3}  # 2.45 epochs: every document twice, some a third time
    assert abs((wiki == 3).mean() - 0.45) < 0.02
    gh = np.pad(occ["github"], (0, counts["github"] - occ["github"].size))
    assert set(np.unique(gh)) == {0, 1}  # 0.64 epochs: a subset, nothing repeated
    assert abs((gh == 1).mean() - 0.64) < 0.02
    books = np.pad(occ["books"], (0, counts["books"] - occ["books"].size))
    assert set(np.unique(books)) == {2, 3} and abs((books == 3).mean() - 0.23) < 0.03


def test_manifest_shares_and_per_shard_budgets(built):
    m = load_manifest(built)
    cfg = load_config().by_name()
    assert m["num_shards"] == 4 and m["seed"] == 3
    for name, row in m["sources"].items():
        assert abs(100 * row["share"] - 100 * cfg[name].proportion) < 0.5, name
        assert round(row["epochs"], 2) == cfg[name].epochs_at_reference
        assert abs(row["tokens_taken"] - row["budget_tokens"]) <= DOC_LEN
    for shard in m["shards"]:
        for name, planned in shard["planned_source_tokens"].items():
            assert abs(shard["source_tokens"][name] - planned) <= DOC_LEN  # within one document
    errors, _ = verify_mixture(built)
    assert errors == []


def test_documents_are_shuffled_across_sources(built):
    m = load_manifest(built)
    _, codes = open_shard(built, m["shards"][0], m)
    runs = 1 + int(np.count_nonzero(np.diff(codes.astype(int))))
    assert runs > len(codes) / 3  # not grouped by source


def test_stream_is_computed_per_slice(tmp_path):
    """Slices of the stream taken shard by shard are the stream taken at once (nothing global)."""
    lengths = np.random.default_rng(1).integers(1, 50, size=300).astype(np.int32)
    budget = int(lengths.sum() * 2.45)
    whole = SourceStream("wikipedia", lengths, seed=5).take(0, budget)
    parts = [SourceStream("wikipedia", lengths, seed=5).take(budget * k // 7, budget * (k + 1) // 7) for k in range(7)]
    assert np.array_equal(np.concatenate(parts), whole)
    first, second = whole[:300], whole[300:600]
    assert sorted(first) == list(range(300)) and sorted(second) == list(range(300))
    assert not np.array_equal(first, second)  # each pass in a fresh order
    assert not np.array_equal(whole, SourceStream("wikipedia", lengths, seed=6).take(0, budget))


def test_byte_identical_rebuild_and_seed_changes_output(built, tokens, tmp_path):
    other = str(tmp_path / "b")
    build_mixture(load_config(), tokens[0], other, TARGET, seed=3, shard_tokens=SHARD)
    assert files_of(other) == files_of(built)
    reseeded = str(tmp_path / "c")
    build_mixture(load_config(), tokens[0], reseeded, TARGET, seed=4, shard_tokens=SHARD)
    a, b = files_of(built), files_of(reseeded)
    assert a.keys() == b.keys() and a["shard-00000.bin"] != b["shard-00000.bin"]


def test_rerun_keeps_matching_shards_and_rebuilds_damaged(built, tokens, tmp_path):
    out = str(tmp_path / "m")
    shutil.copytree(built, out)
    with open(os.path.join(out, "shard-00002.bin"), "r+b") as f:
        f.seek(11)
        f.write(b"\xff")
    res = build_mixture(load_config(), tokens[0], out, TARGET, seed=3, shard_tokens=SHARD)
    assert (res["built"], res["kept"]) == (1, 3)
    assert files_of(out) == files_of(built)


KILLER = """
import os, signal, sys
sys.path.insert(0, {root!r})
os.environ["BEAM_DIRECT_RUNNER_DISABLE_PRISM"] = "1"
from mixtures.shard_writer import ShardWriter
from mixtures.config import load_config
from mixtures.job import build_mixture
calls = [0]
real = ShardWriter._write_out
def write_out(self, data):
    calls[0] += 1
    if calls[0] == {kill_at}:  # die mid-shard, with earlier shards complete
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, data)
ShardWriter._write_out = write_out
build_mixture(load_config(), {tokens!r}, {out!r}, {target}, seed=3, shard_tokens={shard}, chunk_tokens=20_000)
"""


def test_resume_after_kill_matches_unbroken_build(built, tokens, tmp_path):
    out = str(tmp_path / "k")
    code = KILLER.format(root=ROOT, kill_at=13, tokens=tokens[0], out=out, target=TARGET, shard=SHARD)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == -9, r.stderr[-2000:]
    left = os.listdir(out)
    assert "manifest.json" not in left and any(".tmp" in n for n in left)
    done = [n for n in left if n.endswith(".json")]
    assert 1 <= len(done) < 4
    res = build_mixture(load_config(), tokens[0], out, TARGET, seed=3, shard_tokens=SHARD, chunk_tokens=20_000)
    assert res["kept"] == len(done) and res["built"] == 4 - len(done)
    assert files_of(out) == files_of(built)  # chunk size does not change the bytes either


def flip(path: str, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5A]))


@pytest.mark.parametrize(
    "damage, expect",
    [
        (lambda d: flip(os.path.join(d, "shard-00001.bin"), 1001), "shard-00001.bin: sha256 differs"),
        (lambda d: flip(os.path.join(d, "shard-00003.idx"), 40), "shard-00003.idx: sha256 differs"),
        (lambda d: os.truncate(os.path.join(d, "shard-00000.bin"), 5000), "truncated"),
        (lambda d: os.truncate(os.path.join(d, "shard-00002.src"), 10), "shard-00002.src"),
        (lambda d: os.remove(os.path.join(d, "shard-00001.idx")), "shard-00001.idx: missing"),
    ],
)
def test_verify_catches_corruption(built, tmp_path, capsys, damage, expect):
    out = str(tmp_path / "v")
    shutil.copytree(built, out)
    assert main(["mixture", "verify", out]) == 0
    damage(out)
    errors, _ = verify_mixture(out)
    assert errors and any(expect in e for e in errors), errors
    assert main(["mixture", "verify", out]) == 1
    assert expect in capsys.readouterr().err


def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _dump(obj: dict, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def _sha(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _rehash(out: str, name: str) -> None:
    """Make the files' hashes consistent again, so only the content checks can object."""
    side = read_sidecar(os.path.join(out, name))
    m = _load(os.path.join(out, "manifest.json"))
    for ext in ("bin", "idx"):
        side[f"{ext}_sha256"] = _sha(os.path.join(out, f"{name}.{ext}"))
        next(s for s in m["shards"] if s["name"] == name)["sha256"][ext] = side[f"{ext}_sha256"]
    _dump(side, os.path.join(out, name + ".json"))
    _dump(m, os.path.join(out, "manifest.json"))


def test_verify_checks_vocab_and_counts_beyond_hashes(built, tmp_path):
    out = str(tmp_path / "w")
    shutil.copytree(built, out)
    with open(os.path.join(out, "shard-00000.bin"), "r+b") as f:
        f.seek(200)
        f.write(np.array([40000], dtype=np.uint16).tobytes())  # id above the 32000 vocab
    _rehash(out, "shard-00000")
    errors, _ = verify_mixture(out)
    assert any("outside the vocab of 32000" in e for e in errors), errors
    shutil.rmtree(out)
    shutil.copytree(built, out)
    m = _load(os.path.join(out, "manifest.json"))
    m["shards"][1]["source_tokens"]["books"] += 5
    _dump(m, os.path.join(out, "manifest.json"))
    errors, _ = verify_mixture(out)
    assert any("books has" in e for e in errors), errors


def test_builder_refuses_changed_inputs(tokens, tmp_path):
    summaries = summarize(tokens[0])
    budgets = {n: 1000 for n in summaries}
    spec = BuildSpec(tokens[0], str(tmp_path), 0, 1, tuple(budgets.items()), "0" * 64, VOCAB, "ab" * 32)
    with pytest.raises(RuntimeError, match="changed"):
        ShardBuilder(spec)
    assert fingerprint(summaries, budgets, 0, 1) != fingerprint(summaries, budgets, 1, 1)


def test_build_cli_and_missing_source(tokens, tmp_path, capsys):
    out = str(tmp_path / "cli")
    assert (
        main(
            [
                "mixture",
                "build",
                "--tokens",
                tokens[0],
                "--target",
                "100K",
                "--output",
                out,
                "--shard-tokens",
                "60K",
            ]
        )
        == 0
    )
    assert "2 shard(s)" in capsys.readouterr().out
    assert main(["mixture", "verify", out]) == 0
    partial = tmp_path / "partial"
    shutil.copytree(os.path.join(tokens[0], "c4"), partial / "c4")
    assert main(["mixture", "build", "--tokens", str(partial), "--target", "10K", "--output", out]) == 1
    assert "no token datasets for common_crawl" in capsys.readouterr().err


def test_export_megatron(tokens, capsys):
    assert main(["mixture", "export-megatron", tokens[0]]) == 0
    fields = capsys.readouterr().out.split()
    weights, prefixes = [float(w) for w in fields[0::2]], fields[1::2]
    assert len(prefixes) == 14 and all(os.path.exists(p + ".bin") for p in prefixes)
    assert sum(weights) == pytest.approx(1.0, abs=1e-6)
    wiki = sum(w for w, p in zip(weights, prefixes) if "/wikipedia/" in p)
    assert wiki == pytest.approx(0.045, abs=1e-6)


@pytest.mark.parametrize("k", [1, 5, 64, 333, 1400])
def test_shard_runs_cover_every_shard_once(k):
    from mixtures.job import shard_runs

    runs = shard_runs(k)
    assert [i for a, b in runs for i in range(a, b)] == list(range(k))
    assert max(b - a for a, b in runs) <= 16 and len(runs) >= min(k, 64)


def test_multiprocess_runner_gives_the_same_bytes(built, tokens, tmp_path):
    """Beam's multi_processing mode pickles the DoFn to worker processes (as a cluster would)."""
    out = str(tmp_path / "mp")
    beam_args = ["--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    build_mixture(load_config(), tokens[0], out, TARGET, seed=3, shard_tokens=SHARD, beam_args=beam_args)
    assert files_of(out) == files_of(built)


def test_long_documents_drawn_in_pieces_keep_small_budgets(tmp_path):
    """A source of whole books (each longer than its per-shard budget) gets nothing when documents are
    drawn whole, and its share within a piece when documents are drawn in pieces of --max-doc-tokens."""
    tokens = str(tmp_path / "tokens")
    write_identifiable(tokens, target=40_000, parts=1)
    shutil.rmtree(os.path.join(tokens, "books"))
    w = IndexedWriter(os.path.join(tokens, "books", "part-00000"), np.uint16)
    rng = np.random.default_rng(1)
    for _ in range(3):  # three 5,000-token "books"; the books budget is 4.5% of 40k = 1,800 tokens
        w.add(np.concatenate([[1], rng.integers(3, VOCAB, 4998), [2]]))
    w.finalize(
        {
            "format": FORMAT,
            "source": "books",
            "vocab_size": VOCAB,
            "tokenizer_sha256": "ab" * 32,
            "bos_id": 1,
            "eos_id": 2,
        }
    )
    whole = build_mixture(load_config(), tokens, str(tmp_path / "whole"), 40_000, beam_args=["--runner=DirectRunner"])
    assert whole["manifest"]["sources"]["books"]["tokens_taken"] == 0
    pieces = build_mixture(
        load_config(), tokens, str(tmp_path / "pieces"), 40_000, beam_args=["--runner=DirectRunner"], max_doc_tokens=256
    )
    books = pieces["manifest"]["sources"]["books"]
    assert abs(books["tokens_taken"] - books["budget_tokens"]) <= 256
    for name, row in pieces["manifest"]["sources"].items():
        assert abs(100 * row["share"] - 100 * row["proportion"]) < 0.5, name
    errors, _ = verify_mixture(str(tmp_path / "pieces"))
    assert errors == []


# -- the shard writer against a slow, obviously-correct reference ---------------------------------------


def reference_shard(builder: ShardBuilder, k: int, prefix: str) -> None:
    """Shard k written the plain way: each document read through the memory-mapped source datasets and
    appended with tokenizer/indexed.py's IndexedWriter, one at a time."""
    code, file, start, length, planned = builder.select(k)
    datasets = [ds for src in builder.sources.values() for ds in src.datasets]  # numbered as builder.fds
    w = IndexedWriter(prefix, builder.dtype)
    for f, s, n in zip(file.tolist(), start.tolist(), length.tolist()):
        w.add(np.asarray(datasets[f].tokens[s : s + n]))
    src_bytes = code.tobytes()
    with open(prefix + ".src", "wb") as fh:
        fh.write(src_bytes)
    w.finalize(builder.sidecar(k, code, length, planned, src_bytes))


def awkward_tokens(tokens_dir: str) -> None:
    """Every source in two parts with lengths from 2 to ~10,000 tokens (many documents cross 4 KiB
    blocks, some are larger than a small copy chunk), plus empty documents, which the mixture skips."""
    rng = np.random.default_rng(11)
    for s in load_config().sources:
        for p in range(2):
            w = IndexedWriter(os.path.join(tokens_dir, s.name, f"part-{p:05d}"), np.uint16)
            for i in range(60):
                n = 0 if i % 17 == 5 else int(rng.choice([2, 3, 40, 700, 2047, 2049, 5000, 10_001]))
                w.add(rng.integers(3, VOCAB, n) if n else np.zeros(0, np.uint16))
            w.finalize(
                {
                    "format": FORMAT,
                    "source": s.name,
                    "vocab_size": VOCAB,
                    "tokenizer_sha256": "ab" * 32,
                    "bos_id": 1,
                    "eos_id": 2,
                }
            )


def shard_files(d: str, k: int) -> dict[str, bytes]:
    return {n: v for n, v in files_of(d).items() if n.startswith(f"shard-{k:05d}.")}


@pytest.mark.parametrize(
    "case, chunk_tokens, max_doc_tokens",
    [
        ("identifiable", None, 0),  # default chunk: a whole shard in one chunk
        ("identifiable", 1000, 0),  # many chunks, each ending mid-block
        ("awkward", 7, 0),  # every document larger than a chunk
        ("awkward", 3000, 0),
        ("awkward", 5000, 600),  # documents drawn in pieces
    ],
)
def test_shard_writer_matches_reference(tmp_path, tokens, case, chunk_tokens, max_doc_tokens):
    from mixtures.job import make_spec

    if case == "identifiable":
        tokens_dir, target = tokens[0], TARGET
    else:
        tokens_dir, target = str(tmp_path / "tokens"), 120_000
        awkward_tokens(tokens_dir)
    fast, ref = str(tmp_path / "fast"), str(tmp_path / "ref")
    os.makedirs(ref)
    _, _, spec = make_spec(
        load_config(), tokens_dir, fast, target, 3, SHARD // 2, chunk_tokens=chunk_tokens, max_doc_tokens=max_doc_tokens
    )
    os.makedirs(fast)
    builder = ShardBuilder(spec)
    try:
        for k in range(spec.num_shards):
            side = builder.build(k)
            reference_shard(builder, k, os.path.join(ref, f"shard-{k:05d}"))
            assert side["n_docs"] > 0
            assert shard_files(fast, k) == shard_files(ref, k), k
    finally:
        builder.close()
    if case == "awkward":
        assert any(v for v in side["skipped_empty_documents"].values())
    assert not [n for n in os.listdir(fast) if ".tmp" in n]


def test_shard_writer_without_o_direct(tmp_path, tokens, built, monkeypatch):
    """A filesystem that refuses O_DIRECT at open, or accepts it at open and refuses the write (some
    FUSE mounts do): the writer falls back to buffered writes, same bytes."""
    import errno
    import fcntl

    from mixtures import shard_writer
    from mixtures.job import make_spec

    # the project runs on Linux, where O_DIRECT exists: the fallbacks below are what a refusing filesystem gets
    assert shard_writer._O_DIRECT, "os.O_DIRECT missing: the writer would only ever take the buffered path"
    real_open, real_write = os.open, os.write

    def refuse_open(path, flags, *a):  # noqa: ANN001, ANN202
        if flags & shard_writer._O_DIRECT:
            raise OSError(errno.EINVAL, "O_DIRECT refused")
        return real_open(path, flags, *a)

    def refuse_write(fd, data):  # noqa: ANN001, ANN202
        if fcntl.fcntl(fd, fcntl.F_GETFL) & shard_writer._O_DIRECT:
            raise OSError(errno.EINVAL, "O_DIRECT write refused")
        return real_write(fd, data)

    for name, patch in (("open", refuse_open), ("write", refuse_write)):
        out = str(tmp_path / name)
        _, _, spec = make_spec(load_config(), tokens[0], out, TARGET, 3, SHARD)
        os.makedirs(out)
        with monkeypatch.context() as m:
            m.setattr(shard_writer.os, name, patch)
            builder = ShardBuilder(spec)
            try:
                for k in range(spec.num_shards):
                    builder.build(k)
            finally:
                builder.close()
        for k in range(spec.num_shards):
            assert shard_files(out, k) == shard_files(built, k), (name, k)


def test_short_read_fails_and_leaves_no_shard(tmp_path, tokens):
    from mixtures.job import make_spec
    from tokenizer.indexed import DatasetError

    copy = str(tmp_path / "tokens")
    shutil.copytree(tokens[0], copy)
    out = str(tmp_path / "out")
    os.makedirs(out)
    _, _, spec = make_spec(load_config(), copy, out, TARGET, 3, SHARD)
    builder = ShardBuilder(spec)
    try:
        os.truncate(os.path.join(copy, "common_crawl", "part-00001.bin"), 1000)
        with pytest.raises(DatasetError, match="short read"):
            builder.build(0)
    finally:
        builder.close()
    assert os.listdir(out) == []


@pytest.mark.parametrize("n", [0, 1, 2, 1000])
def test_index_bytes_equal_indexed_writer(tmp_path, n):
    from mixtures.shard_writer import index_bytes

    lengths = np.random.default_rng(n).integers(0, 5000, n)
    w = IndexedWriter(str(tmp_path / "x"), np.uint16)
    for m in lengths:
        w.add(np.zeros(m, np.uint16))
    w.finalize({})
    with open(tmp_path / "x.idx", "rb") as f:
        assert index_bytes(lengths, np.dtype(np.uint16)) == f.read()
