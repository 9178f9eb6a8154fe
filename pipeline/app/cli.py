"""`llama-data`: one command line for the whole pipeline.

Each subcommand lives beside the stage it drives and registers itself here through a
`register(subparsers)` function; modules import their heavy libraries inside the handlers so that
`--help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pipeline.beam.runner import split_beam_args

# (module, description) in the order of the data flow; each module has register(subparsers).
COMMANDS = [
    "pipeline.app.samples.cli",
    "pipeline.app.run",
    "pipeline.app.inspect",
    "pipeline.app.decontaminate",
    "pipeline.app.models_cli",
    "tokenizer.cli",
    "mixtures.cli",
    "train_stub.cli",
    "pipeline.app.demo",
    "pipeline.app.capacity",
]

DESCRIPTION = """\
The LLaMA-1 pre-training data pipeline, rebuilt: raw public sources -> cleaned documents (Beam jobs
with CCNet dedup, fastText LID, KenLM perplexity and per-source rules) -> a SentencePiece BPE tokenizer
-> token datasets -> the Table 1 mixture -> a minimal LLaMA trainer.

Beam options go after `--`, e.g.
  llama-data run common_crawl --input 'x/*.wet.gz' --output out -- --direct_num_workers=2
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llama-data", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # a stage not built yet
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, beam_args = split_beam_args(argv)
    parser = build_parser()
    args = parser.parse_args(own)
    args.beam_args = beam_args
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    # Beam logs every bundle at INFO; keep the user's terminal for our own progress lines.
    logging.getLogger("apache_beam").setLevel(logging.WARNING)
    # Beam's GCP module warns about apitools at import even when no GCP path is used.
    logging.getLogger().addFilter(lambda r: "apitools not found" not in r.getMessage())
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
    except (FileNotFoundError, ValueError) as e:
        print(f"llama-data: error: {e}", file=sys.stderr)
        return 1
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
