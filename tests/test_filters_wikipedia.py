"""Wikipedia rules: wikitext to clean text, disambiguation and language drops, external links."""

from __future__ import annotations

from filters.base import Drop
from filters.wikipedia import SelectLanguage, WikitextToText, clean_article, is_disambiguation
from filters.wikitext import external_links, to_text
from pipeline.document import Document, Meta

ARTICLE = """{{Short description|Capital of France}}
{{Infobox settlement
| name = Paris
| population_total = 2,102,650
}}
'''Paris''' ({{IPA-fr|paʁi|-|Paris.ogg}}) is the [[Capital city|capital]] and most populous city of \
[[France]].<ref name="insee">{{cite web|url=https://www.insee.fr/fr/statistiques/1405599|title=Populations \
légales 2021|publisher=INSEE}}</ref> Its [[Paris metropolitan area|metropolitan area]] had \
12.3&nbsp;million inhabitants.<!-- update each January -->
__TOC__
== History ==
The [[Parisii]], a sub-tribe of the [[Celts|Celtic]] [[Senones]], inhabited the area around the \
3rd century BC.<ref>Schmidt, Joël (2009). ''Lutèce''. p. 12.</ref> See also \
[http://www.paris.culture.fr the city archive].
[[File:Paris Night.jpg|thumb|The city at night]]
=== Middle Ages ===
* The [[Louvre Palace|Louvre]] was built as a fortress.
* ''Notre-Dame'' was finished in '''1345'''.
== Economy ==
{| class="wikitable"
|-
! Year !! GDP (€ bn)
|-
| 2020 || 739
|}
== References ==
{{Reflist}}
== External links ==
* [https://www.paris.fr Official website]
* http://www.parisinfo.com
[[Category:Paris]]
[[Category:Capitals in Europe]]
[[de:Paris]]
[[fr:Paris]]
"""

EXPECTED = """Paris is the capital and most populous city of France. Its metropolitan area had 12.3 million \
inhabitants.

History

The Parisii, a sub-tribe of the Celtic Senones, inhabited the area around the 3rd century BC. See also the \
city archive.

Middle Ages

The Louvre was built as a fortress.
Notre-Dame was finished in 1345."""


def _doc(text: str, lang: str = "en", title: str = "Paris") -> Document:
    return Document(f"{lang}:1", "wikipedia", text, {Meta.TITLE: title, Meta.LANG: lang})


def test_article_with_links_templates_refs_and_table_becomes_clean_text() -> None:
    out, links = clean_article(_doc(ARTICLE))
    assert isinstance(out, Document)
    assert out.text == EXPECTED
    assert out.meta[Meta.TITLE] == "Paris" and out.meta[Meta.LANG] == "en"
    assert links == [
        "https://www.insee.fr/fr/statistiques/1405599",
        "http://www.paris.culture.fr",
        "https://www.paris.fr",
        "http://www.parisinfo.com",
    ]


def test_formatting_tags_keep_text_and_math_gallery_are_dropped() -> None:
    text = to_text(
        "Water is <b>wet</b> and <span style='x'>cold</span>.<br/>Formula <math>E=mc^2</math> here."
        "\n<gallery>\nA.jpg|one\n</gallery>\n; Term : definition\n# first\n# second"
    )
    assert text == "Water is wet and cold.\nFormula here.\n\nTerm definition\nfirst\nsecond"


def test_visible_category_link_and_section_links_show_as_written() -> None:
    # MediaWiki (and the HF builder) show an unpiped link's target as written, its section included
    text = to_text("See [[:Category:Rivers]], [[Seine#Course|its course]], [[#History]] or [[Algorithm#Examples]].")
    assert text == "See Category:Rivers, its course, #History or Algorithm#Examples."


def test_disambiguation_pages_dropped_by_default_kept_on_request_in_several_languages() -> None:
    en = "'''Mercury''' may refer to:\n* [[Mercury (planet)]]\n* [[Mercury (element)]]\n{{disambiguation}}"
    de = "'''Merkur''' steht für:\n* [[Merkur (Planet)]]\n{{Begriffsklärung}}"
    kept, _ = clean_article(_doc(en, "en", "Mercury"), drop_disambiguation=False)
    assert isinstance(kept, Document)
    assert kept.text == "Mercury may refer to:\nMercury (planet)\nMercury (element)"
    assert clean_article(_doc(en, "en", "Mercury"))[0] == Drop("disambiguation")
    assert clean_article(_doc(de, "de", "Merkur"))[0] == Drop("disambiguation")
    fr = _doc("'''X''' est :\n* [[Y]]\n{{homonymie}}", "fr", "X")
    assert WikitextToText()(fr) == Drop("disambiguation")
    kept_fr = WikitextToText(drop_disambiguation=False)(fr)
    assert isinstance(kept_fr, Document) and kept_fr.text == "X est :\nY"
    assert is_disambiguation("Mercury (disambiguation)", [], "en")
    assert not is_disambiguation("Mercury", ["infobox planet"], "en")


def test_empty_article_dropped() -> None:
    out, _ = clean_article(_doc("{{Infobox person|name=X}}\n[[Category:People]]\n{{Reflist}}"))
    assert out == Drop("empty")


def test_lang_not_selected() -> None:
    step = SelectLanguage(["de", "en"])
    assert step(_doc("text", "ja")) == Drop("lang_not_selected")
    assert isinstance(step(_doc("text", "de")), Document)


def test_external_links_http_only_and_deduplicated() -> None:
    wikitext = (
        "A [ftp://files.example.org x] and [https://a.org/1 one] and https://a.org/1 again."
        "<ref>{{Cite news |url= http://news.example.com/story |title=S}}</ref> "
        "{{cite web|url=mailto:x@y.z}} [//proto-relative.org rel]"
    )
    assert external_links(wikitext) == ["https://a.org/1", "http://news.example.com/story"]
