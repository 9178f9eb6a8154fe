"""The tables filters/wikitext.py needs: which tags and namespaces hold no prose, interwiki prefixes,
and the boilerplate section headings ("References", "External links", ...) in the 20 LLaMA languages,
plus the namespace lookup of one wiki (`wiki_names`). The rendering logic is in filters/wikitext.py."""

from __future__ import annotations

import dataclasses
import functools

# Tags whose content is not prose. <math>/<chem>/<score> hold TeX/LilyPond source that only makes sense
# rendered: left inline it is neither readable prose nor usable LaTeX (the arXiv source covers maths),
# so it is dropped, as the HF `wikipedia` builder and WikiExtractor do. <ref>/<references> are
# citations (their URLs are exported separately), <gallery>/<imagemap>/<timeline> are media.
DROP_TAGS = frozenset(
    {
        "ref",
        "references",
        "gallery",
        "math",
        "chem",
        "ce",
        "score",
        "timeline",
        "imagemap",
        "graph",
        "mapframe",
        "maplink",
        "templatedata",
        "templatestyles",
        "table",
        "noinclude",
        "includeonly",
        "style",
        "script",
        "indicator",
        "categorytree",
        "inputbox",
        "hiero",
    }
)
# Code: kept verbatim (no whitespace or punctuation fix-up). <source>/<syntaxhighlight> are inline with
# the `inline` attribute or when they sit inside a line of text; otherwise a block of their own lines.
CODE_TAGS = frozenset({"source", "syntaxhighlight", "pre", "code", "tt", "kbd", "samp"})
BLOCK_CODE_TAGS = frozenset({"source", "syntaxhighlight", "pre"})
LINE_TAGS = frozenset({"br", "p", "div", "hr"})  # become a line break
MARKER_TAGS = frozenset({"li", "dt", "dd"})  # wiki list markers (* # ; :): drop the marker, keep the line

# Namespaces whose links are not prose, per language: MediaWiki's local name and aliases of the File
# (6), Media (-2) and Category (14) namespaces of each of the 20 wikis (MessagesXx.php, plus the aliases
# Wikimedia configures for that wiki). The English canonical names work on every wiki. Each dump also
# declares its local names in <siteinfo><namespaces>, read by the reader: this table is the complement,
# for the aliases a dump does not list and for wikitext that comes without a dump. Matching is
# case-insensitive, "_" as " ", Romanian cedilla letters (ş ţ) as comma-below (ș ț).
CANONICAL_NS: dict[str, tuple[str, ...]] = {
    "file": ("file", "image"),
    "media": ("media",),
    "category": ("category",),
}
NAMESPACE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "bg": {"file": ("файл", "картинка"), "media": ("медия",), "category": ("категория",)},
    "ca": {"file": ("fitxer", "imatge"), "media": ("multimèdia",), "category": ("categoria",)},
    "cs": {"file": ("soubor", "obrázek"), "media": ("média",), "category": ("kategorie",)},
    "da": {"file": ("fil", "billede"), "media": ("medie",), "category": ("kategori",)},
    "de": {"file": ("datei", "bild"), "media": ("medium",), "category": ("kategorie",)},
    "en": {"file": (), "media": (), "category": ()},
    "es": {"file": ("archivo", "imagen"), "media": ("medio",), "category": ("categoría",)},
    "fr": {"file": ("fichier", "image"), "media": ("média",), "category": ("catégorie",)},
    "hr": {"file": ("datoteka", "slika", "f"), "media": ("mediji",), "category": ("kategorija",)},
    "hu": {"file": ("fájl", "kép"), "media": ("média",), "category": ("kategória",)},
    "it": {"file": ("file", "immagine"), "media": ("media",), "category": ("categoria",)},
    "nl": {"file": ("bestand", "afbeelding"), "media": ("media",), "category": ("categorie",)},
    "pl": {"file": ("plik", "grafika"), "media": ("media",), "category": ("kategoria",)},
    "pt": {"file": ("ficheiro", "arquivo", "imagem"), "media": ("multimédia",), "category": ("categoria",)},
    "ro": {"file": ("fișier", "imagine"), "media": ("media",), "category": ("categorie",)},
    "ru": {"file": ("файл", "изображение"), "media": ("медиа",), "category": ("категория",)},
    "sl": {"file": ("slika", "datoteka"), "media": ("datoteka",), "category": ("kategorija",)},
    "sr": {
        "file": ("датотека", "слика", "datoteka", "slika"),
        "media": ("медиј", "medij", "медија"),
        "category": ("категорија", "kategorija"),
    },
    "sv": {"file": ("fil", "bild"), "media": ("media",), "category": ("kategori",)},
    "uk": {"file": ("файл", "зображення"), "media": ("медіа",), "category": ("категорія",)},
}
# The siteinfo namespace keys of the three kinds above.
NS_KEYS: dict[str, str] = {"6": "file", "-2": "media", "14": "category"}
# Document.meta key (transient: "_" keys are never stored) under which the reader passes a dump's own
# names of those namespaces (`encode_siteinfo`) to the cleaning step.
SITE_NAMESPACES = "_wiki_namespaces"

