"""Books cleaning: strip the Project Gutenberg header and footer (start/end markers and the licence).

LLaMA section 2.1 uses Gutenberg and Books3 and deduplicates "at the book level, removing books with
more than 90% content overlap"; that dedup is `filters/minhash.py` plus the Beam job. This module
only takes the Gutenberg boilerplate off, so the licence text (identical in every Gutenberg file) does
not count as overlap between books.
"""

from __future__ import annotations

import re

from filters.base import Drop, SimpleStep, StepResult
from pipeline.document import Document

GUTENBERG_PREFIX = "gutenberg:"
# The book-level near-dedup (filters/minhash.py, pipeline/beam/book_dedup.py): the books job's defaults.
# Defined here, not in filters/minhash.py, so the command line reads them without loading datasketch.
OVERLAP = 0.9  # LLaMA: books with more than 90% content overlap are removed
LSH_THRESHOLD = 0.3  # Jaccard threshold of the LSH that proposes candidate pairs (minhash.candidate_pairs)
NUM_PERM = 128  # MinHash permutations
SEED = 1  # one permutation seed for every signature: sketches are only comparable with the same one

# Start of the book proper: modern "*** START OF THE/THIS PROJECT GUTENBERG EBOOK <TITLE> ***" (also
# "E-BOOK", "ETEXT", missing spaces), and in old (1990s) files the end of the legal header,
# "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*". The body starts on the next line.
_START_RE = re.compile(
    r"^[ \t]*\*{3}[ \t]*START OF (?:THE |THIS )?PROJECT GUTENBERG E-?(?:BOOK|TEXT)[^\n]*$"
    r"|^[ \t]*\*+[ \t]*END\*?[ \t]*THE SMALL PRINT[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
# End of the book proper: "*** END OF THE/THIS PROJECT GUTENBERG EBOOK ... ***" and the older
# "End of the Project Gutenberg EBook of <title>" / "End of Project Gutenberg's <title>" lines.
_END_RE = re.compile(
    r"^[ \t]*\*{3}[ \t]*END OF (?:THE |THIS )?PROJECT GUTENBERG E-?(?:BOOK|TEXT)[^\n]*$"
    r"|^[ \t]*End of (?:the )?Project Gutenberg(?:'s)?\b[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Credit lines right after the start marker ("Produced by ...", "E-text prepared by ...").
_CREDIT_RE = re.compile(
    r"^(?:produced by|e-?text prepared by|transcribed (?:from|by)|this (?:e-?book|e-?text) was produced"
    r"|updated editions will replace|an anonymous volunteer)",
    re.IGNORECASE,
)
_CREDIT_WINDOW = 12  # non-empty lines after the start marker in which credit paragraphs are looked for


def _drop_credits(body: str) -> str:
    """Remove the short producer-credit paragraphs that open most Gutenberg texts."""
    paragraphs = re.split(r"\n[ \t]*\n", body.lstrip("\n"), maxsplit=_CREDIT_WINDOW)
    kept_from = 0
    for i, para in enumerate(paragraphs[:-1] if len(paragraphs) > 1 else []):
        if _CREDIT_RE.match(para.strip()):
            kept_from = i + 1
    return "\n\n".join(paragraphs[kept_from:])


def strip_gutenberg(text: str) -> tuple[str, bool]:
    """(body, found_markers). Without any marker the text is returned unchanged with False."""
    start = _START_RE.search(text)
    begin = start.end() if start else 0
    end = _END_RE.search(text, begin)
    finish = end.start() if end else len(text)
    if start is None and end is None:
        return text, False
    body = _drop_credits(text[begin:finish])
    return body.strip("\n").rstrip() + "\n" if body.strip() else "", True


class StripGutenberg(SimpleStep):
    """Strip Gutenberg boilerplate from `gutenberg:` documents (Books3 text has none). A Gutenberg
    document without markers is kept as is and noted as `no_gutenberg_markers`."""

    name = "gutenberg"

    def __call__(self, doc: Document) -> StepResult:
        if not doc.id.startswith(GUTENBERG_PREFIX):
            return doc if doc.text.strip() else Drop("empty")
        body, found = strip_gutenberg(doc.text)
        if not found:
            self.note("no_gutenberg_markers")
        if not body.strip():
            return Drop("empty")
        return doc.with_text(body) if body != doc.text else doc
