"""`--semantics ccnet`: what released cc_net does where it differs from the paper's description.

The default (`paper`) follows the CCNet paper; these pieces reproduce the code that CCNet, RedPajama-v1
and LLaMA actually ran (cc_net's process_wet_file.py, dedup.py, split_by_lang.py, perplexity.py):

- a WET body's lines are each stripped and its first line is the page title, kept in `title` and not
  part of the text; the 300-character minimum applies to the rest (`CCNetPage`);
- line dedup counts documents, not occurrences, and keeps the first copy of a line repeated inside one
  page (filters/dedup.py);
- language ID runs on the text with its newlines deleted (words glued across lines) and the score is
  rounded to two decimals before the threshold test (filters/langid.py, `semantics="ccnet"`);
- the perplexity model sees the whole page normalised as one line: cc_net's LM normalisation of the
  whole text deletes "\\n" as a non-printing character (`filters.normalize.lm_normalize` on the page;
  filters/perplexity.py `DocScorer.document_perplexity`).
"""

from __future__ import annotations

import re

from filters.base import SimpleStep, StepResult
from pipeline.document import Document, Meta

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # Python's universal newlines, as cc_net reads WET in text mode


class CCNetPage(SimpleStep):
    """Strip every line of a WET body and move its first line to `title` (cc_net's parse_doc)."""

    name = "ccnet_page"

    def __call__(self, doc: Document) -> StepResult:
        lines = [line.strip() for line in _LINE_BREAK.split(doc.text)]
        return Document(doc.id, doc.source, "\n".join(lines[1:]), {**doc.meta, Meta.TITLE: lines[0]})
