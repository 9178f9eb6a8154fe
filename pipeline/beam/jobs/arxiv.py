"""The arxiv job: LaTeX sources (the reader inlines \\input/\\include) -> comments removed -> user macros
expanded, everything before the first section and from the bibliography on removed (filters/arxiv.py;
LLaMA section 2.1 after Lewkowycz et al. 2022)."""

from __future__ import annotations

import argparse

from pipeline.beam.jobs import JobSpec
from pipeline.document import Meta


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("arxiv")
    g.add_argument(
        "--cut-appendix",
        action="store_true",
        help="also remove \\appendix and what follows (RedPajama does; the LLaMA paper names only "
        "the bibliography, so appendices are kept by default)",
    )
    g.add_argument(
        "--no-expand-macros", action="store_true", help="keep \\newcommand/\\def definitions and calls as written"
    )


def build(docs, args: argparse.Namespace, output: str):
    from filters.arxiv import ExtractBody, RemoveComments
    from pipeline.beam.transforms import apply_steps

    return apply_steps(
        docs,
        [
            RemoveComments(),
            ExtractBody(
                cut_appendix=getattr(args, "cut_appendix", False), expand=not getattr(args, "no_expand_macros", False)
            ),
        ],
    )


JOB = JobSpec(
    source="arxiv",
    meta_keys=(Meta.TITLE, Meta.ORIGIN),
    build=build,
    add_arguments=add_arguments,
    help="ArXiv LaTeX sources -> body from the first section to the bibliography, comments out, macros expanded",
)
