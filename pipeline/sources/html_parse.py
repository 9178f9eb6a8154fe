"""The one HTML-to-text core, on the standard library's `html.parser` (no network, no lxml).

Every source that meets HTML uses it: StackExchange post bodies (LLaMA section 2.1: "removed the HTML
tags from text"), CommonCrawl WARC response pages (pipeline/sources/html_text.py) and the sample
builder (pipeline/app/samples/htmltext.py). What differs between them is a `Rules` value:

- `SE_RULES` (the default): block elements become paragraphs (a blank line) or line breaks, `<pre>`
  blocks keep their exact whitespace and list items become `- item` / `1. item` lines indented by nesting
  depth. Removing tags naively glues paragraphs together and flattens code.
- `WEB_RULES`: roughly CommonCrawl's WET conversion: one line per block element, no blank lines, the
  page `<title>` kept as the first line while the rest of `<head>` is dropped.

Everywhere: inline whitespace is collapsed, elements a reader never sees (script, style, ...) are
dropped with all their content, entities are decoded by the parser (`convert_charrefs=True`), and
malformed HTML never raises (html.parser is lenient).

resiliparse (from FastWARC's authors) was measured against this core on the sample corpus and not taken:
faster, same words, but a different list layout and code blocks inside list items re-indented
(docs/libraries.md, `bench/bench_libraries.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TypeVar


def tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


@dataclass(frozen=True)
class Rules:
    """How a document's elements map onto text."""

    skip: frozenset[str]  # never-visible elements, dropped with their content
    line: frozenset[str]  # elements whose start and end break the line
    paragraph: frozenset[str] = frozenset()  # elements that also leave a blank line around them
    keep: frozenset[str] = frozenset()  # text kept even inside a skipped element (`<title>` in `<head>`)
    structure: bool = False  # lists as bullets and `<pre>` kept verbatim (otherwise both are plain blocks)


# Block elements of a web page (the union of what the WARC reader and the sample builder break on).
WEB_BLOCK = tags(
    "address article aside blockquote body br caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol option p pre "
    "section summary table tbody td tfoot th thead tr ul"
)
WEB_SKIP = tags("script style noscript template svg math head object iframe canvas select")

SE_RULES = Rules(
    skip=tags("script style head title template noscript"),
    line=tags("br li tr dt dd caption"),
    paragraph=tags("p div h1 h2 h3 h4 h5 h6 blockquote ul ol dl table pre hr section article header footer figure"),
    structure=True,
)
# `head` is skipped but its `title` is kept: WET records start with the page title too.
WEB_RULES = Rules(skip=WEB_SKIP, line=WEB_BLOCK | {"title"}, keep=frozenset({"title"}))

_VOID = tags("br hr img input meta link area base col embed source track wbr")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK = "\x00"  # marker for a paragraph break in the line list


def collapse(text: str) -> str:
    """Inline whitespace of HTML text: every run becomes one space, none at the ends."""
    return _SPACES.sub(" ", text).strip()


class TextParser(HTMLParser):
    """Collects `lines` of text under `rules`; subclasses add what one caller needs (metadata, markup)."""

    def __init__(self, rules: Rules = SE_RULES) -> None:
        super().__init__(convert_charrefs=True)
        self.rules = rules
        self.lines: list[str] = []
        self.cur: list[str] = []  # text of the line being built
        self.skip = 0  # depth inside skipped elements
        self.keep = 0  # depth inside kept elements (their text survives `skip`)
        self.pre_depth = 0
        self.pre_buf: list[str] = []
        self.lists: list[list[int | str]] = []  # stack of [kind, counter]
        self.prefix = ""  # bullet to put before the next text of a list item

    @property
    def hidden(self) -> bool:
        """Inside a skipped element whose text is dropped: tags there are ignored too."""
        return bool(self.skip) and not self.keep

    # -- line assembly ------------------------------------------------------------------------------
    def flush(self) -> None:
        """End the current line."""
        text = collapse("".join(self.cur))
        self.cur = []
        if text:
            self.lines.append(self.prefix + text)
            self.prefix = ""  # an empty flush keeps the bullet for the item's first text

    def paragraph(self) -> None:
        self.flush()
        if self.lists:  # paragraphs inside a list item (`<li><p>`) stay on single lines
            return
        if self.lines and self.lines[-1] != _BLANK:
            self.lines.append(_BLANK)

    def _block(self, tag: str) -> None:
        if tag in self.rules.paragraph:
            self.paragraph()
        elif tag in self.rules.line:
            self.flush()

    # -- parser callbacks ---------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.rules.keep:
            self.keep += 1
        elif tag in self.rules.skip:
            self.skip += 1
            return
        if self.hidden:
            return
        if self.pre_depth:
            if tag == "pre":
                self.pre_depth += 1
            elif tag == "br":
                self.pre_buf.append("\n")
            return
        if self.rules.structure and tag == "pre":
            self.paragraph()
            self.pre_depth = 1
            self.pre_buf = []
        elif self.rules.structure and tag in ("ul", "ol"):
            if not self.lists:
                self.paragraph()
            else:
                self.flush()
            self.lists.append([tag, 0])
        elif self.rules.structure and tag == "li":
            self.flush()
            depth = max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] = int(self.lists[-1][1]) + 1
                bullet = f"{self.lists[-1][1]}. "
            else:
                bullet = "- "
            self.prefix = "  " * depth + bullet
        elif tag in self.rules.paragraph or tag in self.rules.line:
            self._block(tag)
        elif tag in ("td", "th"):
            self.cur.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.rules.skip and tag not in self.rules.keep:
            self.skip = max(self.skip - 1, 0)
            return
        if not self.hidden:
            self._end(tag)
        if tag in self.rules.keep:
            self.keep = max(self.keep - 1, 0)

    def _end(self, tag: str) -> None:
        if self.pre_depth:
            if tag == "pre":
                self.pre_depth -= 1
                if self.pre_depth == 0:
                    self._emit_pre()
            return
        if self.rules.structure and tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self.paragraph()
        else:
            self._block(tag)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre_depth:
            self.pre_buf.append(data)
        else:
            self.cur.append(data)

    def _emit_pre(self) -> None:
        code = "".join(self.pre_buf).replace("\r\n", "\n").strip("\n")
        self.pre_buf = []
        lines = [ln.rstrip() for ln in code.split("\n")]
        if any(lines):
            self.lines.extend(lines)
        self.paragraph()

    def finish(self) -> None:
        """End of input: an unclosed `<pre>` still yields its text, the last line is flushed."""
        if self.pre_depth:
            self.pre_depth = 0
            self._emit_pre()
        self.flush()

    def text(self) -> str:
        """The lines, with at most one blank line for any run of paragraph breaks and none at the end."""
        out: list[str] = []
        for line in self.lines:
            if line == _BLANK:
                if out and out[-1] != "":
                    out.append("")
            else:
                out.append(line)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out)


_P = TypeVar("_P", bound=TextParser)


def run_parser(parser: _P, html: str) -> _P:
    """Feed a whole document to `parser` and finish it."""
    parser.feed(html)
    parser.close()
    parser.finish()
    return parser


def html_to_text(html: str, rules: Rules = SE_RULES) -> str:
    """Plain text of an HTML document or fragment under `rules`. With the default `SE_RULES`:
    paragraphs separated by a blank line, code blocks verbatim, list items as `- ` / `N. ` lines."""
    return run_parser(TextParser(rules), html).text()
