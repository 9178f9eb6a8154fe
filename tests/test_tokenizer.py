"""Tokenizer training: LLaMA settings round trip, digits, byte fallback, sampling, line splitting."""

from __future__ import annotations

import argparse
import json
import os
import sys

import pytest
import sentencepiece as spm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_corpus import build_clean_folder

from tokenizer import cli as tokenizer_cli
from tokenizer.config import LLAMA_TRAINER, TABLE1_WEIGHTS, TrainConfig, resolve_weights, trainer_kwargs
from tokenizer.indexed import sha256_file
from tokenizer.modelproto import load_proto
from tokenizer.sample import Sampler, split_line
from tokenizer.sources import discover
from tokenizer.train import SettingsError, check_settings, settings_diff, train

VOCAB = 600


def cli_main(argv: list[str]) -> int:
    """`llama-data tokenizer ...` as pipeline/app/cli.py runs it (only our subcommand registered)."""
    parser = argparse.ArgumentParser(prog="llama-data")
    parser.add_argument("-v", "--verbose", action="store_true")
    tokenizer_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    args.beam_args = []
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError) as e:
        print(f"llama-data: error: {e}", file=sys.stderr)
        return 1


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("clean"))
    build_clean_folder(out, bytes_per_source=30_000, shards_per_source=2)
    return out


@pytest.fixture(scope="module")
def model(clean, tmp_path_factory) -> tuple[str, dict]:
    prefix = str(tmp_path_factory.mktemp("tok") / "llama")
    meta = train(TrainConfig([clean], prefix, vocab_size=VOCAB, sample_bytes=150_000, seed=1))
    return prefix, meta


@pytest.fixture(scope="module")
def sp(model) -> spm.SentencePieceProcessor:
    return spm.SentencePieceProcessor(model_file=model[0] + ".model")


def test_settings_round_trip(model):
    prefix = model[0]
    proto = load_proto(prefix + ".model")
    assert settings_diff(proto, VOCAB) == []
    ts, ns = proto.trainer_spec, proto.normalizer_spec
    assert ts.model_type == 2 and ts.vocab_size == VOCAB and len(proto.pieces) == VOCAB  # 2 = BPE
    assert ts.split_digits and ts.byte_fallback and ts.allow_whitespace_only_pieces
    assert abs(ts.character_coverage - 0.99995) < 1e-6 and ts.max_sentence_length == 4192
    assert (ts.unk_id, ts.bos_id, ts.eos_id, ts.pad_id) == (0, 1, 2, -1)
    assert ns.name == "identity" and ns.add_dummy_prefix and not ns.remove_extra_whitespaces
    assert [proto.pieces[i].piece for i in range(3)] == ["<unk>", "<s>", "</s>"]
    assert [p.piece for p in proto.pieces[3:259]] == [f"<0x{b:02X}>" for b in range(256)]
    with open(prefix + ".json") as f:
        side = json.load(f)
    assert side["sha256"] == sha256_file(prefix + ".model") and side["vocab_size"] == VOCAB
    assert side["trainer"]["split_digits"] is True and side["config"]["seed"] == 1
    assert side["training_bytes"] == sum(s["bytes"] for s in side["sample"].values()) > 50_000
    assert set(side["sample"]) == set(TABLE1_WEIGHTS) and len(side["training_data_sha256"]) == 64
    assert sorted(os.listdir(os.path.dirname(prefix))) == ["llama.json", "llama.model", "llama.vocab"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("split_digits", False), ("byte_fallback", False), ("max_sentence_length", 8192), ("bos_id", 0)],
)
def test_settings_check_fails_loudly(model, tmp_path, field, value):
    proto = load_proto(model[0] + ".model")
    setattr(proto.trainer_spec, field, value)
    bad = tmp_path / "bad.model"
    bad.write_bytes(proto.SerializeToString())
    with pytest.raises(SettingsError, match=f"trainer_spec.{field}"):
        check_settings(str(bad))
    proto = load_proto(model[0] + ".model")
    proto.normalizer_spec.remove_extra_whitespaces = True
    bad.write_bytes(proto.SerializeToString())
    with pytest.raises(SettingsError, match="remove_extra_whitespaces"):
        check_settings(str(bad))
    with pytest.raises(SettingsError, match="vocab_size"):
        check_settings(model[0] + ".model", vocab_size=32000)


def test_trainer_kwargs_are_llama():
    kw = trainer_kwargs(32000, 4)
    assert kw["model_type"] == "bpe" and kw["vocab_size"] == 32000 and kw["normalization_rule_name"] == "identity"
    assert kw["input_sentence_size"] == 200_000_000 and kw["remove_extra_whitespaces"] is False
    assert all(kw[k] == v for k, v in LLAMA_TRAINER.items())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="0123456789 .,-abcXYZ\n", min_size=1, max_size=60))
def test_digits_always_single_pieces(sp, text):
    ids = sp.encode(text)
    pieces = [sp.id_to_piece(i) for i in ids if not sp.is_byte(i)]  # byte pieces are spelt <0x0A>
    for piece in pieces:
        if any(c.isdigit() for c in piece):
            assert len(piece) == 1, piece
    assert sum(len(p) for p in pieces if p.isdigit()) == sum(c.isdigit() for c in text)


