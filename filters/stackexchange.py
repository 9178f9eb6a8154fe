"""StackExchange: one document per question (LLaMA section 2.1: "kept the data from the 28 largest
websites, removed the HTML tags from text and sorted the answers by score (from highest to lowest)").

The reader yields one Document per post (meta: site, post_type "question"/"answer", question_id,
post_id, score, and title for questions; text = the HTML body). `build_thread` joins a question with
its answers; the Beam grouping by (site, question_id) and the top-sites side input are in
`pipeline/beam/jobs/stackexchange.py`.
"""

from __future__ import annotations

from collections.abc import Iterable

from filters.base import Drop, SimpleStep, StepResult
from pipeline.document import Document, Meta
from pipeline.sources.html_parse import html_to_text

POST_TYPE = "post_type"
POST_ID = "post_id"
QUESTION = "question"
ANSWER = "answer"
TOP_SITES = 28  # LLaMA: "the 28 largest websites"


def _int(value: object, default: int = 0) -> int:
    """Scores and ids arrive as ints from the reader; be strict about numeric order even if a str slips
    through ("9" > "10" as strings is exactly the bug the paper's "by score" rules out)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def thread_key(post: Document) -> str:
    """Grouping key of a post: its site and question id (a string key: deterministic coder)."""
    return f"{post.meta.get(Meta.SITE, '')}\x1f{_int(post.meta.get(Meta.QUESTION_ID))}"


def answer_order(post: Document) -> tuple[int, int]:
    """Highest score first, ties by the smaller (older) answer id."""
    return (-_int(post.meta.get(Meta.SCORE)), _int(post.meta.get(POST_ID)))


def build_thread(posts: Iterable[Document]) -> tuple[StepResult, int]:
    """Join the posts of one (site, question_id) into a document: title, question body, then the
    answers by score, paragraphs separated by blank lines. Returns (result, number of posts) so the
    caller can count an `orphan_answer` drop once per answer post."""
    question: Document | None = None
    answers: list[Document] = []
    for post in posts:
        if post.meta.get(POST_TYPE) == QUESTION:
            # a duplicated question row (a damaged dump) keeps the smaller post id: deterministic
            if question is None or _int(post.meta.get(POST_ID)) < _int(question.meta.get(POST_ID)):
                question = post
        else:
            answers.append(post)
    if question is None:
        return Drop("orphan_answer"), len(answers)
    body = html_to_text(question.text)
    title = str(question.meta.get(Meta.TITLE) or "").strip()
    if not body.strip():
        return Drop("empty"), 1
    parts = [title, body] if title else [body]
    for answer in sorted(answers, key=answer_order):
        text = html_to_text(answer.text)
        if text.strip():
            parts.append(text)
    site = str(question.meta.get(Meta.SITE) or "")
    qid = _int(question.meta.get(Meta.QUESTION_ID, question.meta.get(POST_ID)))
    meta = {
        Meta.SITE: site,
        Meta.QUESTION_ID: qid,
        Meta.SCORE: _int(question.meta.get(Meta.SCORE)),
        Meta.TITLE: title,
        "answers": len(answers),
    }
    if Meta.ORIGIN in question.meta:
        meta[Meta.ORIGIN] = question.meta[Meta.ORIGIN]
    return Document(f"{site}/{qid}", "stackexchange", "\n\n".join(parts), meta), 1


def top_sites(counts: Iterable[tuple[str, int]], n: int = TOP_SITES) -> list[str]:
    """The n sites with the most posts; ties broken by name so the choice is deterministic."""
    return [site for site, _ in sorted(counts, key=lambda kv: (-kv[1], kv[0]))[:n]]


class SiteFilter(SimpleStep):
    """Keep posts of the given sites (the `--sites` list)."""

    name = "site"

    def __init__(self, sites: Iterable[str]) -> None:
        self.sites = frozenset(sites)

    def __call__(self, doc: Document) -> StepResult:
        return doc if doc.meta.get(Meta.SITE) in self.sites else Drop("site_not_kept")
