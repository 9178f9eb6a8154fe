"""Wikipedia cleaning steps: language selection, disambiguation pages (dropped by default, kept on
request), wikitext -> plain text. The reader already keeps namespace 0 and drops redirects."""

from __future__ import annotations

from filters import wikitext
from filters.base import Drop, SimpleStep, StepResult
from pipeline.document import Document, Meta
from pipeline.sources.wiki_names import SITE_NAMESPACES, wiki_names

# LLaMA section 2.1: "20 languages, which use either the Latin or Cyrillic scripts".
LLAMA_LANGS: tuple[str, ...] = (
    "bg",
    "ca",
    "cs",
    "da",
    "de",
    "en",
    "es",
    "fr",
    "hr",
    "hu",
    "it",
    "nl",
    "pl",
    "pt",
    "ro",
    "ru",
    "sl",
    "sr",
    "sv",
    "uk",
)

# Templates that mark a disambiguation page (normalised names: lower case, spaces). Each wiki has its own;
# this table holds the main template and its common redirects per language (from each wiki's
# "Category:Disambiguation message boxes" equivalent). Any language may use the generic English ones.
DISAMBIGUATION_TEMPLATES: dict[str, frozenset[str]] = {
    "*": frozenset(
        {
            "disambiguation",
            "disambig",
            "dab",
            "disamb",
            "dp",
            "hndis",
            "geodis",
            "shipindex",
            "disambiguation page",
            "letter disambiguation",
            "number disambiguation",
        }
    ),
    "bg": frozenset({"пояснение", "пояснителна страница", "многозначност"}),
    "ca": frozenset({"desambiguació", "desambiguacio", "desamb"}),
    "cs": frozenset({"rozcestník", "rozcestnik"}),
    "da": frozenset({"flertydig", "flertydig titel"}),
    "de": frozenset({"begriffsklärung", "bkl", "begriffsklärung familienname"}),
    "es": frozenset({"desambiguación", "desambiguacion", "desamb"}),
    "fr": frozenset(
        {
            "homonymie",
            "bandeau standard pour page d'homonymie",
            "patronymie",
            "toponymie",
            "homonymie de personnes",
            "homonymie de clubs sportifs",
        }
    ),
    "hr": frozenset({"razdvojba", "čvor", "cvor"}),
    "hu": frozenset({"egyért", "egyertelmusito lap", "egyértelműsítő lap"}),
    "it": frozenset({"disambigua"}),
    "nl": frozenset({"dpintro", "dp"}),
    "pl": frozenset({"ujednoznacznienie", "strona ujednoznaczniająca"}),
    "pt": frozenset({"desambiguação", "desambig", "desambiguacao"}),
    "ro": frozenset({"dezambiguizare", "dez"}),
    "ru": frozenset({"неоднозначность", "многозначность", "список однофамильцев", "список тёзок"}),
    "sl": frozenset({"razločitev", "razlocitev"}),
    "sr": frozenset({"вишезначна одредница", "вишезначност", "višeznačna odrednica"}),
    "sv": frozenset({"förgrening", "grensida", "förgreningssida"}),
    "uk": frozenset({"неоднозначність", "багатозначність"}),
}
# English set-index and topic disambiguation boxes all end like this ({{Hospital disambiguation}} ...).
_DISAMBIGUATION_SUFFIXES = (" disambiguation", " dab")
_DISAMBIGUATION_TITLE_SUFFIXES = (
    "(disambiguation)",
    "(begriffsklärung)",
    "(homonymie)",
    "(desambiguación)",
    "(disambigua)",
    "(ujednoznacznienie)",
    "(значения)",
    "(значення)",
)


def is_disambiguation(title: str, template_names: list[str], lang: str) -> bool:
    names = DISAMBIGUATION_TEMPLATES["*"] | DISAMBIGUATION_TEMPLATES.get(lang, frozenset())
    for name in template_names:
        if name in names or name.endswith(_DISAMBIGUATION_SUFFIXES):
            return True
    return title.strip().lower().endswith(_DISAMBIGUATION_TITLE_SUFFIXES)


class SelectLanguage(SimpleStep):
    """Keep the wikis of the chosen languages (default: LLaMA's 20)."""

    name = "language"

    def __init__(self, langs: tuple[str, ...] | list[str] = LLAMA_LANGS) -> None:
        unknown = [x for x in langs if not x.replace("-", "").isalpha()]
        if unknown:
            raise ValueError(f"bad language codes: {unknown}")
        self.langs = frozenset(langs)

    def __call__(self, doc: Document) -> StepResult:
        return doc if doc.meta.get(Meta.LANG) in self.langs else Drop("lang_not_selected")


def clean_article(
    doc: Document, *, drop_disambiguation: bool = True, want_links: bool = True
) -> tuple[StepResult, list[str]]:
    """One parse -> (cleaned Document or Drop, the article's external http(s) links, if `want_links`).
    Disambiguation pages are dropped unless `drop_disambiguation` is False (docs/wikipedia.md says why). Links are
    returned for every article not dropped as a disambiguation page, even one whose text is empty."""
    code = wikitext.parse(doc.text)
    lang = str(doc.meta.get(Meta.LANG) or "")
    if drop_disambiguation and is_disambiguation(
        str(doc.meta.get(Meta.TITLE) or ""), wikitext.template_names(code), lang
    ):
        return Drop("disambiguation"), []
    links = wikitext.external_links(code) if want_links else []
    text = wikitext.to_text(code, wiki_names(lang, str(doc.meta.get(SITE_NAMESPACES) or "")))
    if not text:
        return Drop("empty"), links
    meta = {k: v for k, v in doc.meta.items() if k != SITE_NAMESPACES}  # reader-to-cleaner state only
    return Document(doc.id, doc.source, text, meta), links


class WikitextToText(SimpleStep):
    """The Step form of `clean_article` (the links are dropped; the Beam job exports them)."""

    name = "wikitext"

    def __init__(self, drop_disambiguation: bool = True) -> None:
        self.drop_disambiguation = drop_disambiguation

    def __call__(self, doc: Document) -> StepResult:
        return clean_article(doc, drop_disambiguation=self.drop_disambiguation, want_links=False)[0]
