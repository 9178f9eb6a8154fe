"""A small stdlib HTML-to-text extractor for the sample builder.

CommonCrawl's WET text keeps every visible line of a page, menus included (CCNet, Wenzek et al. 2020,
section 3, dedups exactly those repeated lines), so this extractor drops only what is never visible:
scripts, styles, templates, SVG, the head (except the title). Block elements end a line. With
`wikitext=True` it emits light MediaWiki markup (headings, bold, links, refs) for the wrapped wiki pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "pre",
    "blockquote",
    "dd",
    "dt",
    "dl",
    "form",
    "title",
    "hr",
    "figure",
    "figcaption",
    "main",
    "td",
    "th",
    "option",
    "address",
    "center",
}
INVISIBLE = {"script", "style", "noscript", "template", "svg", "iframe", "object", "select"}
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_CHARSET = re.compile(rb"""charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


@dataclass
class Page:
    text: str
    title: str = ""
    url: str = ""  # canonical link or og:url when the page names one
    lang: str = ""
    links: list[str] = field(default_factory=list)


class _Extractor(HTMLParser):
    def __init__(self, wikitext: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.wikitext = wikitext
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.skip = 0
        self.in_head = False
        self.in_title = False
        self.pre = 0
        self.title = ""
        self.url = ""
        self.og_url = ""
        self.lang = ""
        self.heading = ""
        self.href: list[str | None] = []

    def _flush(self) -> None:
        line = "".join(self.cur)
        self.cur = []
        if self.pre:
            self.lines.extend(x.rstrip() for x in line.split("\n"))
            return
        line = _WS.sub(" ", line.replace("\n", " ")).strip()
        if line:
            self.lines.append(line)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "html" and a.get("lang"):
            self.lang = a["lang"]
        if tag == "head":
            self.in_head = True
        if tag == "link" and "canonical" in a.get("rel", "").split() and a.get("href", "").startswith("http"):
            self.url = self.url or a["href"]
        if tag == "meta" and a.get("property") == "og:url" and a.get("content", "").startswith("http"):
            self.og_url = self.og_url or a["content"]
        if tag in INVISIBLE:
            self.skip += 1
            return
        if tag == "title":
            self.in_title = True
            return
        if self.skip or self.in_head:
            return
        if tag in BLOCK:
            self._flush()
        if tag == "pre":
            self.pre += 1
        if self.wikitext:
            if tag in ("h1", "h2", "h3", "h4"):
                self.heading = "=" * max(2, int(tag[1]))
                self.cur.append(self.heading + " ")
            elif tag in ("b", "strong"):
                self.cur.append("'''")
            elif tag in ("em", "i"):
                self.cur.append("''")
            elif tag == "li":
                self.cur.append("* ")
            elif tag == "a":
                self.href.append(a.get("href"))
                self.cur.append("\x00")  # marks where the link text starts

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        if tag in INVISIBLE:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "title":
            self.in_title = False
            return
        if self.skip or self.in_head:
            return
        if self.wikitext:
            if tag in ("h1", "h2", "h3", "h4") and self.heading:
                self.cur.append(" " + self.heading)
                self.heading = ""
            elif tag in ("b", "strong"):
                self.cur.append("'''")
            elif tag in ("em", "i"):
                self.cur.append("''")
            elif tag == "a" and self.href:
                self._close_link(self.href.pop())
        if tag == "pre":
            self._flush()
            self.pre = max(0, self.pre - 1)
        if tag in BLOCK:
            self._flush()

    def _close_link(self, href: str | None) -> None:
        joined = "".join(self.cur)
        start = joined.rfind("\x00")
        if start < 0:
            return
        text = joined[start + 1 :].strip()
        head = joined[:start]
        if href and not href.startswith("#"):  # a link's label is plain text in wikitext
            text = text.replace("'''", "").replace("''", "").strip()
        if not text or not href:
            self.cur = [head + text]
        elif href.startswith("http"):
            self.cur = [head + f"{text}<ref>[{href} {text}]</ref>"]
        elif not href.startswith("#"):
            self.cur = [head + f"[[{text}]]"]
        else:
            self.cur = [head + text]

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.skip or self.in_head:
            return
        self.cur.append(data)

    def result(self) -> Page:
        self._flush()
        text = "\n".join(self.lines).replace("\x00", "")
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        return Page(
            text=text, title=_WS.sub(" ", self.title).strip(), url=self.url or self.og_url, lang=self.lang
        )


def decode_html(raw: bytes) -> str:
    """Bytes to str: UTF-8 if it decodes, else the declared charset, else Latin-1 (never fails)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _CHARSET.search(raw[:4096])
    if m:
        try:
            return raw.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return raw.decode("latin-1")


def html_to_page(raw: bytes | str, wikitext: bool = False) -> Page:
    ex = _Extractor(wikitext)
    ex.feed(raw if isinstance(raw, str) else decode_html(raw))
    ex.close()
    return ex.result()
