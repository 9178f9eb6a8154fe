"""`llama-data tokenizer inspect MODEL`: settings, vocab, sha256, and how probe strings tokenise."""

from __future__ import annotations

from typing import Any

from tokenizer.indexed import sha256_file

# Strings that show the LLaMA behaviours: digits split one by one, byte fallback for characters not in
# the vocab, whitespace runs kept (identity normaliser, allow_whitespace_only_pieces), code indentation.
PROBES: dict[str, str] = {
    "digits": "In 2023, 1,234,567.89 tokens",
    "emoji": "ok 🦙🔥 done",
    "cjk": "大型语言模型 龘",
    "whitespace": "a  b\t\tc\n\n    d",
    "code": "def f(x):\n    return x**2  # square",
}


def describe(model_path: str, probes: dict[str, str] | None = None) -> dict[str, Any]:
    import sentencepiece as spm
    from google.protobuf import text_format

    from tokenizer.modelproto import load_proto
    from tokenizer.train import settings_diff

    proto = load_proto(model_path)
    sp = spm.SentencePieceProcessor(model_file=model_path)
    out: dict[str, Any] = {
        "model": model_path,
        "sha256": sha256_file(model_path),
        "vocab_size": sp.get_piece_size(),
        "special": {"unk": sp.unk_id(), "bos": sp.bos_id(), "eos": sp.eos_id(), "pad": sp.pad_id()},
        "byte_pieces": sum(1 for i in range(sp.get_piece_size()) if sp.is_byte(i)),
        "trainer_spec": text_format.MessageToString(proto.trainer_spec, as_utf8=True),
        "normalizer_spec": text_format.MessageToString(proto.normalizer_spec, as_utf8=True),
        "llama_settings_diff": settings_diff(proto),
        "probes": {},
    }
    for name, text in (probes or PROBES).items():
        ids = sp.encode(text)
        out["probes"][name] = {
            "text": text,
            "pieces": [sp.id_to_piece(i) for i in ids],
            "ids": ids,
            "round_trip": sp.decode(ids) == text,
        }
    return out


def print_description(d: dict[str, Any]) -> None:
    print(f"model       {d['model']}")
    print(f"sha256      {d['sha256']}")
    print(f"vocab size  {d['vocab_size']}  (byte pieces {d['byte_pieces']}; special ids {d['special']})")
    verdict = "matches the released LLaMA settings" if not d["llama_settings_diff"] else "DIFFERS from LLaMA:"
    print(f"settings    {verdict}")
    for line in d["llama_settings_diff"]:
        print(f"    {line}")
    for name in ("trainer_spec", "normalizer_spec"):
        print(f"{name}:")
        for line in d[name].strip().splitlines():
            if not line.startswith("input:") and "precompiled_charsmap" not in line:
                print(f"    {line}")
    print("probes:")
    for name, p in d["probes"].items():
        print(f"  {name:10s} {p['text']!r}")
        print(f"  {'':10s} -> {len(p['ids'])} tokens {p['pieces']}  round trip: {p['round_trip']}")
