"""Wikitext -> plain text, and the external links of an article, with mwparserfromhell.

LLaMA (Touvron et al. 2023, section 2.1): "We process the data to remove hyperlinks, comments and other
formatting boilerplate." Made exact here: internal links become their
anchor text; templates, tables, references, comments, files/images, categories, interlanguage links,
magic words and HTML tags go; the inner text of formatting tags (<b>, <i>, <span>, ...) stays; headings
stay as text lines, lists as lines. One parse serves both the text and the link export.
"""

from __future__ import annotations

import re

import mwparserfromhell
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)
from mwparserfromhell.wikicode import Wikicode

from filters.wiki_names import (  # the data tables, kept apart from the logic
    BOILERPLATE_SECTIONS,
    CATEGORY_NS,
    DROP_TAGS,
    FILE_NS,
    INTERWIKI_PROJECTS,
    LINE_TAGS,
    MARKER_TAGS,
)

_INTERWIKI_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z]{2,8})*$")
_MAGIC_RE = re.compile(r"__([^\W_]+)__")
_EMPTY_PARENS_RE = re.compile(r"[ \t]*\([\s,;:.–-]*\)")
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
_SPACE_PUNCT_RE = re.compile(r" +([,.;:!?])(?=\s|$)")  # "area of ." left by a template; not " .deb"
_BLANKS_RE = re.compile(r"\n{3,}")
_HEADING_MARK = "\x00H"


def _link_prefix(title: str) -> str | None:
    """The namespace/interwiki prefix of a link title, lower-cased, or None."""
    if ":" not in title:
        return None
    return title.split(":", 1)[0].strip().lower()


def _render(code: Wikicode, out: list[str]) -> None:
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(str(node.value))
        elif isinstance(node, Wikilink):
            _render_wikilink(node, out)
        elif isinstance(node, ExternalLink):
            # [http://x label] -> label; a bare URL or an unlabelled [http://x] is a hyperlink: removed
            if node.brackets and node.title is not None:
                _render(node.title, out)
        elif isinstance(node, Heading):
            out.append(f"\n{_HEADING_MARK}{node.level}:")
            _render(node.title, out)
            out.append("\n")
        elif isinstance(node, Tag):
            _render_tag(node, out)
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        elif isinstance(node, (Template, Comment, Argument)):
            continue  # templates, comments and template arguments are removed
        else:  # unknown node types (e.g. parser functions parsed as templates) carry no prose
            continue


def _render_wikilink(node: Wikilink, out: list[str]) -> None:
    title = str(node.title).strip()
    visible = title.startswith(":")  # [[:Category:X]] is a visible link, not a categorisation
    prefix = _link_prefix(title.lstrip(":"))
    if prefix is not None:
        if not visible and (prefix in FILE_NS or prefix in CATEGORY_NS):
            return
        if not visible and (_INTERWIKI_RE.match(prefix) or prefix in INTERWIKI_PROJECTS):
            return  # interlanguage links ([[de:Paris]]) render in the sidebar, not in the text
    if node.text is not None:
        _render(node.text, out)
        return
    shown = title.lstrip(":")
    if visible and prefix is not None:
        shown = shown.split(":", 1)[1]
    shown = shown.split("#", 1)[0] or shown.lstrip("#")
    out.append(shown)


def _render_tag(node: Tag, out: list[str]) -> None:
    tag = str(node.tag).strip().lower()
    if tag in DROP_TAGS:
        return
    if tag in LINE_TAGS:
        out.append("\n")
        if node.contents is not None and not node.self_closing:
            _render(node.contents, out)
            out.append("\n")
        return
    if tag in MARKER_TAGS:
        out.append("\n" if node.wiki_markup is None else "")
        if node.contents is not None and not node.self_closing:
            _render(node.contents, out)
        return
    # formatting ('' ''', <b>, <i>, <span>, <small>, <sub>, <blockquote>, <nowiki>, <pre>, ...): inner text
    if node.contents is not None and not node.self_closing:
        _render(node.contents, out)


