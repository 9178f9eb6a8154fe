"""Wikipedia reader: MediaWiki XML dumps (`pages-articles.xml`, `.xml.bz2`), streamed.

Namespace 0 only (articles), redirects skipped (LLaMA paper section 2 keeps article text only). The
text is the raw wikitext: turning it into plain text is the wikipedia filter's job. The dump's own
names of the File, Media and Category namespaces (`<siteinfo><namespaces>`) travel with each document
under the transient meta key `SITE_NAMESPACES`, for that filter. Options: `lang` overrides the
language found in `<siteinfo><dbname>` or the file name; `max_depth`, `max_text_chars`,
`max_markup_bytes` set the XML caps of `xml_stream.iter_records`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.document import Document, Meta
from pipeline.sources import base
from pipeline.sources.base import SkipFn
from pipeline.sources.wiki_names import NS_KEYS, SITE_NAMESPACES, encode_siteinfo
from pipeline.sources.xml_stream import Header, cap_options, iter_records

FIELDS = {"title", "ns", "id", "redirect", "revision/text"}
DBNAME = "mediawiki/siteinfo/dbname"
NAMESPACE = "mediawiki/siteinfo/namespaces/namespace"
# dump file names start with the database name: enwiki-20230101-..., bgwiki-latest-..., zh_yuewiki-...
_FILE_DB = re.compile(r"^([a-z][a-z_\-]*?)wiki[-.]")


def lang_from_dbname(dbname: str) -> str | None:
    m = re.fullmatch(r"([a-z][a-z_\-]*?)wiki", dbname.strip())
    return m.group(1).replace("_", "-") if m else None


def lang_from_filename(path: str) -> str | None:
    m = _FILE_DB.match(base.origin(path))
    return m.group(1).replace("_", "-") if m else None


def article_url(lang: str, title: str) -> str:
    return f"https://{lang}.wikipedia.org/wiki/{title.replace(' ', '_')}"


def read(path: str, skip: SkipFn, lang: str | None = None, **options: object) -> Iterator[Document]:
    file_lang = lang or lang_from_filename(path)
    site_lang: str | None = None
    site_ns: dict[str, str] = {}
    site_names = ""
    origin = base.origin(path)
    with base.open_decompressed(path) as stream:
        for item in iter_records(stream, skip, "page", FIELDS, {DBNAME, NAMESPACE}, **cap_options(options)):
            if isinstance(item, Header):
                if item.path == DBNAME:
                    site_lang = lang_from_dbname(item.text)
                elif item.attrs.get("key", "").strip() in NS_KEYS:
                    site_ns[item.attrs["key"].strip()] = item.text.strip()
                    site_names = encode_siteinfo(site_ns)
                continue
            f = item.fields
            if f.get("ns", "").strip() != "0":
                skip("non_article_namespace")
                continue
            if "redirect" in item.present:
                skip("redirect")
                continue
            if item.oversized:
                skip("oversized")
                continue
            page_id = f.get("id", "").strip()
            title = f.get("title", "").strip()
            if not page_id.isdigit() or not title:
                skip("missing_field")
                continue
            text = f.get("revision/text", "")
            if base.is_blank(text, skip):
                continue
            doc_lang = lang or site_lang or file_lang or "unknown"
            yield Document(
                id=f"{doc_lang}:{page_id}",
                source="wikipedia",
                text=text,
                meta={
                    Meta.TITLE: title,
                    Meta.LANG: doc_lang,
                    Meta.URL: article_url(doc_lang, title),
                    Meta.ORIGIN: origin,
                    **({SITE_NAMESPACES: site_names} if site_names else {}),
                },
            )
