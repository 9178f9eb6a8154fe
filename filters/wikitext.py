"""Wikitext -> plain text, and the external links of an article, with mwparserfromhell.

LLaMA (Touvron et al. 2023, section 2.1): "We process the data to remove hyperlinks, comments and other
formatting boilerplate." Made exact here: every link shows the words a reader sees (its label, or its
title as written: "Algorithm#Examples", "wikt:exemplar"); templates, tables, references, comments,
files/images, categories, interlanguage links, magic words and HTML tags go; the inner text of
formatting tags (<b>, <i>, <span>, ...) stays; code stays verbatim; headings stay as text lines, lists
as lines. One parse serves both the text and the link export. docs/wikipedia.md gives the rules.
"""

from __future__ import annotations

import html
import re

import mwparserfromhell
from mwparserfromhell.nodes import (
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)
from mwparserfromhell.wikicode import Wikicode

from pipeline.sources.wiki_names import (  # the data tables and the namespace lookup, kept apart from the logic
    BLOCK_CODE_TAGS,
    BOILERPLATE_SECTIONS,
    CODE_TAGS,
    DROP_TAGS,
    LINE_TAGS,
    MARKER_TAGS,
    WIKIPEDIA_LANGUAGE_CODES,
    WikiNames,
    ns_key,
    wiki_names,
)

_MAGIC_RE = re.compile(r"__([^\W_]+)__")
_REMOVED = "\x02"  # where a template, reference, file ... was taken out; gone before the text is returned
_CODE = "\x01"  # brackets the index of a verbatim code span set aside: \x01<n>\x01
_CONTROL_RE = re.compile("[\x00-\x02]")
_EMPTY_PARENS_RE = re.compile(r"[ \t\x02]*\([\s,;:.–\x02-]*\)")
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
# "area of {{convert|...}}." leaves "area of ." : a space before punctuation is removed only where a
# node was taken out right there, so real text ("ls -la .", ". . .", French "vraiment ?") is untouched
_SPACE_PUNCT_RE = re.compile(r"(?<=\S)[ \t\u00a0]*\x02[ \t\u00a0\x02]*(?=[,.;:!?](?:\s|$))")
_CODE_REF_RE = re.compile("\x01(\\d+)\x01")
_BLANKS_RE = re.compile(r"\n{3,}")
_HEADING_MARK = "\x00H"


class _Ctx:
    """State of one rendering: the wiki's namespace names and the verbatim code spans set aside."""

    def __init__(self, names: WikiNames) -> None:
        self.names = names
        self.code: list[str] = []

    def protect(self, text: str) -> str:
        self.code.append(text)
        return f"{_CODE}{len(self.code) - 1}{_CODE}"


def _render(code: Wikicode, out: list[str], ctx: _Ctx) -> None:
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(str(node.value))
        elif isinstance(node, Wikilink):
            _render_wikilink(node, out, ctx)
        elif isinstance(node, ExternalLink):
            # [http://x label] -> label; a bare URL or an unlabelled [http://x] is a hyperlink: removed
            if node.brackets and node.title is not None:
                _render(node.title, out, ctx)
            else:
                out.append(_REMOVED)
        elif isinstance(node, Heading):
            out.append(f"\n{_HEADING_MARK}{node.level}:")
            _render(node.title, out, ctx)
            out.append("\n")
        elif isinstance(node, Tag):
            _render_tag(node, out, ctx)
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        else:  # templates, comments, template arguments, parser functions: no prose
            out.append(_REMOVED)


def _plain(code: Wikicode, ctx: _Ctx) -> str:
    """Rendered text of a piece of wikitext (a link title): entities decoded, markers gone."""
    sub: list[str] = []
    _render(code, sub, ctx)
    return "".join(sub).replace(_REMOVED, "")


def _render_wikilink(node: Wikilink, out: list[str], ctx: _Ctx) -> None:
    title = _plain(node.title, ctx).strip()
    visible = title.startswith(":")  # [[:Category:X]], [[:fr:Paris]]: a visible link, shown as written
    title = title.lstrip(":").strip()
    prefix, colon, _ = title.partition(":")
    key = ns_key(prefix) if colon else ""
    names = ctx.names
    if key in names.media and node.text is not None:
        _render(node.text, out, ctx)  # [[Media:x.ogg|listen]] is a visible link to the file
        return
    if not visible and key and (key in names.file or key in names.media or key in names.category):
        out.append(_REMOVED)  # images and their captions, categories
        return
    if not visible and key in WIKIPEDIA_LANGUAGE_CODES and prefix == prefix.strip():
        out.append(_REMOVED)  # interlanguage links ([[de:Paris]]) render in the sidebar, not in the text
        return
    if node.text is not None:
        _render(node.text, out, ctx)
    else:  # shown as written, like MediaWiki and the HF builder: "Algorithm#Examples", "wikt:exemplar"
        out.append(title)


