"""`llama-data tokenizer encode` (Beam, DirectRunner) on a tiny clean folder, and the reader API."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pyarrow.parquet as pq
import pytest
import sentencepiece as spm
from local_corpus import build_clean_folder

from pipeline.document import Document
from pipeline.store import write_shard
from tokenizer.config import TrainConfig
from tokenizer.datasets import list_token_datasets, open_token_dataset
from tokenizer.encode import ShardEncoder
from tokenizer.encode_job import EncodeShard, run_encode
from tokenizer.indexed import DatasetError, IndexedWriter, sha256_file
from tokenizer.train import train

os.environ.setdefault("BEAM_DIRECT_RUNNER_DISABLE_PRISM", "1")
SOURCES3 = ("c4", "github", "books")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("enc")
    clean = str(root / "clean")
    build_clean_folder(clean, bytes_per_source=20_000, shards_per_source=2, sources=SOURCES3)
    prefix = str(root / "tok")
    train(TrainConfig([clean], prefix, vocab_size=500, sample_bytes=0, weights="uniform"))
    out = str(root / "tokens")
    res = run_encode(prefix + ".model", [clean], out, ["--runner=DirectRunner"], num_threads=2, batch_bytes=4096)
    return clean, prefix + ".model", out, res


def test_encode_counts_equal_sum_of_document_lengths(setup):
    clean, model, out, res = setup
    sp = spm.SentencePieceProcessor(model_file=model)
    sha = sha256_file(model)
    found = list_token_datasets(out)
    assert sorted(found) == sorted(SOURCES3) and all(len(v) == 2 for v in found.values())
    for src in SOURCES3:
        texts = [
            t
            for shard in sorted(os.listdir(os.path.join(clean, src)))
            for t in pq.read_table(os.path.join(clean, src, shard)).column("text").to_pylist()
        ]
        expected = [len(x) + 2 for x in sp.encode(texts)]  # BOS + tokens + EOS
        got: list[int] = []
        decoded: list[str] = []
        for prefix in found[src]:
            ds = open_token_dataset(prefix, tokenizer_sha256=sha, vocab_size=500, check_tokens=True)
            assert ds.sidecar["source"] == src and ds.sidecar["dtype"] == "uint16"
            assert ds.sidecar["bos_id"] == 1 and ds.sidecar["eos_id"] == 2
            for i in range(len(ds)):
                seq = ds[i]
                assert seq[0] == 1 and seq[-1] == 2
                got.append(len(seq))
                decoded.append(sp.decode(seq[1:-1].tolist()))
        assert got == expected and decoded == texts  # Parquet order kept, exact round trip
        with open(os.path.join(out, src, "summary.json")) as f:
            summary = json.load(f)
        assert summary["documents"] == len(texts) and summary["tokens"] == sum(expected)
        assert summary["text_bytes"] == sum(len(t.encode()) for t in texts)
        assert summary["bytes_per_token"] == pytest.approx(
            summary["text_bytes"] / (sum(expected) - 2 * len(texts)), abs=1e-3
        )
        assert res["sources"][src] == summary
    assert res["counters"]["tokenizer.shards_encoded"] == 6


def test_rerun_skips_up_to_date_and_redoes_changed(setup, tmp_path):
    clean, model, out, _ = setup
    before = {p: os.path.getmtime(p + ".bin") for v in list_token_datasets(out).values() for p in v}
    res = run_encode(model, [clean], out, ["--runner=DirectRunner"], num_threads=1)
    assert res["counters"].get("tokenizer.shards_skipped") == 6 and not res["counters"].get("tokenizer.shards_encoded")
    assert {p: os.path.getmtime(p + ".bin") for p in before} == before
    # a corrupted dataset is rebuilt, the others are left alone
    victim = min(before)
    with open(victim + ".bin", "r+b") as f:
        f.write(b"\xff\xff")
    res = run_encode(model, [clean], out, ["--runner=DirectRunner"], num_threads=1)
    assert res["counters"]["tokenizer.shards_encoded"] == 1 and res["counters"]["tokenizer.shards_skipped"] == 5
    open_token_dataset(victim).verify_hashes()


def test_reader_refuses_mismatch(setup):
    out = setup[2]
    prefix = list_token_datasets(out)["books"][0]
    with pytest.raises(DatasetError, match="tokenizer_sha256"):
        open_token_dataset(prefix, tokenizer_sha256="0" * 64)
    with pytest.raises(DatasetError, match="vocab_size"):
        open_token_dataset(prefix, vocab_size=32000)


def test_reader_refuses_token_out_of_vocab_and_wrong_format(tmp_path):
    prefix = str(tmp_path / "part-00000")
    w = IndexedWriter(prefix, np.dtype(np.uint16))
    w.add([1, 700, 2])
    w.finalize({"format": "llama-data-tokens/1", "source": "c4", "vocab_size": 500, "tokenizer_sha256": "x"})
    open_token_dataset(prefix)
    with pytest.raises(DatasetError, match="outside the vocab"):
        open_token_dataset(prefix, check_tokens=True)
    with open(prefix + ".json") as f:
        side = json.load(f)
    with open(prefix + ".json", "w") as f:
        json.dump({**side, "format": "other"}, f)
    with pytest.raises(DatasetError, match="format"):
        open_token_dataset(prefix)
    with pytest.raises(DatasetError, match="format"):
        list_token_datasets(str(tmp_path))


def test_shard_of_wrong_source_and_null_text(setup, tmp_path):
    _, model, _, _ = setup
    with open(model, "rb") as f:
        enc = ShardEncoder(f.read(), num_threads=1)
    shard = str(tmp_path / "part-00000-of-00001.parquet")
    write_shard([Document("a", "c4", "hello 123"), Document("b", "c4", "")], shard, [])
    with pytest.raises(DatasetError, match="other than books"):
        enc.encode_shard("books", shard, str(tmp_path / "out" / "x"), {})
    assert not os.path.exists(tmp_path / "out" / "x.bin")  # aborted, nothing half-written
    side = enc.encode_shard("c4", shard, str(tmp_path / "out" / "y"), {})
    assert side["n_docs"] == 2 and side["n_tokens"] == len(enc.sp.encode("hello 123")) + 4


def test_dofn_pickles(setup):
    _, model, _, _ = setup
    fn = pickle.loads(pickle.dumps(EncodeShard(model, sha256_file(model), 1, 1 << 20, {})))
    fn.setup()
    assert fn.encoder.vocab_size == 500