# Interlanguage prefixes: the language codes of the Wikipedias (and the aliases the interwiki map
# accepts). A link [[sv:X]] with one of these renders in the sidebar, not in the text; any other
# "prefix:" is an interwiki link to another project ([[wikt:x|x]]), which shows as text, or part of an
# article title ([[CSI: Miami]]).
WIKIPEDIA_LANGUAGE_CODES = frozenset(
    """aa ab ace ady af ak als alt am ami an ang anp ar arc ary arz as ast atj av avk awa ay az azb ba ban
    bar bat-smg bcl be be-tarask be-x-old bg bh bi bjn blk bm bn bo bpy br bs bug bxr ca cbk-zam cdo ce
    ceb ch cho chr chy ckb co cr crh cs csb cu cv cy da dag de din diq dk dsb dty dv dz ee el eml en eo
    es et eu ext fa fat ff fi fiu-vro fj fo fon fr frp frr fur fy ga gag gan gcr gd gl glk gn gom gor got
    gpe gu guc gur guw gv ha hak haw he hi hif ho hr hsb ht hu hy hyw hz ia id ie ig ii ik ilo inh io is
    it iu ja jam jbo jv ka kaa kab kbd kbp kcg kg ki kj kk kl km kn ko koi kr krc ks ksh ku kv kw ky la
    lad lb lbe lez lfn lg li lij lld lmo ln lo lrc lt ltg lv mad mai map-bms mdf mg mh mhr mi min mk ml
    mn mni mnw mo mr mrj ms mt mus mwl my myv mzn na nah nap nb nds nds-nl ne new ng nia nl nn no nov nqo
    nrm nso nv ny oc olo om or os pa pag pam pap pcd pcm pdc pfl pi pih pl pms pnb pnt ps pt pwn qu rm
    rmy rn ro roa-rup roa-tara ru rue rw sa sah sat sc scn sco sd se sg sh shi shn si simple sk skr sl sm
    smn sn so sq sr srn ss st stq su sv sw szl szy ta tay tcy te tet tg th ti tk tl tly tn to tpi tr trv
    ts tt tum tw ty tyv udm ug uk ur uz ve vec vep vi vls vo wa war wo wuu xal xh xmf yi yo yue za zea
    zgh zh zh-classical zh-cn zh-min-nan zh-tw zh-yue zu""".split()
)

# Sections that are only citations or link lists, dropped with their content (lower-cased titles).
BOILERPLATE_SECTIONS = frozenset(
    {
        "references",
        "external links",
        "see also",
        "further reading",
        "notes",
        "sources",
        "bibliography",
        "notes and references",
        "footnotes",
        "citations",
        "einzelnachweise",
        "weblinks",
        "siehe auch",
        "literatur",
        "anmerkungen",
        "quellen",
        "notes et références",
        "liens externes",
        "voir aussi",
        "références",
        "bibliographie",
        "referencias",
        "enlaces externos",
        "véase también",
        "bibliografía",
        "notas",
        "note",
        "collegamenti esterni",
        "voci correlate",
        "bibliografia",
        "externe links",
        "zie ook",
        "bronnen",
        "referenties",
        "bronvermelding",
        "przypisy",
        "linki zewnętrzne",
        "zobacz też",
        "referências",
        "ligações externas",
        "ver também",
        "примечания",
        "ссылки",
        "литература",
        "см. также",
        "примітки",
        "посилання",
        "джерела",
        "див. також",
        "referenser",
        "externa länkar",
        "se även",
        "källor",
        "reference",
        "externí odkazy",
        "související články",
        "literatura",
        "eksterne henvisninger",
        "se også",
        "referencer",
        "kilder",
        "referències",
        "enllaços externs",
        "vegeu també",
        "izvori",
        "vanjske poveznice",
        "vidi još",
        "hivatkozások",
        "források",
        "külső hivatkozások",
        "lásd még",
        "referințe",
        "legături externe",
        "vezi și",
        "sklici",
        "zunanje povezave",
        "glej tudi",
        "референце",
        "спољашње везе",
        "види још",
        "източници",
        "външни препратки",
        "вижте също",
    }
)  # marks heading lines while rendering; never left in the output


def ns_key(name: str) -> str:
    """A namespace or prefix name as MediaWiki matches it: case-insensitive, "_" as " ", single spaces;
    Romanian cedilla letters as comma-below (both spellings are in use)."""
    name = " ".join(name.replace("_", " ").split()).casefold()
    return name.replace("ş", "ș").replace("ţ", "ț")


@dataclasses.dataclass(frozen=True)
class WikiNames:
    """The namespace names one wiki's links are read with (normalised by `ns_key`)."""

    file: frozenset[str]
    media: frozenset[str]
    category: frozenset[str]


def encode_siteinfo(namespaces: dict[str, str]) -> str:
    """{siteinfo key: local name} -> the compact string a Document carries ("6:Ficheiro|14:Categoria");
    only the keys that matter for the text (file, media, category) are kept."""
    return "|".join(f"{k}:{v}" for k, v in namespaces.items() if k in NS_KEYS and v.strip() and "|" not in v)


@functools.lru_cache(maxsize=256)
def wiki_names(lang: str = "", siteinfo: str = "") -> WikiNames:
    """Canonical English names + the language's MediaWiki names and aliases + the dump's own names
    (`encode_siteinfo`). A language outside the table gets the names of all 20."""
    kinds: dict[str, set[str]] = {kind: set(names) for kind, names in CANONICAL_NS.items()}
    tables = [NAMESPACE_ALIASES[lang]] if lang in NAMESPACE_ALIASES else list(NAMESPACE_ALIASES.values())
    for table in tables:
        for kind, names in table.items():
            kinds[kind].update(names)
    for item in siteinfo.split("|") if siteinfo else ():
        key, _, name = item.partition(":")
        if key in NS_KEYS and name.strip():
            kinds[NS_KEYS[key]].add(name)
    norm = {kind: frozenset(ns_key(n) for n in names) for kind, names in kinds.items()}
    return WikiNames(norm["file"], norm["media"], norm["category"])
