"""`llama-data mixture plan|build|verify|export-megatron`. Heavy imports (NumPy, Beam) happen inside the
handlers so `llama-data --help` stays fast."""

from __future__ import annotations

import argparse
import json
import sys

from pipeline.beam.runner import add_runner_arguments, beam_args_for


def _config(args: argparse.Namespace):  # -> MixtureConfig
    from mixtures.config import load_config

    return load_config(args.config)


def _cmd_plan(args: argparse.Namespace) -> int:
    from mixtures.config import parse_tokens
    from mixtures.estimate import estimate, format_estimate
    from mixtures.plan import format_table, make_plan, plan_for_tokens

    config = _config(args)
    target, shard_tokens = parse_tokens(args.target), parse_tokens(args.shard_tokens)
    if args.available == "paper":
        plan = make_plan(config, target, shard_tokens=shard_tokens, max_epochs=args.max_epochs)
    else:
        plan, _ = plan_for_tokens(config, args.available, target, shard_tokens, args.max_epochs)
    cost = estimate(plan, args.workers, args.speed_json)
    if args.json:
        print(json.dumps({**plan.to_json(), "estimate": cost.to_json()}, indent=2))
    else:
        print(format_table(plan))
        print(format_estimate(cost))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from mixtures.config import parse_tokens
    from mixtures.job import build_mixture
    from mixtures.plan import human

    out = build_mixture(
        _config(args),
        args.tokens,
        args.output,
        parse_tokens(args.target),
        seed=args.seed,
        shard_tokens=parse_tokens(args.shard_tokens),
        max_epochs=args.max_epochs,
        beam_args=beam_args_for(args, args.beam_args),
        dry_run=args.dry_run,
        max_doc_tokens=parse_tokens(args.max_doc_tokens) if args.max_doc_tokens not in ("0", "") else 0,
        speed_json=args.speed_json,
    )
    if not out:
        return 0
    m = out["manifest"]
    print(
        f"{args.output}: {m['num_shards']} shard(s), {m['total_tokens']:,} tokens, {m['total_documents']:,} "
        f"documents ({out['built']} written, {out['kept']} already up to date) in {out['seconds']:.1f} s"
    )
    for name, s in m["sources"].items():
        print(
            f"  {name:14s} share {100 * s['share']:6.2f}% (weight {100 * s['proportion']:5.2f}%)  "
            f"epochs {s['epochs']:.2f}  taken {human(s['tokens_taken'])}"
        )
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from mixtures.verify import verify_mixture

    errors, manifest = verify_mixture(args.dir)
    if errors:
        for e in errors:
            print(f"FAIL {e}", file=sys.stderr)
        print(f"{args.dir}: {len(errors)} problem(s) found", file=sys.stderr)
        return 1
    print(
        f"{args.dir}: OK, {len(manifest['shards'])} shard(s), {manifest['total_tokens']:,} tokens, "
        f"all hashes, indexes, token ids and per-source counts match"
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from mixtures.export import blend, blend_string

    print(blend_string(blend(_config(args), args.dir)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mixture",
        help="plan and write the Table 1 mixture (token shards + manifest)",
        description="Plan per-source budgets at the mixture weights (Table 1 of the LLaMA paper by "
        "default) and write mixed, shuffled Megatron token shards.",
    )
    msub = p.add_subparsers(dest="mixture_command", metavar="ACTION")
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--config", help="mixture YAML (default: mixtures/llama1.yaml, Table 1)")

    def speed(q: argparse.ArgumentParser) -> None:
        from mixtures.estimate import DEFAULT_RESULTS

        q.add_argument(
            "--speed-json",
            default=DEFAULT_RESULTS,
            metavar="PATH",
            help="writer speeds measured by bench/bench_mixture.py, for the wall-time estimate "
            "(default: the figures shipped in mixtures/data/mixture.json; without a speed in the file "
            "a stated default is assumed)",
        )

    pl = msub.add_parser("plan", help="per-source budgets, epochs, shards and bytes for a target")
    pl.add_argument("--target", required=True, help="tokens, with K/M/B/T suffixes: 1.4T, 1T, 300M")
    pl.add_argument(
        "--available",
        default="paper",
        metavar="paper|DIR",
        help="available tokens: `paper` (implied by Table 1) or a tokens folder",
    )
    pl.add_argument("--json", action="store_true", help="print JSON instead of a table")
    pl.add_argument("--max-epochs", type=float, default=4.0, help="flag sources needing more epochs (default 4)")
    pl.add_argument("--shard-tokens", default="1B", help="tokens per output shard (default 1B)")
    pl.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes the build will run (`mixture build --workers N`), for the wall-time estimate",
    )
    common(pl)
    speed(pl)
    pl.set_defaults(func=_cmd_plan)

    b = msub.add_parser("build", help="write the mixture shards + manifest (a Beam job over shard indices)")
    b.add_argument("--tokens", required=True, metavar="DIR", help="per-source token datasets (tokenizer encode)")
    b.add_argument("--target", required=True, help="tokens, with K/M/B/T suffixes")
    b.add_argument("--output", required=True, metavar="DIR")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--shard-tokens", default="1B", help="tokens per output shard (default 1B)")
    b.add_argument("--max-epochs", type=float, default=4.0, help="warn about sources needing more epochs")
    b.add_argument(
        "--max-doc-tokens",
        default="0",
        help="draw documents longer than this in pieces of at most this many tokens, so that "
        "small targets can hold a share of long books (default 0: whole documents)",
    )
    common(b)
    speed(b)
    add_runner_arguments(b)
    b.set_defaults(func=_cmd_build)

    v = msub.add_parser("verify", help="re-hash and re-check every shard of a built mixture")
    v.add_argument("dir", metavar="DIR")
    v.set_defaults(func=_cmd_verify)

    e = msub.add_parser("export-megatron", help="print the Megatron --data-path blend for a tokens folder")
    e.add_argument("dir", metavar="DIR", help="tokens folder (<source>/part-*.bin/.idx)")
    common(e)
    e.set_defaults(func=_cmd_export)
