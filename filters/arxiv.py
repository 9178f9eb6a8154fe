"""ArXiv cleaning steps: comments out, user macros expanded, only the body from
the first section to the bibliography kept. The reader has already inlined \\input/\\include."""

from __future__ import annotations

import re

from filters import latex
from filters.base import Drop, SimpleStep, StepResult
from pipeline.document import Document

_BLANKS_RE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


class RemoveComments(SimpleStep):
    """`%` comments (not `\\%`) and comment environments. First, so commented-out sections and macro
    definitions count for nothing."""

    name = "comments"

    def __call__(self, doc: Document) -> StepResult:
        return doc.with_text(latex.remove_comments(doc.text))


class ExtractBody(SimpleStep):
    """Collect user macros from the whole file (the preamble defines most of them) and expand them, then
    keep the text from the first sectioning command to the bibliography (and \\appendix, if asked).
    No sectioning command -> `no_section`; nothing left -> `empty`."""

    name = "body"

    def __init__(self, cut_appendix: bool = False, expand: bool = True) -> None:
        self.cut_appendix = cut_appendix
        self.expand = expand

    def __call__(self, doc: Document) -> StepResult:
        text = doc.text
        if self.expand:
            # expand before looking for the first section: papers define their own sectioning
            # macros (\newcommand{\mysection}[1]{\subsubsection{#1}}, \let\mysection=\subsubsection)
            macros, text = latex.extract_macros(text)
            text = latex.expand_macros(text, macros)
        span = latex.body_span(text, self.cut_appendix)
        if span is None:
            return Drop("no_section")
        body = text[span[0] : span[1]]
        body = _BLANKS_RE.sub("\n\n", body).strip()
        if not body:
            return Drop("empty")
        return doc.with_text(body + "\n")
