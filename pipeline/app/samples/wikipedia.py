"""Wikipedia sample: two genuine dump slices from gensim (enwiki; bgwiki in UTF-16) copied as they are,
and de/fr/es/ru MediaWiki export XML wrapped from the Debian Handbook's real translations.

LLaMA takes Wikipedia in 20 languages (Touvron et al. 2023, section 2); the wrapped languages are among
them. The wrapped dumps follow the export-0.10 schema: siteinfo with dbname and namespaces, ns-0 articles
with wikitext markup, a few redirects and one talk page (ns 1) for the reader to skip.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pipeline.app.samples import pages
from pipeline.app.samples.fetch import sdist_members
from pipeline.app.samples.htmltext import html_to_page
from pipeline.app.samples.util import bz2_bytes, iso_z, stable_time

GENSIM = {
    "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2": "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.xml.bz2",
    "gensim/test/test_data/bgwiki-latest-pages-articles-shortened.xml.bz2": "bgwiki-latest-pages-articles-shortened.xml.bz2",
}
WRAPPED = {  # handbook locale -> (wiki language, talk namespace name)
    "de-DE": ("de", "Diskussion"),
    "es-ES": ("es", "Discusión"),
    "fr-FR": ("fr", "Discussion"),
    "ru-RU": ("ru", "Обсуждение"),
}
PAGES_PER_LANG = 25
REDIRECTS_PER_LANG = 2


def count_articles(dump: bytes) -> int:
    """ns-0, non-redirect pages of a bz2 MediaWiki dump (what the reader yields)."""
    n = 0
    ns, redirect = None, False
    for _, el in ET.iterparse(io.BytesIO(bz2.decompress(dump)), events=("end",)):
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "ns":
            ns = (el.text or "").strip()
        elif tag == "redirect":
            redirect = True
        elif tag == "page":
            n += ns == "0" and not redirect
            ns, redirect = None, False
            el.clear()
    return n


def _sha1_base36(text: str) -> str:
    v = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest(), "big")
    out = ""
    while v:
        v, r = divmod(v, 36)
        out = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + out
    return out.rjust(31, "0")


def _page(title: str, ns: int, pid: int, text: str, lang: str, redirect: str | None = None) -> str:
    ts = iso_z(stable_time("2019-03-01T00:00:00", 30, lang, title))
    red = f"    <redirect title={quoteattr(redirect)} />\n" if redirect else ""
    return (
        f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{pid}</id>\n{red}"
        f"    <revision>\n      <id>{pid * 1000 + 7}</id>\n      <timestamp>{ts}</timestamp>\n"
        f"      <contributor>\n        <username>HandbookImport</username>\n        <id>{pid + 500}</id>\n"
        "      </contributor>\n      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
        f'      <text bytes="{len(text.encode())}" xml:space="preserve">{escape(text)}</text>\n'
        f"      <sha1>{_sha1_base36(text)}</sha1>\n    </revision>\n  </page>\n"
    )


def _siteinfo(lang: str, talk: str) -> str:
    return (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
        '"http://www.mediawiki.org/xml/export-0.10/ http://www.mediawiki.org/xml/export-0.10.xsd" '
        f'version="0.10" xml:lang="{lang}">\n  <siteinfo>\n    <sitename>Wikipedia</sitename>\n'
        f"    <dbname>{lang}wiki</dbname>\n    <base>https://{lang}.wikipedia.org/wiki/</base>\n"
        "    <generator>MediaWiki 1.33.0-wmf.23</generator>\n    <case>first-letter</case>\n"
        '    <namespaces>\n      <namespace key="-1" case="first-letter">Special</namespace>\n'
        '      <namespace key="0" case="first-letter" />\n'
        f'      <namespace key="1" case="first-letter">{talk}</namespace>\n'
        '      <namespace key="4" case="first-letter">Wikipedia</namespace>\n'
        '      <namespace key="10" case="first-letter">Template</namespace>\n'
        "    </namespaces>\n  </siteinfo>\n"
    )


def _wrapped(locale: str) -> tuple[bytes, int, str]:
    lang, talk = WRAPPED[locale]
    members, origin = pages.handbook_html()
    prefix = f"{pages.HANDBOOK}{locale}/"
    chosen = []
    for name in sorted(members):
        if not name.startswith(prefix) or not name[len(prefix) :].startswith(("sect.", "packaging", "short")):
            continue
        page = html_to_page(members[name], wikitext=True)
        if 2_000 <= len(page.text) <= 20_000 and len(chosen) < PAGES_PER_LANG:
            title = re.sub(r"^[\d.]+\s*", "", page.title).strip() or name
            chosen.append((name[len(prefix) :].removesuffix(".html"), title, page.text))
    body = [_siteinfo(lang, talk)]
    pid = 10
    for slug, title, text in chosen:
        text = "{{Infobox Handbook|locale=" + locale + "}}\n'''" + title + "'''\n" + text
        body.append(_page(title, 0, pid, text, lang))
        pid += 3
    for slug, title, _ in chosen[:REDIRECTS_PER_LANG]:
        body.append(_page(slug.replace("-", " ").capitalize(), 0, pid, f"#REDIRECT [[{title}]]", lang, title))
        pid += 3
    body.append(_page(f"{talk}:{chosen[0][1]}", 1, pid, f"== Import ==\n{chosen[0][2][:400]}\n~~~~", lang))
    body.append("</mediawiki>\n")
    return bz2_bytes("".join(body).encode("utf-8")), len(chosen), f"{origin}:{prefix}*.html (wikitext)"


def build(out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    members, origin = sdist_members("gensim", lambda n: n in GENSIM)
    for inner, name in sorted(GENSIM.items()):
        (out / name).write_bytes(members[inner])
        files.append(
            {
                "path": f"wikipedia/{name}",
                "origin": [f"{origin}:{inner}"],
                "documents": count_articles(members[inner]),
                "wrapped": False,
                "synthetic": [],
            }
        )
    for locale, (lang, _) in sorted(WRAPPED.items()):
        data, n, org = _wrapped(locale)
        name = f"{lang}wiki-20190401-pages-articles-handbook.xml.bz2"
        (out / name).write_bytes(data)
        files.append(
            {
                "path": f"wikipedia/{name}",
                "origin": [org],
                "documents": n,
                "wrapped": True,
                "synthetic": ["page ids", "revision ids", "timestamps", "contributors"],
            }
        )
    return files
