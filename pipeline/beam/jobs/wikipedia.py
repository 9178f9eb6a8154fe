"""The wikipedia job: MediaWiki XML dumps -> language selection -> disambiguation pages out (kept
with --keep-disambiguation) -> wikitext to plain text (filters/wikipedia.py), plus the articles' external
links as a side output (`<output>/external_links/links-SSSSS-of-NNNNN.txt`, one URL per line) for the
CommonCrawl Wikipedia-reference classifier (LLaMA section 2.1). docs/wikipedia.md has the rules."""

from __future__ import annotations

import argparse
import os
from typing import Any

from pipeline.beam.jobs import JobSpec
from pipeline.document import Meta

LINKS_DIR = "external_links"


def _langs(value: str) -> tuple[str, ...]:
    langs = tuple(x.strip() for x in value.split(",") if x.strip())
    if not langs or not all(x.replace("-", "").isalpha() for x in langs):
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of language codes, got {value!r}")
    return langs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from filters.wikipedia import LLAMA_LANGS

    g = parser.add_argument_group("wikipedia")
    g.add_argument(
        "--langs",
        type=_langs,
        default=",".join(LLAMA_LANGS),
        metavar="LANG,LANG,...",
        help="wikis to keep (default: LLaMA's 20: %(default)s); others are dropped as lang_not_selected",
    )
    g.add_argument(
        "--wiki-lang",
        default=None,
        help="language of every input dump (default: from <siteinfo><dbname> or the file name)",
    )
    g.add_argument(
        "--keep-disambiguation",
        action="store_true",
        help="keep disambiguation pages, as the Hugging Face `wikipedia` builder RedPajama used does "
        "(default: drop them as drop.disambiguation: lists of links, not prose; see docs/wikipedia.md)",
    )
    g.add_argument(
        "--no-external-links",
        action="store_true",
        help=f"do not write <output>/{LINKS_DIR}/links-*.txt (the articles' external http(s) URLs)",
    )


def reader_options(args: argparse.Namespace) -> dict[str, Any]:
    lang = getattr(args, "wiki_lang", None)
    return {"lang": lang} if lang else {}


def build(docs, args: argparse.Namespace, output: str):
    import apache_beam as beam

    from filters.wikipedia import LLAMA_LANGS, SelectLanguage
    from pipeline.beam.transforms import apply_steps
    from pipeline.beam.wiki_clean import LINKS_TAG, CleanArticle

    langs = getattr(args, "langs", None) or LLAMA_LANGS
    docs = apply_steps(docs, [SelectLanguage(langs)])
    export = not getattr(args, "no_external_links", False)
    clean = CleanArticle(not getattr(args, "keep_disambiguation", False), export)
    res = docs | "Step:wikitext" >> beam.ParDo(clean).with_outputs(LINKS_TAG, main="docs")
    if export:
        # A fixed shard count, so a rerun overwrites the same files and leaves none stale.
        shards = max(1, getattr(args, "num_shards", 0) or 1)
        _ = res[LINKS_TAG] | "WriteExternalLinks" >> beam.io.WriteToText(
            os.path.join(output, LINKS_DIR, "links"),
            file_name_suffix=".txt",
            num_shards=shards,
            shard_name_template="-SSSSS-of-NNNNN",
        )
    return res.docs


JOB = JobSpec(
    source="wikipedia",
    meta_keys=(Meta.TITLE, Meta.LANG, Meta.URL, Meta.ORIGIN),
    build=build,
    add_arguments=add_arguments,
    reader_options=reader_options,
    help="MediaWiki XML dumps -> plain-text articles of the chosen languages (+ external links)",
)
