"""StackExchange threads and HTML-to-text."""

from __future__ import annotations

from filters.base import Drop
from filters.stackexchange import SiteFilter, answer_order, build_thread, thread_key, top_sites
from pipeline.document import Document
from pipeline.sources.html_parse import html_to_text

SITE = "unix.stackexchange.com"


def post(
    post_id: int,
    body: str,
    score: int,
    question_id: int = 101,
    kind: str = "answer",
    title: str | None = None,
    site: str = SITE,
) -> Document:
    meta = {"site": site, "post_type": kind, "question_id": question_id, "post_id": post_id, "score": score}
    if title is not None:
        meta["title"] = title
    return Document(f"{site}/{post_id}", "stackexchange", body, meta)


QUESTION = post(
    101,
    "<p>How do I list files by size?</p><pre><code>ls -l\n</code></pre>",
    7,
    kind="question",
    title="Sort files by size",
)


def test_answers_ordered_by_score_numerically() -> None:
    nine = post(102, "<p>Use <code>du</code>.</p>", 9)
    ten = post(103, "<p>Use <code>ls -S</code>.</p>", 10)
    out, n = build_thread([nine, QUESTION, ten])
    assert isinstance(out, Document) and n == 1
    # 10 before 9: as strings "9" > "10", the bug the numeric sort rules out
    assert out.text == "Sort files by size\n\nHow do I list files by size?\n\nls -l\n\nUse ls -S.\n\nUse du."
    assert out.id == f"{SITE}/101"
    assert out.meta["site"] == SITE and out.meta["question_id"] == 101 and out.meta["score"] == 7
    assert out.meta["title"] == "Sort files by size"


def test_score_ties_broken_by_answer_id_and_string_scores_still_numeric() -> None:
    a, b = post(205, "<p>B</p>", 3), post(204, "<p>A</p>", 3)
    c = post(206, "<p>C</p>", "12")  # type: ignore[arg-type]
    assert [p.meta["post_id"] for p in sorted([a, b, c], key=answer_order)] == [206, 204, 205]
    out, _ = build_thread([QUESTION, a, b, c])
    assert isinstance(out, Document) and out.text.endswith("C\n\nA\n\nB")


def test_question_without_body_dropped_empty() -> None:
    empty = post(101, "<p>  </p>", 1, kind="question", title="Nothing here")
    assert build_thread([empty, post(102, "<p>Answer</p>", 2)]) == (Drop("empty"), 1)


def test_answers_without_question_dropped_orphan() -> None:
    assert build_thread([post(102, "<p>a</p>", 1), post(103, "<p>b</p>", 2)]) == (Drop("orphan_answer"), 2)


def test_thread_key_groups_by_site_and_question() -> None:
    assert thread_key(QUESTION) == thread_key(post(102, "x", 1))
    assert thread_key(QUESTION) != thread_key(post(102, "x", 1, site="math.stackexchange.com"))


def test_top_sites_by_count_then_name() -> None:
    counts = [("b.com", 5), ("a.com", 5), ("c.com", 9), ("d.com", 1)]
    assert top_sites(counts, 3) == ["c.com", "a.com", "b.com"]


def test_site_filter() -> None:
    assert SiteFilter(["math.stackexchange.com"])(QUESTION) == Drop("site_not_kept")
    assert SiteFilter([SITE])(QUESTION) is QUESTION


def test_html_code_blocks_kept_verbatim() -> None:
    html = (
        "<p>Try this:</p>\n<pre><code>for f in *; do\n    echo &quot;$f&quot;\ndone\n</code></pre>\n"
        "<p>It prints <em>each</em> name &amp; stops.</p>"
    )
    assert html_to_text(html) == 'Try this:\n\nfor f in *; do\n    echo "$f"\ndone\n\nIt prints each name & stops.'


def test_html_lists_readable() -> None:
    html = "<p>Steps:</p><ol><li>Install</li><li><p>Run</p><ul><li>fast</li><li>slow</li></ul></li></ol><p>Done.</p>"
    assert html_to_text(html) == "Steps:\n\n1. Install\n2. Run\n  - fast\n  - slow\n\nDone."


def test_html_drops_tags_scripts_and_joins_whitespace() -> None:
    html = (
        '<div>A <a href="https://x.org">link</a>\n and <b>bold</b><br>next<script>alert(1)</script>'
        '<img src="a.png" alt="pic"/></div><blockquote><p>Quoted</p></blockquote><h2>Title</h2>'
    )
    assert html_to_text(html) == "A link and bold\nnext\n\nQuoted\n\nTitle"


def test_html_malformed_does_not_raise() -> None:
    assert html_to_text("<p>Unclosed <b>bold <pre>code  x") == "Unclosed bold\n\ncode  x"
    assert html_to_text("") == ""


def test_html_code_inside_a_list_item_keeps_its_indentation() -> None:
    # resiliparse indents only the first line of such a block, which breaks the code (docs/libraries.md)
    html = "<ol><li><p>Run:</p><pre><code>if x:\n    y()\nz()\n</code></pre></li><li>two</li></ol>"
    assert html_to_text(html) == "1. Run:\nif x:\n    y()\nz()\n2. two"
