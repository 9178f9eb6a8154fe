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
    """A WET body as released cc_net reads it (process_wet_file.py `group_by_docs` + `parse_doc`), from
    the body exactly as stored (the reader's `raw_body`):

    - cc_net reads the file as text, line by line, and strips every line;
    - a record ends at the next line that is exactly "WARC/1.0" (cc_net does not use Content-Length, so
      such a line inside a page ends the page there);
    - the record's lines include those of the two-CRLF separator after the body; the last two lines are
      dropped only when both are empty, so a body that does not end with a line break keeps one empty
      last line (its text ends with "\n", which counts towards the 300-character minimum);
    - the first line is the title, the rest joined with "\n" is the text.
    """

    name = "ccnet_page"

    def __call__(self, doc: Document) -> StepResult:
        lines = [line.strip() for line in _LINE_BREAK.split(doc.text + "\r\n\r\n")][:-1]
        if "WARC/1.0" in lines:
            lines = lines[: lines.index("WARC/1.0")]
        if len(lines) >= 2 and not lines[-1] and not lines[-2]:
            lines = lines[:-2]
        title = lines[0] if lines else ""
        return Document(doc.id, doc.source, "\n".join(lines[1:]), {**doc.meta, Meta.TITLE: title})
