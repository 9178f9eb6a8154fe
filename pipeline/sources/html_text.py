"""Plain text from WARC response pages, roughly as CommonCrawl's WET conversion does it: one line per
block element, inline whitespace collapsed, script/style and other non-content elements dropped, the
page title kept. The extraction is the shared core in pipeline/sources/html_parse.py (`WEB_RULES`);
what stays here is about bytes: the charset a page declares."""

from __future__ import annotations

import re

from pipeline.sources import html_parse

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """The page's text: one line per block element, no blank lines."""
    return html_parse.html_to_text(html, html_parse.WEB_RULES)


def sniff_charset(head: bytes) -> str | None:
    """The charset a page declares in a `<meta>` tag within its first bytes, if any."""
    m = _META_CHARSET.search(head[:4096])
    return m.group(1).decode("ascii").lower() if m else None
