"""HTML to readable plain text with the standard library's `html.parser` (no network, no lxml).

Used for StackExchange post bodies (LLaMA section 2.1: "removed the HTML tags from text"). Removing
tags naively glues paragraphs together and flattens code, so block elements become line breaks,
`<pre>` blocks keep their exact whitespace, and list items become `- item` / `1. item` lines indented
by nesting depth. Entities are decoded by the parser (`convert_charrefs=True`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements that end a paragraph (a blank line around them) and those that only break a line.
_PARAGRAPH_TAGS = (
    "p div h1 h2 h3 h4 h5 h6 blockquote ul ol dl table pre hr section article header footer figure"
)
_PARAGRAPH = frozenset(_PARAGRAPH_TAGS.split())
_LINE = frozenset("br li tr dt dd caption".split())  # noqa: SIM905
_SKIP = frozenset("script style head title template noscript".split())  # noqa: SIM905
_VOID = frozenset("br hr img input meta link area base col embed source track wbr".split())  # noqa: SIM905
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK = "\x00"  # marker for a paragraph break in the line list


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.pre_depth = 0
        self.pre_buf: list[str] = []
        self.skip_depth = 0
        self.lists: list[list[int | str]] = []  # stack of [kind, counter]
        self.prefix = ""  # bullet to put before the next text of a list item

    # -- line assembly ------------------------------------------------------------------------------
    def _flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.buf)).strip()
        self.buf = []
        if text:
            self.lines.append(self.prefix + text)
            self.prefix = ""  # an empty flush keeps the bullet for the item's first text

    def _paragraph(self) -> None:
        self._flush()
        if self.lists:  # paragraphs inside a list item (`<li><p>`) stay on single lines
            return
        if self.lines and self.lines[-1] != _BLANK:
            self.lines.append(_BLANK)

    # -- parser callbacks ---------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if self.pre_depth:
            if tag == "pre":
                self.pre_depth += 1
            elif tag == "br":
                self.pre_buf.append("\n")
            return
        if tag == "pre":
            self._paragraph()
            self.pre_depth = 1
            self.pre_buf = []
        elif tag in ("ul", "ol"):
            if not self.lists:
                self._paragraph()
            else:
                self._flush()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
            depth = max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] = int(self.lists[-1][1]) + 1
                bullet = f"{self.lists[-1][1]}. "
            else:
                bullet = "- "
            self.prefix = "  " * depth + bullet
        elif tag in _PARAGRAPH:
            self._paragraph()
        elif tag in _LINE:
            self._flush()
        elif tag in ("td", "th"):
            self.buf.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(self.skip_depth - 1, 0)
            return
        if self.pre_depth:
            if tag == "pre":
                self.pre_depth -= 1
                if self.pre_depth == 0:
                    self._emit_pre()
            return
        if tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._paragraph()
        elif tag in _PARAGRAPH:
            self._paragraph()
        elif tag in _LINE:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            self.pre_buf.append(data)
        else:
            self.buf.append(data)

    def _emit_pre(self) -> None:
        code = "".join(self.pre_buf).replace("\r\n", "\n").strip("\n")
        self.pre_buf = []
        lines = [ln.rstrip() for ln in code.split("\n")]
        if any(lines):
            self.lines.extend(lines)
        self._paragraph()

    def result(self) -> str:
        if self.pre_depth:  # an unclosed <pre> still yields its text
            self.pre_depth = 0
            self._emit_pre()
        self._flush()
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


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: paragraphs separated by a blank line, code blocks verbatim,
    list items as `- ` / `N. ` lines. Never raises on malformed HTML (html.parser is lenient)."""
    parser = _TextBuilder()
    parser.feed(html)
    parser.close()
    return parser.result()
