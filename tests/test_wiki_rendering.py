"""Wikitext rendering, one test per rule of docs/wikipedia.md, on wikitext written for the tests in
several of the 20 languages: every visible word of a link kept, entities decoded, each wiki's own
File/Category namespace names (MediaWiki aliases and the dump's <siteinfo>), code kept, the
space-before-punctuation fix only where markup was removed, no link export when it is turned off."""

from __future__ import annotations

import bz2

from filters.wikipedia import clean_article
from filters.wikitext import to_text
from pipeline.document import Document, Meta
from pipeline.sources.base import SkipCounter
from pipeline.sources.wiki_names import SITE_NAMESPACES, encode_siteinfo, wiki_names
from pipeline.sources.wikipedia import read


def _text(wikitext: str, lang: str, siteinfo: str = "") -> str:
    return to_text(wikitext, wiki_names(lang, siteinfo))


def test_interwiki_links_show_their_words_interlanguage_links_do_not() -> None:
    en = (
        "Their prototype or [[wikt:exemplar|exemplar]]. It is [[wiktionary:oblique|oblique]]ly set. "
        "See [[CSI: Miami]], [[wikt:exemplar]] and [[:fr:Paris]].\n[[sv:Lantbruksvetenskap]]\n[[de:Agrar]]"
    )
    assert _text(en, "en") == (
        "Their prototype or exemplar. It is obliquely set. See CSI: Miami, wikt:exemplar and fr:Paris."
    )
    de = "Ein [[wikt:Beispiel|Beispiel]] aus [[commons:Category:Berlin|Commons]].\n[[en:Example]]"
    assert _text(de, "de") == "Ein Beispiel aus Commons."
    fr = "Un [[wiktionnaire:chat|chat]] noir.[[es:Gato]][[zh-yue:貓]]"
    assert _text(fr, "fr") == "Un chat noir."
    ru = "Кошка — [[wikt:животное|животное]].\n[[uk:Кішка]]"
    assert _text(ru, "ru") == "Кошка — животное."
    sv = "Se [[Mot: en roman]] och [[s:Dikter|dikterna]].\n[[nb:Katt]]"
    assert _text(sv, "sv") == "Se Mot: en roman och dikterna."


def test_entities_in_link_titles_are_decoded() -> None:
    assert _text("A [[35&nbsp;mm film]] on [[OS&nbsp;X]] ([[Kruskal&ndash;Wallis test]]).", "en") == (
        "A 35 mm film on OS X (Kruskal–Wallis test)."
    )
    assert _text("Der [[Rhein&#8211;Main-Donau-Kanal]] und [[A&amp;B|A&amp;B Werke]].", "de") == (
        "Der Rhein–Main-Donau-Kanal und A&B Werke."
    )
    assert _text("[[Pražský&#32;hrad]] je <nowiki>&lt;hrad&gt;</nowiki>.", "cs") == "Pražský hrad je <hrad>."


def test_file_and_category_namespaces_of_each_language_and_their_aliases() -> None:
    cases = {
        "pt": "[[Ficheiro:x.jpg|thumb|Legenda]]O [[gato]] é.[[Imagem:y.png|Outra]][[Arquivo:z.png|Mais]]"
        "\n[[Categoria:Felinos]]",
        "bg": "[[Картинка:x.jpg|мини|Надпис]][[Файл:y.jpg|Друг]]Котката е.\n[[Категория:Котки]]",
        "ro": "[[Fişier:x.jpg|thumb|Legendă]][[Fișier:y.jpg|Alta]][[Imagine:z.jpg|A]]Pisica este.\n[[Categorie:F]]",
        "hr": "[[F:x.jpg|mini|Opis]][[Slika:y.jpg|Opis2]][[Datoteka:z.jpg|O]]Mačka je.\n[[Kategorija:Mačke]]",
        "de": "[[Bild:x.jpg|mini|Text]][[Datei:y.jpg|Text]][[file:z.jpg|T]]Die Katze ist.\n[[Kategorie:Katzen]]",
        "pl": "[[Grafika:x.jpg|mały|Opis]][[Plik:y.jpg|O]]Kot jest.\n[[Kategoria:Koty]]",
        "sr": "[[Слика:x.jpg|мини|Опис]][[Datoteka:y.jpg|O]]Мачка је.\n[[Категорија:Мачке]]",
    }
    expected = {
        "pt": "O gato é.",
        "bg": "Котката е.",
        "ro": "Pisica este.",
        "hr": "Mačka je.",
        "de": "Die Katze ist.",
        "pl": "Kot jest.",
        "sr": "Мачка је.",
    }
    for lang, wikitext in cases.items():
        assert _text(wikitext, lang) == expected[lang], lang
    # another wiki's namespace name is an ordinary link there, as in MediaWiki
    assert _text("[[Ficheiro:x.jpg|Legenda]] Text.", "en") == "Legenda Text."
    # a visible category link and a piped Media: link show their words
    assert _text("[[:Categoria:Felinos]] e [[Multimédia:Miau.ogg|ouvir]].", "pt") == "Categoria:Felinos e ouvir."


