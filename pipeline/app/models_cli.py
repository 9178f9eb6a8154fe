"""`llama-data lm ...` and `llama-data quality ...`: build the models the CommonCrawl filters need."""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import random
from collections.abc import Iterator

from pipeline.document import Document, Meta, stable_hash64

log = logging.getLogger(__name__)


def iter_documents(inputs: list[str], raw_source: str | None = None) -> Iterator[Document]:
    """Documents from Parquet outputs, or (with raw_source) straight from a source's native files."""
    if raw_source is None:
        from pipeline.store import read_documents

        for path in inputs:
            yield from read_documents(path)
        return
    from pipeline.sources import reader_for
    from pipeline.sources.base import SkipCounter

    read, skips = reader_for(raw_source), SkipCounter()
    for pattern in inputs:
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise FileNotFoundError(f"no files match {pattern}")
        for path in matches:
            yield from read(path, skips)
    if skips.counts:
        log.info("reader skipped %s", skips.counts)


def _lang_texts(docs: Iterator[Document], lang: str, lid: bool = False) -> Iterator[str]:
    model = None
    if lid:
        from filters.langid import default_lid_model_path, load_fasttext, predict_lang

        model = load_fasttext(default_lid_model_path())
    for d in docs:
        doc_lang = d.meta.get(Meta.LANG)
        if doc_lang is None and model is not None:
            doc_lang, score = predict_lang(model, d.text)
            if score < 0.5:
                continue
        if doc_lang in (None, lang):
            yield d.text


def _langs(value: str) -> list[str]:
    langs = [x.strip() for x in value.split(",") if x.strip()]
    if not langs:
        raise ValueError("--lang is empty: give a language code, or several comma separated (en,de,fr)")
    return langs


def _cmd_lm_train(args: argparse.Namespace) -> int:
    """One model per language, each from the documents of that language (cleaned Wikipedia carries
    `lang` per article), as CCNet builds one per language it buckets."""
    from pipeline.app.lm import train_lm

    for lang in _langs(args.lang):
        texts = _lang_texts(iter_documents(args.input, args.raw_source), lang)
        meta = train_lm(
            texts,
            lang,
            args.output,
            vocab_size=args.vocab_size,
            order=args.order,
            memory=args.memory,
            max_docs=args.max_docs,
        )
        print(json.dumps(meta, indent=2))
    return 0


def _cmd_lm_cutoffs(args: argparse.Namespace) -> int:
    from pipeline.app.lm import compute_cutoffs

    existing = {}
    if os.path.exists(args.output):
        with open(args.output, encoding="utf-8") as f:
            existing = json.load(f)
    for lang in _langs(args.lang):
        docs = iter_documents(args.input, args.raw_source)
        cut = compute_cutoffs(_lang_texts(docs, lang, lid=args.raw_source is not None), args.lm_dir, lang)
        existing[lang] = cut
        print(f"{lang}: p30 {cut['p30']}  p60 {cut['p60']}  ({cut['documents']} documents) -> {args.output}")
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(existing, f, indent=2, sort_keys=True)
    os.replace(tmp, args.output)
    return 0


def read_reference_urls(paths: list[str]) -> set[str]:
    """External-link URLs exported by the Wikipedia job (one per line), normalised for matching."""
    urls: set[str] = set()
    for pattern in paths:
        files = (
            glob.glob(os.path.join(pattern, "**", "*"), recursive=True)
            if os.path.isdir(pattern)
            else glob.glob(pattern)
        )
        for path in sorted(f for f in files if os.path.isfile(f)):
            with open(path, encoding="utf-8", errors="replace") as f:
                urls.update(normalize_url(line) for line in f if line.strip())
    return urls


def normalize_url(url: str) -> str:
    u = url.strip().split("#", 1)[0]
    for prefix in ("https://", "http://"):
        if u.startswith(prefix):
            u = u[len(prefix) :]
    if u.startswith("www."):
        u = u[4:]
    return u.rstrip("/").lower()


