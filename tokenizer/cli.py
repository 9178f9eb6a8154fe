"""`llama-data tokenizer {train,inspect,encode}`. Heavy imports stay inside the handlers."""

from __future__ import annotations

import argparse
import json

from pipeline.beam.runner import add_runner_arguments


def _cmd_train(args: argparse.Namespace) -> int:
    from tokenizer.config import TrainConfig
    from tokenizer.train import train

    cfg = TrainConfig(
        inputs=args.input,
        output=args.output,
        vocab_size=args.vocab_size,
        sample_bytes=args.sample_bytes,
        weights=args.weights,
        seed=args.seed,
        num_threads=args.threads,
    )
    meta = train(cfg, verbose=args.verbose)
    print(f"wrote {args.output}.model, .vocab, .json  (sha256 {meta['sha256']})")
    mb = meta["training_bytes"] / 1e6
    print(f"trained in {meta['training_seconds']} s on {mb:.2f} MB; LLaMA settings check passed")
    for src, st in meta["sample"].items():
        print(
            f"  {src:14s} weight {meta['weights'][src]:.4f}  {st['documents']:8d} docs  "
            f"{st['bytes'] / 1e6:9.2f} MB  {st['lines']:9d} lines ({st['split_lines']} cut at 4192 bytes)"
        )
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from tokenizer.inspect import describe, print_description

    d = describe(args.model)
    if args.json:
        print(json.dumps(d, indent=2, ensure_ascii=False))
    else:
        print_description(d)
    return 0 if not d["llama_settings_diff"] else 3


def _cmd_encode(args: argparse.Namespace) -> int:
    from pipeline.beam.runner import beam_args_for
    from tokenizer.encode_job import run_encode

    res = run_encode(
        args.tokenizer,
        args.input,
        args.output,
        beam_args_for(args, args.beam_args),
        num_threads=args.threads,
        batch_bytes=int(args.batch_mb * (1 << 20)),
        force=args.force,
        dry_run=args.dry_run,
    )
    if not res:
        return 0
    c = res["counters"]
    done, skipped = c.get("tokenizer.shards_encoded", 0), c.get("tokenizer.shards_skipped", 0)
    print(f"encoded {done} shards, skipped {skipped} up to date, in {res['wall_seconds']} s")
    print(f"  {'source':14s} {'docs':>9s} {'tokens':>12s} {'MB text':>9s} {'bytes/token':>11s}")
    for src, s in res["sources"].items():
        mb = s["text_bytes"] / 1e6
        print(f"  {src:14s} {s['documents']:9d} {s['tokens']:12d} {mb:9.2f} {s['bytes_per_token']!s:>11s}")
    print(f"wrote {args.output}/<source>/part-*.bin/.idx/.json and summary.json")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tokenizer",
        help="train the LLaMA BPE tokenizer, inspect it, encode sources to tokens",
        description="SentencePiece BPE with the released LLaMA settings and "
        "Megatron-format token datasets (section 2).",
    )
    tsub = p.add_subparsers(dest="tokenizer_command", metavar="ACTION")

    t = tsub.add_parser("train", help="train on a seeded sample of cleaned sources at the mixture weights")
    t.add_argument(
        "--input",
        nargs="+",
        required=True,
        metavar="DIR",
        help="clean folder(s): one holding <source>/part-*.parquet, or source folders themselves",
    )
    t.add_argument("--output", required=True, metavar="PREFIX", help="writes PREFIX.model, .vocab, .json")
    t.add_argument("--vocab-size", type=int, default=32000, help="32000 as LLaMA; smaller for small samples")
    t.add_argument(
        "--sample-bytes",
        type=int,
        default=1_000_000_000,
        help="bytes of training text to sample (0 = everything); default 1e9",
    )
    t.add_argument("--weights", default="table1", help="table1 (LLaMA Table 1), uniform, or a YAML/JSON file")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=0, help="trainer threads (0 = all cores)")
    t.set_defaults(func=_cmd_train)

    i = tsub.add_parser(
        "inspect",
        help="settings, vocab, sha256 and probe tokenisations of a model",
        description="Exit status 3 when the model's settings differ from the released LLaMA tokenizer.",
    )
    i.add_argument("model", help="a SentencePiece .model file")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=_cmd_inspect)

    e = tsub.add_parser("encode", help="Beam job: cleaned Parquet -> Megatron .bin/.idx token datasets per source")
    e.add_argument("--tokenizer", required=True, metavar="MODEL", help="the SentencePiece .model")
    e.add_argument("--input", nargs="+", required=True, metavar="DIR", help="clean folder(s), as for train")
    e.add_argument("--output", required=True, metavar="DIR", help="writes DIR/<source>/part-NNNNN.* + summary.json")
    e.add_argument("--threads", type=int, default=0, help="SentencePiece threads per worker (0 = all cores)")
    e.add_argument("--batch-mb", type=float, default=8.0, help="text per batched encode call (MiB)")
    e.add_argument("--force", action="store_true", help="re-encode shards even when up to date")
    add_runner_arguments(e)
    e.set_defaults(func=_cmd_encode)
    p.set_defaults(func=lambda a: p.print_help() or 2)