def _drop_boilerplate_sections(lines: list[str]) -> list[str]:
    """Drop "References", "External links", "See also" ... sections (heading and body up to the next
    heading of the same or a higher level): what is left there is citation and link-list residue."""
    out: list[str] = []
    skip_level = 0
    for line in lines:
        if line.startswith(_HEADING_MARK):
            level = int(line[len(_HEADING_MARK)])
            if skip_level and level > skip_level:
                continue
            skip_level = 0
            if line.split(":", 1)[1].strip().lower().rstrip(":") in BOILERPLATE_SECTIONS:
                skip_level = level
                continue
        elif skip_level:
            continue
        out.append(line)
    return out


def _drop_empty_headings(lines: list[str]) -> list[str]:
    """Drop heading lines whose section (up to the next heading of the same or a higher level) has no
    text, e.g. one that only held a table or a gallery."""
    keep = [True] * len(lines)
    for i, line in enumerate(lines):
        if not line.startswith(_HEADING_MARK):
            continue
        level = int(line[len(_HEADING_MARK)])
        has_text = False
        for nxt in lines[i + 1 :]:
            if nxt.startswith(_HEADING_MARK):
                if int(nxt[len(_HEADING_MARK)]) <= level:
                    break
                continue
            if nxt.strip():
                has_text = True
                break
        keep[i] = has_text
    return [line for line, k in zip(lines, keep) if k]


def _postprocess(raw: str) -> str:
    raw = _MAGIC_RE.sub(lambda m: "" if m.group(1).isupper() else m.group(0), raw)
    lines: list[str] = []
    for line in raw.split("\n"):
        line = _EMPTY_PARENS_RE.sub("", line)  # "( ; )" left where templates were
        line = _SPACES_RE.sub(" ", line).strip()
        line = _SPACE_PUNCT_RE.sub(r"\1", line)
        lines.append(line)
    lines = _drop_empty_headings(_drop_boilerplate_sections(lines))
    lines = [line.split(":", 1)[1].strip() if line.startswith(_HEADING_MARK) else line for line in lines]
    return _BLANKS_RE.sub("\n\n", "\n".join(lines)).strip()


def parse(wikitext: str) -> Wikicode:
    # skip_style_tags=False: '' and ''' are parsed as <i>/<b>, so the quotes go and the text stays
    return mwparserfromhell.parse(wikitext)


def to_text(wikitext: str | Wikicode) -> str:
    """Plain text of an article: anchor text for links, headings as lines, boilerplate removed."""
    code = parse(wikitext) if isinstance(wikitext, str) else wikitext
    out: list[str] = []
    _render(code, out)
    return _postprocess("".join(out))


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def external_links(wikitext: str | Wikicode) -> list[str]:
    """http(s) URLs of an article in order of appearance, de-duplicated: `[http://x label]`, bare URLs,
    and the `url=` parameter of citation templates ({{cite web|url=...}}), also inside <ref> tags.
    These are the positives of the CommonCrawl Wikipedia-reference classifier (LLaMA section 2.1)."""
    code = parse(wikitext) if isinstance(wikitext, str) else wikitext
    seen: dict[str, None] = {}
    for node in code.ifilter(recursive=True):
        if isinstance(node, ExternalLink):
            url = str(node.url).strip()
            if _is_http(url):
                seen.setdefault(url, None)
        elif isinstance(node, Template):
            for param in node.params:
                if str(param.name).strip().lower() == "url":
                    url = param.value.strip_code().strip()
                    if _is_http(url) and " " not in url:
                        seen.setdefault(url, None)
    return list(seen)


def template_names(code: Wikicode) -> list[str]:
    """Normalised (lower-case, underscores as spaces, single-spaced) names of the top-level templates."""
    names = []
    for t in code.ifilter_templates(recursive=False):
        name = " ".join(str(t.name).replace("_", " ").split()).lower()
        if name.startswith("template:"):
            name = name[len("template:") :].strip()
        names.append(name)
    return names
