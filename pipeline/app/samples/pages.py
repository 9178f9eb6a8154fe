"""Real web pages, as text, for the CommonCrawl and C4 samples (memoised: both sources use them).

Sources: trafilatura's and newspaper4k's test pages (real sites, en/de/fr/others), the Python 3.11
HTML documentation and the Debian Administrator's Handbook (real translations). Each page keeps the
URL it names itself (canonical / og:url) or the URL of the site the docs really live on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pipeline.app.samples.fetch import deb_members, sdist_members
from pipeline.app.samples.htmltext import html_to_page

PYDOC = "usr/share/doc/python3.11/html/"
HANDBOOK = "usr/share/doc/debian-handbook/html/"
# Every handbook locale the samples use, read in one pass over the (large) package.
HANDBOOK_LOCALES = ("de-DE", "en-US", "es-ES", "fr-FR", "it-IT", "nl-NL", "pl-PL", "pt-BR", "ru-RU", "sv-SE")


@dataclass(frozen=True)
class WebPage:
    key: str  # stable sort key: "<group>/<inner path>"
    url: str
    text: str
    origin: str  # "package==version:inner/path"
    title: str


def _guess_url(name: str) -> str:
    # trafilatura names its cached pages "<host>.<slug>.html", e.g. "bmjv.de.konsum.html".
    stem = name.rsplit("/", 1)[-1].removesuffix(".html")
    parts = stem.split(".")
    host = ".".join(parts[:-1]) if len(parts) > 2 else stem
    return f"https://{host}/{parts[-1]}" if len(parts) > 2 else f"https://{host}/"


@functools.cache
def news_pages() -> tuple[WebPage, ...]:
    out = []
    for pkg, prefix in (("trafilatura", "tests/cache/"), ("newspaper4k", "tests/data/html/")):
        members, origin = sdist_members(pkg, lambda n, p=prefix: n.startswith(p) and n.endswith(".html"))
        for name in sorted(members):
            page = html_to_page(members[name])
            if len(page.text) < 200:  # meta-refresh stubs carry no text
                continue
            url = page.url or _guess_url(name)
            out.append(WebPage(f"{pkg}/{name}", url, page.text, f"{origin}:{name}", page.title))
    return tuple(out)


@functools.cache
def pydoc_pages() -> tuple[WebPage, ...]:
    members, origin = deb_members("python3.11-doc", lambda n: n.startswith(PYDOC) and n.endswith(".html"))
    out = []
    for name in sorted(members):
        rel = name[len(PYDOC) :]
        if rel.startswith(("genindex", "search", "py-modindex", "_")):
            continue
        page = html_to_page(members[name])
        out.append(
            WebPage(
                f"pydoc/{rel}",
                f"https://docs.python.org/3.11/{rel}",
                page.text,
                f"{origin}:{name}",
                page.title,
            )
        )
    return tuple(out)


@functools.cache
def handbook_html() -> tuple[dict[str, bytes], str]:
    want = tuple(f"{HANDBOOK}{loc}/" for loc in HANDBOOK_LOCALES)
    return deb_members("debian-handbook", lambda n: n.startswith(want) and n.endswith(".html"))


def handbook_pages(locale: str) -> list[WebPage]:
    members, origin = handbook_html()
    out = []
    for name in sorted(members):
        if not name.startswith(f"{HANDBOOK}{locale}/"):
            continue
        rel = name[len(HANDBOOK) + len(locale) + 1 :]
        page = html_to_page(members[name])
        url = page.url or f"https://debian-handbook.info/browse/{locale}/stable/{rel}"
        out.append(WebPage(f"handbook/{locale}/{rel}", url, page.text, f"{origin}:{name}", page.title))
    return out
