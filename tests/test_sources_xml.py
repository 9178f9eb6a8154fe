"""XML readers: Wikipedia dumps and StackExchange Posts.xml, streamed through the entity-safe parser."""

from __future__ import annotations

import bz2
from xml.sax.saxutils import quoteattr

from pipeline.sources import base, stackexchange, wikipedia
from pipeline.sources.base import SkipCounter

HEAD = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="{lang}">
  <siteinfo><sitename>Wikipedia</sitename><dbname>{db}</dbname><base>https://x/</base></siteinfo>
"""


def page(pid: int, title: str, text: str, ns: int = 0, redirect: str | None = None) -> str:
    red = f'<redirect title="{redirect}" />' if redirect else ""
    return (
        f"  <page><title>{title}</title><ns>{ns}</ns><id>{pid}</id>{red}<revision><id>{pid * 100}</id>"
        f'<timestamp>2020-01-01T00:00:00Z</timestamp><text bytes="{len(text)}" xml:space="preserve">'
        f"{text}</text></revision></page>\n"
    )


def dump(pages: list[str], db: str = "enwiki", lang: str = "en") -> str:
    return HEAD.format(db=db, lang=lang) + "".join(pages) + "</mediawiki>\n"


def run(reader, path, **kw):
    skip = SkipCounter()
    return list(reader(str(path), skip, **kw)), skip.counts


GOOD = [
    page(12, "Anarchism", "'''Anarchism''' is a [[political philosophy]] &amp; movement."),
    page(25, "Autism", "'''Autism''' is a condition."),
]


def test_wikipedia_happy_path_bz2(tmp_path):
    pages = [
        GOOD[0],
        page(
            13,
            "AfghanistanHistory",
            "#REDIRECT [[History of Afghanistan]]",
            redirect="History of Afghanistan",
        ),
        page(14, "Talk:Anarchism", "talk", ns=1),
        page(15, "Empty page", ""),
        GOOD[1],
    ]
    p = tmp_path / "enwiki-latest-pages-articles1.xml.bz2"
    p.write_bytes(bz2.compress(dump(pages).encode()))
    docs, skips = run(wikipedia.read, p)
    assert [d.id for d in docs] == ["en:12", "en:25"]
    assert docs[0].text == "'''Anarchism''' is a [[political philosophy]] & movement."
    assert docs[0].meta == {
        "title": "Anarchism",
        "lang": "en",
        "url": "https://en.wikipedia.org/wiki/Anarchism",
        "origin": "enwiki-latest-pages-articles1.xml.bz2",
    }
    assert skips == {"redirect": 1, "non_article_namespace": 1, "empty": 1}


def test_wikipedia_utf16_with_bom_and_lang_from_siteinfo(tmp_path):
    p = tmp_path / "dump.xml"
    text = dump([page(7, "София", "'''София''' е столицата на България.")], db="bgwiki", lang="bg")
    p.write_bytes(('<?xml version="1.0" encoding="UTF-16"?>\n' + text).encode("utf-16"))
    docs, skips = run(wikipedia.read, p)
    assert [d.id for d in docs] == ["bg:7"] and skips == {}
    assert docs[0].text.startswith("'''София'''")
    assert docs[0].meta["url"] == "https://bg.wikipedia.org/wiki/София"


def test_wikipedia_lang_from_file_name(tmp_path):
    p = tmp_path / "dewiki-20230101-pages-articles.xml"
    p.write_text(dump(GOOD).replace("<dbname>enwiki</dbname>", ""))
    docs, _ = run(wikipedia.read, p)
    assert [d.meta["lang"] for d in docs] == ["de", "de"] and docs[0].id == "de:12"


def test_wikipedia_malformed_xml_keeps_earlier_pages(tmp_path):
    p = tmp_path / "enwiki-broken.xml"
    p.write_text(HEAD.format(db="enwiki", lang="en") + GOOD[0] + GOOD[1] + "  <page><title>Bad</ti></page>\n")
    docs, skips = run(wikipedia.read, p)
    assert [d.id for d in docs] == ["en:12", "en:25"]
    assert skips == {"malformed_xml": 1}


def test_wikipedia_truncated_bz2_keeps_earlier_pages(tmp_path):
    big = [page(i, f"Title {i}", f"text {i} " * 50) for i in range(1, 400)]
    data = bz2.compress(dump(big[:200]).replace("</mediawiki>\n", "").encode()) + bz2.compress(
        "".join(big[200:]).encode() + b"</mediawiki>\n"
    )
    p = tmp_path / "enwiki-multistream.xml.bz2"
    p.write_bytes(data[:-100])
    docs, skips = run(wikipedia.read, p)
    assert [d.id for d in docs][:200] == [f"en:{i}" for i in range(1, 201)]
    assert skips == {"truncated_or_corrupt_stream": 1}


def test_wikipedia_entities_skip_only_the_pages_using_them(tmp_path):
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE mediawiki [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    )
    p = tmp_path / "enwiki-laughs.xml"
    p.write_text(laughs + dump([GOOD[0], page(1, "A", "&lol2;"), GOOD[1]]))
    docs, skips = run(wikipedia.read, p)
    assert [d.id for d in docs] == ["en:12", "en:25"] and skips == {"xml_entity_reference": 1}
    assert docs[0].text == "'''Anarchism''' is a [[political philosophy]] & movement."
    # an undeclared entity without a DTD is plain malformed XML, never resolved
    p.write_text(dump([GOOD[0], page(2, "B", "&lol2;")]))
    docs, skips = run(wikipedia.read, p)
    assert [d.id for d in docs] == ["en:12"] and skips == {"malformed_xml": 1}


def test_wikipedia_oversized_page(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_DOC_BYTES", 100)
    p = tmp_path / "enwiki-big.xml"
    p.write_text(dump([page(1, "Big", "x" * 500), GOOD[1]]))
    docs, skips = run(wikipedia.read, p)
    assert [d.id for d in docs] == ["en:25"] and skips == {"oversized": 1}


def row(pid: int, ptype: int, body: str, score: str = "3", parent: int | None = None, title: str = "") -> str:
    attrs = f'Id="{pid}" PostTypeId="{ptype}" Score="{score}" Body={quoteattr(body)}'
    if parent is not None:
        attrs += f' ParentId="{parent}"'
    if title:
        attrs += f" Title={quoteattr(title)}"
    return f'  <row {attrs} CreationDate="2010-07-09T10:00:00.000" />\n'


def posts(rows: list[str]) -> str:
    return '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n' + "".join(rows) + "</posts>\n"


def test_stackexchange_posts(tmp_path):
    folder = tmp_path / "cooking.stackexchange.com"
    folder.mkdir()
    p = folder / "Posts.xml"
    p.write_text(
        posts(
            [
                row(
                    1,
                    1,
                    "<p>How do I boil an egg & keep it <b>soft</b>?</p>",
                    score="10",
                    title="Boiling eggs",
                ),
                row(2, 2, "<p>Six minutes.</p>", score="-2", parent=1),
                row(3, 4, "tag wiki excerpt"),
                row(4, 2, "<p>Bad score</p>", score="lots", parent=1),
                row(5, 2, "  ", parent=1),
                row(6, 2, "<p>Steam it.</p>", score="12", parent=1),
            ]
        )
    )
    docs, skips = run(stackexchange.read, p)
    assert [d.id for d in docs] == [
        "cooking.stackexchange.com:1",
        "cooking.stackexchange.com:2",
        "cooking.stackexchange.com:6",
    ]
    assert docs[0].text == "<p>How do I boil an egg & keep it <b>soft</b>?</p>"
    assert docs[0].meta == {
        "site": "cooking.stackexchange.com",
        "post_type": "question",
        "question_id": 1,
        "post_id": 1,
        "score": 10,
        "title": "Boiling eggs",
        "origin": "Posts.xml",
    }
    assert docs[1].meta["score"] == -2 and docs[1].meta["question_id"] == 1 and docs[1].meta["post_type"] == "answer"
    assert "title" not in docs[1].meta
    assert skips == {"other_post_type": 1, "bad_score": 1, "empty": 1}
    docs, _ = run(stackexchange.read, p, site="cooking")
    assert docs[0].id == "cooking:1"


def test_stackexchange_malformed_and_entities(tmp_path):
    p = tmp_path / "Posts.xml"
    p.write_text(posts([row(1, 1, "q", title="t"), row(2, 2, "a", parent=1)]).replace("</posts>", "<row Id="))
    docs, skips = run(stackexchange.read, p)
    assert [d.meta["post_id"] for d in docs] == [1, 2] and skips == {"malformed_xml": 1}
    # an external DTD is never fetched; the rows are read as usual
    doc = posts([row(1, 1, "q", title="t")])
    p.write_text(doc.replace("<posts>", '<!DOCTYPE posts SYSTEM "http://evil.example/x.dtd">\n<posts>'))
    docs, skips = run(stackexchange.read, p)
    assert [d.meta["post_id"] for d in docs] == [1] and skips == {}