_UNICODE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\u2581")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(_UNICODE, max_size=40))
def test_round_trip_any_unicode(sp, text):
    # "▁" (U+2581) is excluded: it is SentencePiece's whitespace symbol and decodes to a space.
    ids = sp.encode(text)
    assert sp.unk_id() not in ids  # byte fallback: nothing is ever unknown
    assert sp.decode(ids) == text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),  # CJK Extension A
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1F5FF),  # pictographs / emoji
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    )
)  # CJK Extension B
def test_unseen_characters_become_byte_pieces(sp, ch):
    ids = sp.encode("x" + ch)
    byte_ids = [i for i in ids if sp.is_byte(i)]
    assert [sp.id_to_piece(i) for i in byte_ids] == [f"<0x{b:02X}>" for b in ch.encode("utf-8")]
    assert sp.decode(ids) == "x" + ch


def test_whitespace_runs_kept(sp):
    text = "a    b\t\tc\n\n  d  "
    assert sp.decode(sp.encode(text)) == text
    assert "▁▁" in "".join(sp.encode(text, out_type=str))


def test_split_line_bounds_and_lossless():
    line = ("wörd " * 2000) + "x" * 9000 + "漢" * 3000
    pieces = split_line(line, 4192)
    assert "".join(pieces) == line
    assert all(len(p.encode("utf-8")) <= 4192 for p in pieces) and len(pieces) > 5
    assert pieces[0].endswith(" ")  # cut at whitespace when there is some
    assert split_line("short", 4192) == ["short"]


def test_sampler_seeded_weighted_and_long_lines_split(clean, tmp_path):
    shards = discover([clean])
    w = resolve_weights("table1", shards)
    a = Sampler(shards, w, 20_000, seed=3, max_sentence_bytes=60)
    lines_a = list(a)
    b = Sampler(shards, w, 20_000, seed=3, max_sentence_bytes=60)
    assert list(b) == lines_a and a.digest == b.digest
    c = Sampler(shards, w, 20_000, seed=4, max_sentence_bytes=60)
    list(c)
    assert c.digest != a.digest
    assert all(len(x.encode()) <= 60 for x in lines_a) and sum(s["split_lines"] for s in a.stats.values()) > 0
    by = {s: v["bytes"] for s, v in a.stats.items()}
    assert by["common_crawl"] > 2 * by["c4"]  # .67 vs .15
    full = Sampler(shards, w, 0, seed=0, max_sentence_bytes=4192)
    list(full)
    assert all(r == 1.0 for r in full.rates.values())


def test_resolve_weights(tmp_path):
    assert resolve_weights("table1", ["c4", "books"]) == pytest.approx({"c4": 0.15 / 0.195, "books": 0.045 / 0.195})
    assert resolve_weights("uniform", ["c4", "books"]) == {"books": 0.5, "c4": 0.5}
    f = tmp_path / "w.yaml"
    f.write_text("sources:\n  c4: {proportion: 3}\n  books: 1\n")
    assert resolve_weights(str(f), ["c4", "books", "arxiv"]) == {"arxiv": 0.0, "books": 0.25, "c4": 0.75}
    with pytest.raises(ValueError, match="weights"):
        resolve_weights("nonsense", ["c4"])


def test_discover_source_folders(clean):
    all_ = discover([clean])
    assert list(all_) == list(TABLE1_WEIGHTS) and all(len(v) == 2 for v in all_.values())
    one = discover([os.path.join(clean, "books"), os.path.join(clean, "c4")])
    assert list(one) == ["c4", "books"]
    with pytest.raises(ValueError, match="twice"):
        discover([clean, os.path.join(clean, "c4")])
    with pytest.raises(FileNotFoundError):
        discover([os.path.join(clean, "nope")])


def test_cli_train_and_inspect(clean, tmp_path, capsys):
    prefix = str(tmp_path / "t")
    rc = cli_main(
        [
            "tokenizer",
            "train",
            "--input",
            clean,
            "--output",
            prefix,
            "--vocab-size",
            "400",
            "--sample-bytes",
            "80000",
            "--weights",
            "uniform",
        ]
    )
    assert rc == 0 and "settings check passed" in capsys.readouterr().out
    rc = cli_main(["tokenizer", "inspect", prefix + ".model"])
    out = capsys.readouterr().out
    assert rc == 0 and "matches the released LLaMA settings" in out and "'2', '0', '2', '3'" in out
    # a vocab the sample cannot fill: a clear error, no half-written model
    rc = cli_main(
        [
            "tokenizer",
            "train",
            "--input",
            clean,
            "--output",
            str(tmp_path / "big"),
            "--vocab-size",
            "32000",
            "--sample-bytes",
            "20000",
        ]
    )
    assert rc == 1 and "vocab-size" in capsys.readouterr().err
    assert not any(n.startswith("big") for n in os.listdir(tmp_path))
