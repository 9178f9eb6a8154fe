"""The arxiv job: LaTeX sources (the reader inlines \\input/\\include) -> comments removed -> user macros
expanded, everything before the first section and from the bibliography on removed (filters/arxiv.py;
LLaMA section 2.1 after Lewkowycz et al. 2022)."""

from __future__ import annotations

import argparse
import dataclasses

from pipeline.beam.jobs import JobSpec
from pipeline.document import Meta


@dataclasses.dataclass(frozen=True)
class ArxivOptions:
    cut_appendix: bool = False  # --cut-appendix
    no_expand_macros: bool = False  # --no-expand-macros


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("arxiv")
    g.add_argument(
        "--cut-appendix",
        action="store_true",
        default=ArxivOptions.cut_appendix,
        help="also remove \\appendix and what follows (RedPajama does; the LLaMA paper names only "
        "the bibliography, so appendices are kept by default)",
    )
    g.add_argument(
        "--no-expand-macros",
        action="store_true",
        default=ArxivOptions.no_expand_macros,
        help="keep \\newcommand/\\def definitions and calls as written",
    )


def build(docs, opts: ArxivOptions, output: str):
    from filters.arxiv import ExtractBody, RemoveComments
    from pipeline.beam.transforms import apply_steps

    return apply_steps(
        docs,
        [
            RemoveComments(),
            ExtractBody(cut_appendix=opts.cut_appendix, expand=not opts.no_expand_macros),
        ],
    )


JOB = JobSpec(
    source="arxiv",
    meta_keys=(Meta.TITLE, Meta.ORIGIN),
    options=ArxivOptions,
    build=build,
    add_arguments=add_arguments,
    help="ArXiv LaTeX sources -> body from the first section to the bibliography, comments out, macros expanded",
)