def test_dump_siteinfo_namespace_names_reach_the_cleaner(tmp_path) -> None:
    # a wiki whose File namespace is called "Obraz" (not in the alias table for pl) and whose category
    # namespace is "Kat": only the dump's <siteinfo> says so
    page = (
        "<page><title>Kot</title><ns>0</ns><id>5</id><revision><text>"
        "[[Obraz:x.jpg|mały|Podpis]]Kot jest [[ssak]]iem.\n[[Kat:Koty]]</text></revision></page>"
    )
    xml = (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><siteinfo><dbname>plwiki</dbname>'
        '<namespaces><namespace key="-2">Media</namespace><namespace key="0" />'
        '<namespace key="6" case="first-letter">Obraz</namespace><namespace key="10">Szablon</namespace>'
        f'<namespace key="14">Kat</namespace></namespaces></siteinfo>{page}</mediawiki>'
    )
    path = tmp_path / "plwiki-20220701-pages-articles.xml.bz2"
    path.write_bytes(bz2.compress(xml.encode("utf-8")))
    skips = SkipCounter()
    (doc,) = list(read(str(path), skips))
    assert doc.meta[Meta.LANG] == "pl" and doc.meta[SITE_NAMESPACES] == "-2:Media|6:Obraz|14:Kat"
    out, _ = clean_article(doc)
    assert isinstance(out, Document) and out.text == "Kot jest ssakiem."
    assert SITE_NAMESPACES not in out.meta  # reader-to-cleaner state, not stored
    # without the siteinfo the same page leaks the caption: the names did come from the dump
    assert _text(doc.text, "pl") == "mały|PodpisKot jest ssakiem.\nKat:Koty"
    assert encode_siteinfo({"6": "Plik", "10": "Szablon", "14": "Kategoria"}) == "6:Plik|14:Kategoria"


def test_inline_code_kept_block_code_kept_verbatim_on_its_own_lines() -> None:
    en = (
        "The instruction <source lang=basic>LET [] = []</source> is odd. Run <code>make  --before-build .</code>"
        ' or <syntaxhighlight lang="bash" inline>ls -la .</syntaxhighlight>.\n'
        '<syntaxhighlight lang="python">\ndef f(x):\n    return x .real\n</syntaxhighlight>\nAfter.'
    )
    assert _text(en, "en") == (
        "The instruction LET [] = [] is odd. Run make  --before-build . or ls -la ..\n\n"
        "def f(x):\n    return x .real\n\nAfter."
    )
    de = "Beispiel:\n<pre>\n  a &lt; b\n    c\n</pre>\nEnde <tt>x  y</tt>."
    assert _text(de, "de") == "Beispiel:\n\n  a < b\n    c\n\nEnde x  y."


def test_section_links_show_as_written() -> None:
    assert _text("Siehe [[Algorithmus#Beispiele]] und [[#Geschichte]].", "de") == (
        "Siehe Algorithmus#Beispiele und #Geschichte."
    )
    assert _text("См. [[Алгоритм#Примеры|примеры]].", "ru") == "См. примеры."


def test_space_before_punctuation_removed_only_where_markup_was() -> None:
    en = "The area of {{convert|3|km2}}. It is known as {{lang|fr|x}} , he said. Wait . . . then ls -la ."
    assert _text(en, "en") == "The area of. It is known as, he said. Wait . . . then ls -la ."
    fr = "Il demande : « vraiment ? » Oui !<ref>Source.</ref> ."
    assert _text(fr, "fr") == "Il demande : « vraiment ? » Oui !."
    es = "La ciudad ({{lang|en|x}}; {{IPA|y}}) tiene {{formatnum:3}} . Fin."
    assert _text(es, "es") == "La ciudad tiene. Fin."


def test_no_links_extracted_or_counted_when_the_export_is_off() -> None:
    from pipeline.beam.wiki_clean import LINKS_TAG, CleanArticle

    doc = Document(
        "en:1", "wikipedia", "Text [https://a.example/x a].<ref>{{cite web|url=https://b.example}}</ref>", {}
    )
    assert clean_article(doc, want_links=False)[1] == []
    assert clean_article(doc)[1] == ["https://a.example/x", "https://b.example"]
    off = CleanArticle(export_links=False)
    off.setup()
    outs = list(off.process(doc))
    assert [o.text for o in outs] == ["Text a."]
    assert "external_links" not in off._count._c  # the counter stats.json reads was never touched
    on = CleanArticle()
    on.setup()
    tagged = [o for o in on.process(doc) if getattr(o, "tag", None) == LINKS_TAG]
    assert [t.value for t in tagged] == ["https://a.example/x", "https://b.example"]
    assert "external_links" in on._count._c
