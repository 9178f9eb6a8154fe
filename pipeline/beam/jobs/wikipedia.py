"""The wikipedia job: MediaWiki XML dumps -> language selection -> disambiguation pages out (kept
with --keep-disambiguation) -> wikitext to plain text (filters/wikipedia.py), plus the articles' external
links as a side output (`<output>/external_links/links-SSSSS-of-NNNNN.txt`, one URL per line) for the
CommonCrawl Wikipedia-reference classifier (LLaMA section 2.1). docs/wikipedia.md has the rules."""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Any

from filters.wikipedia import LLAMA_LANGS
from pipeline.beam.jobs import JobSpec
from pipeline.document import Meta

LINKS_DIR = "external_links"


@dataclasses.dataclass(frozen=True)
class WikipediaOptions:
    langs: tuple[str, ...] = LLAMA_LANGS
    wiki_lang: str | None = None  # None: each dump's language from its siteinfo or file name
    keep_disambiguation: bool = False
    no_external_links: bool = False
    # the common --num-shards (pipeline/app/run.py, default 0: by input size), read here too: it also
    # sets the shard count of the external links (0: one file)
    num_shards: int = 0


def _langs(value: str) -> tuple[str, ...]:
    langs = tuple(x.strip() for x in value.split(",") if x.strip())
    if not langs or not all(x.replace("-", "").isalpha() for x in langs):
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of language codes, got {value!r}")
    return langs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("wikipedia")
    g.add_argument(
        "--langs",
        type=_langs,
        default=",".join(WikipediaOptions.langs),  # a string, for --help; argparse runs it through _langs
        metavar="LANG,LANG,...",
        help="wikis to keep (default: LLaMA's 20: %(default)s); others are dropped as lang_not_selected",
    )
    g.add_argument(
        "--wiki-lang",
        default=WikipediaOptions.wiki_lang,
        help="language of every input dump (default: from <siteinfo><dbname> or the file name)",
    )
    g.add_argument(
        "--keep-disambiguation",
        action="store_true",
        default=WikipediaOptions.keep_disambiguation,
        help="keep disambiguation pages, as the Hugging Face `wikipedia` builder RedPajama used does "
        "(default: drop them as drop.disambiguation: lists of links, not prose; see docs/wikipedia.md)",
    )
    g.add_argument(
        "--no-external-links",
        action="store_true",
        default=WikipediaOptions.no_external_links,
        help=f"do not write <output>/{LINKS_DIR}/links-*.txt (the articles' external http(s) URLs)",
    )


def reader_options(opts: WikipediaOptions) -> dict[str, Any]:
    return {"lang": opts.wiki_lang} if opts.wiki_lang else {}


def build(docs, opts: WikipediaOptions, output: str):
    import apache_beam as beam

    from filters.wikipedia import SelectLanguage
    from pipeline.beam.transforms import apply_steps
    from pipeline.beam.wiki_clean import LINKS_TAG, CleanArticle

    docs = apply_steps(docs, [SelectLanguage(opts.langs or LLAMA_LANGS)])
    export = not opts.no_external_links
    clean = CleanArticle(not opts.keep_disambiguation, export)
    res = docs | "Step:wikitext" >> beam.ParDo(clean).with_outputs(LINKS_TAG, main="docs")
    if export:
        # A fixed shard count, so a rerun overwrites the same files and leaves none stale.
        shards = max(1, opts.num_shards or 1)
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
    options=WikipediaOptions,
    build=build,
    add_arguments=add_arguments,
    reader_options=reader_options,
    help="MediaWiki XML dumps -> plain-text articles of the chosen languages (+ external links)",
)
