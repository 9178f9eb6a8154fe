"""Wikipedia text fidelity: this project's cleaning against a reference written from the published
behaviour of the Hugging Face `wikipedia` builder (`_parse_and_clean_wikicode`, the cleaning
RedPajama-v1 used), on real dump pages you point it at.

    python bench/bench_wiki_fidelity.py DUMP.xml.bz2 [DUMP ...] [--show 3] [--json out.json]

Real pages ship with some packages, e.g. gensim's test data (enwiki and bgwiki dump fragments, the
latter in UTF-16): pass their paths. Nothing is downloaded or copied into the repository.

The reference follows the builder: per section (lead and headings included) it removes File/Image/
Media links, <ref> and table tags, takes mwparserfromhell's `strip_code()` and drops magic words. Its
known defects are set aside, i.e. fixed in the reference before comparing, because on them this
project is knowingly cleaner: References / See also / External links sections (dropped), citation
text leaking (every <ref> removed, nested ones too), category lines (dropped, not kept as text), words
glued across <br> (a line break), empty "( ; )" left by templates (removed). Texts are compared as
word sequences (line layout aside). Each remaining difference is classified by kind.

Checks printed at the end, the issue's "done when": no visible word of a link lost (every word a
wikilink shows in the reference text is in this project's text), no raw HTML entity in the text.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import os
import re
import sys
from collections.abc import Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mwparserfromhell  # noqa: E402
from mwparserfromhell.nodes import Heading, Tag, Wikilink  # noqa: E402
from mwparserfromhell.wikicode import Wikicode  # noqa: E402

from filters.base import Drop  # noqa: E402
from filters.wikipedia import clean_article  # noqa: E402
from pipeline.document import Document, Meta  # noqa: E402
from pipeline.sources.base import SkipCounter  # noqa: E402
from pipeline.sources.wiki_names import (  # noqa: E402
    BOILERPLATE_SECTIONS,
    DROP_TAGS,
    SITE_NAMESPACES,
    WIKIPEDIA_LANGUAGE_CODES,
    ns_key,
    wiki_names,
)
from pipeline.sources.wikipedia import read  # noqa: E402

_MAGIC_RE = re.compile("__[A-Z]*__")
_EMPTY_PARENS_RE = re.compile(r"\([\s,;:.–-]*\)")
ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_HEADING_END = "\ue001"
_HEADING = "\ue000H"  # a private-use character: mwparserfromhell drops NUL from replacement text
_EDGE_PUNCT = ".,;:!?\"'()[]«»„“”‘’"


CLEANER_KINDS = ("interlanguage link", "space before punctuation", "heading of a section", "words glued")


def _prefix(title: str) -> str:
    head, colon, _ = title.strip().partition(":")
    return ns_key(head) if colon else ""


def reference_text(wikitext: str, lang: str, siteinfo: str = "") -> str:
    """The builder's `_parse_and_clean_wikicode`, its known defects set aside (module docstring). The
    builder works section by section; removing the same nodes from the whole page gives the same words,
    and also reaches headings that mwparserfromhell nests inside an unclosed tag."""
    names = wiki_names(lang, siteinfo)
    code = mwparserfromhell.parse(wikitext)

    def drop(node: object) -> None:
        try:
            code.remove(node)
        except ValueError:  # already gone with a removed parent
            pass

    for link in code.filter_wikilinks(recursive=True):
        prefix = _prefix(str(link.title))
        # the builder removes media links; set aside: category links are removed, not kept as text
        if prefix in names.file or prefix in names.media or prefix in names.category:
            drop(link)
    for tag in code.filter_tags(recursive=True, matches=lambda t: str(t.tag).strip().lower() in {"ref", "table"}):
        drop(tag)  # set aside: citation text leaking (the builder misses nested and "not found" refs)
    for tag in code.filter_tags(recursive=True, matches=lambda t: str(t.tag).strip().lower() == "br"):
        try:  # set aside: words glued across <br>
            code.replace(tag, "\n")
        except ValueError:
            pass
    for heading in code.filter_headings(recursive=True):
        try:  # strip_code() keeps a heading's title as a line; mark it so its section can be dropped
            title = heading.title.strip_code().strip()
            code.replace(heading, f"\n{_HEADING}{heading.level}:{title}{_HEADING_END}\n")
        except ValueError:
            pass
    text = _MAGIC_RE.sub("", code.strip_code())
    text = re.sub(f"{_HEADING}(\\d:[^\n]*?){_HEADING_END}", f"\n{_HEADING}\\1\n", text)
    lines, skip_level = [], 0
    for line in text.split("\n"):  # set aside: boilerplate sections and their subsections are dropped
        if line.startswith(_HEADING):
            level, title = int(line[len(_HEADING)]), line.split(":", 1)[1]
            if skip_level and level > skip_level:
                continue
            skip_level = level if title.strip().lower().rstrip(":") in BOILERPLATE_SECTIONS else 0
            if not skip_level:
                lines.append(title)
        elif not skip_level:
            lines.append(_EMPTY_PARENS_RE.sub("", line))  # set aside: empty "( ; )"
    return "\n".join(lines)


def _word(w: str) -> str:
    return w.strip(_EDGE_PUNCT)


def classify(ref: list[str], ours: list[str], wikitext: str) -> str:
    """The kind of one difference (words only in the reference / only in this project's text)."""
    joined_ref, joined_ours = " ".join(ref), " ".join(ours)
    if ref and not ours and re.fullmatch(r"[a-z]{2,3}(?:-[a-z-]+)?:\S.*", ref[0]):
        if _prefix(ref[0]) in WIKIPEDIA_LANGUAGE_CODES:
            return "interlanguage link (MediaWiki shows it in the sidebar; the builder as text)"
    if re.sub(r" ([,.;:!?])", r"\1", joined_ref) == joined_ours:
        return "space before punctuation where a template was removed (this project drops it)"
    if joined_ref.replace(" ", "") == joined_ours.replace(" ", ""):
        if len(ours) > len(ref):
            return "words glued in the reference (the builder's line-break defect)"
        return "spacing only (same characters)"
    if ENTITY_RE.search(joined_ref) or ENTITY_RE.search(joined_ours):
        return "HTML entity"
    if [w for w in map(_word, ref) if w] == [w for w in map(_word, ours) if w]:
        return "punctuation only"
    if re.search(r"<ref|\{\{|\|\}|\[http|=https?://", joined_ref + " " + joined_ours):
        return "markup mwparserfromhell leaves unparsed (both keep it; this project drops its bare URLs)"
    headings = mwparserfromhell.parse(wikitext).filter_headings(recursive=True)
    heading_words = {_word(w) for h in headings for w in h.title.strip_code().split()}
    if ref and not ours and all(_word(w) in heading_words for w in ref):
        return "heading of a section without text (this project drops it)"
    if ref and _code_spans(wikitext) and all(w in _code_spans(wikitext) for w in ref + ours):
        return "code"
    if ours and not ref:
        return "text only in this project"
    if ref and not ours:
        return "text only in the reference"
    return "different words"


def _code_spans(wikitext: str) -> str:
    spans = re.findall(r"<(source|syntaxhighlight|pre)[^>]*>(.*?)</\1>", wikitext, flags=re.S | re.I)
    return " ".join(body for _, body in spans)


def _shown_links(code: Wikicode) -> Iterator[Wikilink]:
    """Wikilinks in running text: not inside templates, dropped tags, tables or other links."""
    for node in code.nodes:
        if isinstance(node, Wikilink):
            yield node
        elif isinstance(node, Tag) and node.contents is not None:
            if str(node.tag).strip().lower() not in DROP_TAGS | {"table"}:
                yield from _shown_links(node.contents)
        elif isinstance(node, Heading):
            yield from _shown_links(node.title)


def lost_link_words(wikitext: str, ref_text: str, ours_text: str) -> list[str]:
    """Words a wikilink of the running text shows, that the reference text also shows, missing from
    this project's text (file, category and interlanguage links show nothing in either)."""
    ref_words = {_word(w) for w in ref_text.split()}
    ours_words = {_word(w) for w in ours_text.split()}
    lost = []
    for link in _shown_links(mwparserfromhell.parse(wikitext)):
        shown = (link.text if link.text is not None else link.title).strip_code()
        words = [_word(w) for w in shown.split() if _word(w)]
        if words and all(w in ref_words for w in words):
            lost.extend(w for w in words if w not in ours_words)
    return lost


def compare(docs: list[Document], show: int) -> dict:
    kinds: collections.Counter[str] = collections.Counter()
    kind_articles: dict[str, set[str]] = collections.defaultdict(set)
    examples: dict[str, list[str]] = collections.defaultdict(list)
    identical = n = disambiguation = 0
    lost_total: list[tuple[str, str]] = []
    entities: list[tuple[str, str]] = []
    for doc in docs:
        lang = str(doc.meta.get(Meta.LANG) or "")
        # --keep-disambiguation, like the builder; the job's default drops them (counted below)
        out, _ = clean_article(doc, drop_disambiguation=False, want_links=False)
        disambiguation += clean_article(doc, want_links=False)[0] == Drop("disambiguation")
        ours_text = out.text if isinstance(out, Document) else ""
        ref_text = reference_text(doc.text, lang, str(doc.meta.get(SITE_NAMESPACES) or ""))
        n += 1
        ref, ours = ref_text.split(), ours_text.split()
        if ref == ours:
            identical += 1
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ref, ours, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            kind = classify(ref[i1:i2], ours[j1:j2], doc.text)
            kinds[kind] += 1
            kind_articles[kind].add(doc.id)
            if len(examples[kind]) < show:
                ctx_ref = " ".join(ref[max(0, i1 - 4) : i2 + 4])[:200]
                ctx_ours = " ".join(ours[max(0, j1 - 4) : j2 + 4])[:200]
                examples[kind].append(f"{doc.meta.get(Meta.TITLE)}: ref «{ctx_ref}» | ours «{ctx_ours}»")
        lost_total += [(str(doc.meta.get(Meta.TITLE)), w) for w in lost_link_words(doc.text, ref_text, ours_text)]
        entities += [(str(doc.meta.get(Meta.TITLE)), m) for m in ENTITY_RE.findall(ours_text)]
    # kinds where this project's text is the cleaner one, or the one MediaWiki shows
    cleaner = {k for k in kinds if k.startswith(CLEANER_KINDS)}
    faithful = sum(1 for doc in docs if all(doc.id not in kind_articles[k] for k in kinds if k not in cleaner))
    return {
        "articles": n,
        "disambiguation_pages": disambiguation,
        "identical": identical,
        "identical_share": round(identical / max(1, n), 4),
        "identical_apart_from_cleaner_kinds": faithful,
        "identical_apart_from_cleaner_kinds_share": round(faithful / max(1, n), 4),
        "differences": {
            k: {"chunks": c, "articles": len(kind_articles[k]), "examples": examples[k]} for k, c in kinds.most_common()
        },
        "lost_link_words": lost_total,
        "raw_entities": entities,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dumps", nargs="+", help="MediaWiki XML dumps (.xml, .xml.bz2), e.g. gensim's test data")
    ap.add_argument("--show", type=int, default=2, help="examples printed per kind of difference")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    docs: list[Document] = []
    skips = SkipCounter()
    for path in args.dumps:
        docs.extend(read(path, skips))
    res = compare(docs, args.show)
    langs = collections.Counter(str(d.meta.get(Meta.LANG)) for d in docs)
    print(f"articles: {res['articles']} ({dict(langs)}); reader skips: {dict(skips.counts)}")
    print(
        f"disambiguation pages (compared as kept; the job drops them unless --keep-disambiguation): "
        f"{res['disambiguation_pages']}"
    )
    print(f"identical to the reference: {res['identical']} ({res['identical_share']:.1%})")
    print(
        f"identical apart from the kinds where this project is the cleaner ({', '.join(CLEANER_KINDS)}): "
        f"{res['identical_apart_from_cleaner_kinds']} ({res['identical_apart_from_cleaner_kinds_share']:.1%})"
    )
    print("\n| kind of difference | chunks | articles |\n|---|---|---|")
    for kind, d in res["differences"].items():
        print(f"| {kind} | {d['chunks']} | {d['articles']} |")
    for kind, d in res["differences"].items():
        for ex in d["examples"]:
            print(f"  [{kind}] {ex}")
    print(f"\nvisible link words lost: {len(res['lost_link_words'])} {res['lost_link_words'][:10]}")
    print(f"raw HTML entities left: {len(res['raw_entities'])} {res['raw_entities'][:10]}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
