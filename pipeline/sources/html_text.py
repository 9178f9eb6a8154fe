"""Plain text from HTML, roughly as CommonCrawl's WET conversion does it: one line per block element,
inline whitespace collapsed, script/style and other non-content elements dropped. Stdlib only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose start or end begins a new line of text.
BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
    }
)
# Elements whose content is never text a reader sees.
SKIP = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "head", "object", "iframe", "canvas", "select"}
)
# `head` is skipped but its `title` is kept: WET records start with the page title too.
_KEEP_IN_SKIP = frozenset({"title"})
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.skip_depth = 0
        self.in_title = False

    def _break(self) -> None:
        line = _SPACE.sub(" ", "".join(self.cur)).strip()
        if line:
            self.lines.append(line)
        self.cur = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in _KEEP_IN_SKIP:
            self.in_title = True
        elif tag in SKIP:
            self.skip_depth += 1
        if tag in BLOCK:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in BLOCK:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _KEEP_IN_SKIP:
            self.in_title = False
        elif tag in SKIP and self.skip_depth:
            self.skip_depth -= 1
        if tag in BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip_depth == 0 or self.in_title:
            self.cur.append(data)


def html_to_text(html: str) -> str:
    p = _Extractor()
    p.feed(html)
    p.close()
    p._break()
    return "\n".join(p.lines)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def sniff_charset(head: bytes) -> str | None:
    """The charset a page declares in a `<meta>` tag within its first bytes, if any."""
    m = _META_CHARSET.search(head[:4096])
    return m.group(1).decode("ascii").lower() if m else None