def _line_has_text(out: list[str]) -> bool:
    """Whether the line being rendered already holds text (so a code tag here sits inside a sentence)."""
    for piece in reversed(out):
        _, newline, tail = piece.rpartition("\n")
        if tail.replace(_REMOVED, "").strip():
            return True
        if newline:
            return False
    return False


def _render_code(node: Tag, tag: str, out: list[str], ctx: _Ctx) -> None:
    """Code is kept verbatim. <code>/<tt>/<kbd>/<samp> are inline; <pre> is a block; <source> and
    <syntaxhighlight> are inline with the `inline` attribute or when they hold one line inside a line
    of text (the instruction <source>LET [] = []</source> is), otherwise a block of their own lines."""
    if node.contents is None or node.self_closing:
        return
    sub: list[str] = []
    _render(node.contents, sub, ctx)
    text = "".join(sub).replace(_REMOVED, "")
    if tag == "pre":  # MediaWiki decodes entities in <pre>, not in <syntaxhighlight>/<source>
        text = html.unescape(text)
    inline = tag not in BLOCK_CODE_TAGS or (
        tag != "pre" and (node.has("inline") or ("\n" not in text.strip() and _line_has_text(out)))
    )
    if inline:
        out.append(ctx.protect(" ".join(text.split("\n")).strip() if tag in BLOCK_CODE_TAGS else text))
        return
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines:
        out.append("\n" + ctx.protect("\n".join(lines)) + "\n")


def _render_tag(node: Tag, out: list[str], ctx: _Ctx) -> None:
    tag = str(node.tag).strip().lower()
    if tag in DROP_TAGS:
        out.append(_REMOVED)
        return
    if tag in CODE_TAGS:
        _render_code(node, tag, out, ctx)
        return
    if tag in LINE_TAGS:
        out.append("\n")
        if node.contents is not None and not node.self_closing:
            _render(node.contents, out, ctx)
            out.append("\n")
        return
    if tag in MARKER_TAGS:
        out.append("\n" if node.wiki_markup is None else "")
        if node.contents is not None and not node.self_closing:
            _render(node.contents, out, ctx)
        return
    if tag == "nowiki" and node.contents is not None:  # entities still count inside <nowiki>
        out.append(html.unescape(str(node.contents)))
        return
    # formatting ('' ''', <b>, <i>, <span>, <small>, <sub>, <blockquote>, ...): inner text
    if node.contents is not None and not node.self_closing:
        _render(node.contents, out, ctx)


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


def _postprocess(raw: str, ctx: _Ctx) -> str:
    raw = _MAGIC_RE.sub(lambda m: "" if m.group(1).isupper() else m.group(0), raw)
    lines: list[str] = []
    for line in raw.split("\n"):
        line = _EMPTY_PARENS_RE.sub(_REMOVED, line)  # "( ; )" left where templates were
        line = _SPACE_PUNCT_RE.sub("", line)
        line = _SPACES_RE.sub(" ", line.replace(_REMOVED, "")).strip()
        lines.append(line)
    lines = _drop_empty_headings(_drop_boilerplate_sections(lines))
    lines = [line.split(":", 1)[1].strip() if line.startswith(_HEADING_MARK) else line for line in lines]
    text = _BLANKS_RE.sub("\n\n", "\n".join(lines)).strip()
    return _CODE_REF_RE.sub(lambda m: ctx.code[int(m.group(1))], text) if ctx.code else text


def parse(wikitext: str) -> Wikicode:
    # skip_style_tags=False: '' and ''' are parsed as <i>/<b>, so the quotes go and the text stays.
    # The control characters used as markers here cannot occur in XML text; drop any all the same.
    return mwparserfromhell.parse(_CONTROL_RE.sub("", wikitext))


def to_text(wikitext: str | Wikicode, names: WikiNames | None = None) -> str:
    """Plain text of an article: the visible words of links, headings as lines, boilerplate removed.
    `names`: the wiki's namespace names (`wiki_names(lang, siteinfo)`); default: those of all 20."""
    code = parse(wikitext) if isinstance(wikitext, str) else wikitext
    ctx = _Ctx(names or wiki_names())
    out: list[str] = []
    _render(code, out, ctx)
    return _postprocess("".join(out), ctx)


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