def _cmd_quality_train(args: argparse.Namespace) -> int:
    from filters.quality import train_classifier

    choice = "explicit"
    if args.positives and not (args.negatives or args.cc):
        raise ValueError("--positives needs --negatives (or --cc, random CommonCrawl pages as negatives)")
    if args.positives:
        positives = [d.text for d in iter_documents(args.positives)]
        negatives = [
            d.text for d in iter_documents(args.negatives or args.cc, args.raw_source if not args.negatives else None)
        ]
    else:
        if not args.cc:
            raise ValueError("give --positives/--negatives, or --cc (CommonCrawl documents) with --references/--wiki")
        refs = read_reference_urls(args.references) if args.references else set()
        positives, pool = [], []
        for d in iter_documents(args.cc, args.raw_source):
            url = d.meta.get(Meta.URL)
            (positives if url and normalize_url(url) in refs else pool).append(d)
        # negatives: a seeded random sample of the CommonCrawl pages (stable hash of the id, not hash())
        pool.sort(key=lambda d: stable_hash64(str(args.seed), d.id))
        negatives = [d.text for d in pool[: args.max_negatives]]
        positives = [d.text for d in positives]
        log.info("%d reference URLs, %d CommonCrawl pages matched", len(refs), len(positives))
        choice = "wikipedia_references"
        if len(positives) < args.min_positives:
            if not args.wiki:
                raise ValueError(
                    f"only {len(positives)} CommonCrawl pages are Wikipedia references "
                    f"(< --min-positives {args.min_positives}); give --wiki to fall back to article text"
                )
            wiki = [d.text for d in iter_documents(args.wiki)]
            random.Random(args.seed).shuffle(wiki)
            choice = "wikipedia_articles_fallback"
            log.warning(
                "too few reference pages (%d < %d): positives are Wikipedia articles instead",
                len(positives),
                args.min_positives,
            )
            positives = positives + wiki[: max(args.min_positives, len(negatives))]
    meta = train_classifier(positives, negatives, args.output, seed=args.seed, metadata={"positives_from": choice})
    print(json.dumps(meta, indent=2))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    lm = sub.add_parser("lm", help="train CCNet perplexity models (SentencePiece + KenLM 5-gram) and bucket cutoffs")
    lms = lm.add_subparsers(dest="lm_command", metavar="ACTION", required=True)
    t = lms.add_parser(
        "train",
        help="SentencePiece unigram + KenLM 5-gram on cleaned Wikipedia of one language",
        description="Train {lang}.sp.model and {lang}.arpa.bin (CCNet names) from LM-normalised text "
        "with the real lmplz/build_binary (built by `make setup`).",
    )
    t.add_argument("--lang", required=True, help="language code, or several comma separated (en,de,fr): one model each")
    t.add_argument("--input", nargs="+", required=True, help="cleaned Wikipedia Parquet folder(s)")
    t.add_argument("--raw-source", help="read native files of this source instead of Parquet")
    t.add_argument("--output", required=True, help="model folder (the CommonCrawl job's --lm-dir)")
    t.add_argument(
        "--vocab-size", type=int, default=65536, help="SentencePiece pieces (CCNet: 65536; shrinks on small data)"
    )
    t.add_argument("--order", type=int, default=5, help="n-gram order (CCNet: 5)")
    t.add_argument("--memory", default="20%", help="lmplz -S memory cap (without it lmplz takes 80%% of RAM)")
    t.add_argument("--max-docs", type=int, default=1_000_000, help="documents to train on (CCNet: 1M)")
    t.set_defaults(func=_cmd_lm_train)
    c = lms.add_parser("cutoffs", help="30th/60th percentile perplexities of a reference set -> cutoffs JSON")
    c.add_argument("--lang", required=True, help="language code, or several comma separated: one cutoff pair each")
    c.add_argument("--lm-dir", required=True)
    c.add_argument(
        "--input", nargs="+", required=True, help="reference documents (Parquet, or native with --raw-source)"
    )
    c.add_argument("--raw-source", help="read native files of this source (then fastText LID selects --lang)")
    c.add_argument("--output", required=True, help="cutoffs JSON to create or update")
    c.set_defaults(func=_cmd_lm_cutoffs)

    q = sub.add_parser("quality", help="train the Wikipedia-reference classifier (fastText supervised)")
    qs = q.add_subparsers(dest="quality_command", metavar="ACTION", required=True)
    qt = qs.add_parser(
        "train",
        help="positives: CommonCrawl pages cited by Wikipedia; negatives: random pages",
        description="LLaMA section 2.1: a linear model of pages used as references in Wikipedia vs "
        "random CommonCrawl pages. Positives are the CommonCrawl documents whose URL is an "
        "external link of a Wikipedia article; when fewer than --min-positives match, "
        "Wikipedia article text is used instead and the choice is recorded in FILE.json.",
    )
    qt.add_argument("--positives", nargs="+", help="explicit positive documents (Parquet)")
    qt.add_argument("--negatives", nargs="+", help="explicit negative documents (Parquet)")
    qt.add_argument("--cc", nargs="+", help="CommonCrawl documents (Parquet, or native with --raw-source)")
    qt.add_argument("--raw-source", help="read --cc as native files of this source, e.g. common_crawl")
    qt.add_argument("--references", nargs="+", help="external-link URL files/folders from the wikipedia job")
    qt.add_argument("--wiki", nargs="+", help="cleaned Wikipedia Parquet, the fallback positives")
    qt.add_argument("--min-positives", type=int, default=100)
    qt.add_argument("--max-negatives", type=int, default=100_000)
    qt.add_argument("--seed", type=int, default=0)
    qt.add_argument("--output", required=True, help="model file (.bin); metadata goes to FILE.json")
    qt.set_defaults(func=_cmd_quality_train)
