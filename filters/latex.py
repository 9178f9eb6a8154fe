"""LaTeX text operations for the arXiv rules: comments, user macros, body extraction.

LLaMA section 2.1, after Lewkowycz et al. (2022): "removed everything before the first section, as well
as the bibliography. We also removed the comments from the .tex files, and inline-expanded definitions
and macros written by users." RedPajama expands only argument-less one-line macros; this expander also
takes macros with arguments #1..#9 and an optional first argument with a default, with brace-balanced
argument parsing, a recursion depth cap and an output size cap (against macro bombs); `\\let\\a=\\b`
aliases between control sequences are expanded too. Undefined commands are left alone. Scoping
(groups, \\begingroup) is ignored: the last definition wins, except \\providecommand, which never
replaces an existing one.
"""

from __future__ import annotations

import dataclasses
import re

MAX_DEPTH = 32  # nested expansions of one macro call
MAX_GROWTH = 8  # expanded body at most this many times the input (+ 1 MB), else expansion stops
_VERBATIM_RE = re.compile(r"(\\begin\{(verbatim\*?|lstlisting|minted|Verbatim)\}.*?\\end\{\2\})", re.DOTALL)
_COMMENT_ENV_RE = re.compile(r"\\begin\{comment\}.*?\\end\{comment\}[ \t]*\n?", re.DOTALL)
_NAME_RE = re.compile(r"\\([A-Za-z@]+)")
_DEF_RE = re.compile(
    r"\\(newcommand|renewcommand|providecommand|DeclareRobustCommand|DeclareMathOperator"
    r"|def|gdef|edef|xdef|let)(?![A-Za-z@])\*?"
)
_LET_RE = re.compile(r"\\([A-Za-z@]+)\s*=?\s?(\\[A-Za-z@]+)")
_SECTION_RE = re.compile(r"\\(?:part|chapter|section|subsection|subsubsection|paragraph|subparagraph)\*?\s*[\[{]")
_BIB_RE = re.compile(
    r"\\bibliography\s*\{|\\begin\{thebibliography\}|\\printbibliography\b"
    r"|\\begin\{references\}|\\end\{document\}",
    re.IGNORECASE,
)
_APPENDIX_RE = re.compile(r"\\appendix(?![A-Za-z@])|\\begin\{appendices\}")


def _strip_line_comment(line: str) -> tuple[str, bool]:
    """Cut a line at the first unescaped % (one preceded by an even number of backslashes: `\\%` is a
    literal percent, `\\\\%` is a line break followed by a comment)."""
    i = line.find("%")
    while i != -1:
        n = 0
        while i - n - 1 >= 0 and line[i - n - 1] == "\\":
            n += 1
        if n % 2 == 0:
            return line[:i], True
        i = line.find("%", i + 1)
    return line, False


def remove_comments(tex: str) -> str:
    """Remove `%` comments (not `\\%`) and comment environments; verbatim blocks are left as they are.
    A line that was only a comment is removed whole, so no blank line (= paragraph break) appears."""
    tex = _COMMENT_ENV_RE.sub("", tex)
    parts = _VERBATIM_RE.split(tex)
    out: list[str] = []
    # re.split with 2 groups yields [text, verbatim, envname, text, verbatim, envname, ...]
    for k in range(0, len(parts), 3):
        lines = []
        for line in parts[k].split("\n"):
            cut, had = _strip_line_comment(line)
            if had and not cut.strip():
                continue
            lines.append(cut.rstrip() if had else line)
        out.append("\n".join(lines))
        if k + 1 < len(parts):
            out.append(parts[k + 1])
    return "".join(out)


@dataclasses.dataclass(frozen=True)
class Macro:
    nargs: int
    body: str
    default: str | None = None  # the optional first argument's default, when it has one


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in " \t\n\r":
        i += 1
    return i


def read_group(s: str, i: int) -> tuple[str, int] | None:
    """An undelimited TeX argument at i (after spaces): a {balanced group} without its braces, a control
    sequence, or one character. None at the end of input or on an unbalanced group."""
    i = _skip_ws(s, i)
    if i >= len(s):
        return None
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return s[i + 1 : j], j + 1
            j += 1
        return None
    if s[i] == "\\":
        m = _NAME_RE.match(s, i)
        if m:
            return m.group(0), m.end()
        return s[i : i + 2], i + 2
    if s[i] == "}":
        return None
    return s[i], i + 1


def read_optional(s: str, i: int) -> tuple[str | None, int]:
    """An optional [argument] at i (brackets inside braces do not close it), or (None, i)."""
    j = _skip_ws(s, i)
    if j >= len(s) or s[j] != "[":
        return None, i
    depth, k = 0, j + 1
    while k < len(s):
        c = s[k]
        if c == "\\":
            k += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "]" and depth == 0:
            return s[j + 1 : k], k + 1
        k += 1
    return None, i


def _parse_definition(s: str, m: re.Match) -> tuple[str, Macro, int] | None:
    """Parse the definition starting at match m; (name, macro, end) or None when it is not one we can
    expand (e.g. \\def with delimited parameters), in which case it is left in the text."""
    kind = m.group(1)
    i = m.end()
    if kind == "let":  # \let\a=\b: an alias; textual expansion to \b takes \b's arguments naturally
        lm = _LET_RE.match(s, i)
        return (lm.group(1), Macro(0, lm.group(2)), lm.end()) if lm else None
    if kind in ("def", "gdef", "edef", "xdef"):
        nm = _NAME_RE.match(s, i)
        if not nm:
            return None
        params = re.match(r"(?:#[1-9])*", s[nm.end() :]).group(0)
        expected = "".join(f"#{k}" for k in range(1, len(params) // 2 + 1))
        j = nm.end() + len(params)
        if params != expected or j >= len(s) or s[j] != "{":
            return None  # delimited parameter text: not expanded
        body = read_group(s, j)
        if body is None:
            return None
        return nm.group(1), Macro(len(params) // 2, body[0]), body[1]
    target = read_group(s, i)
    if target is None or not target[0].startswith("\\"):
        return None
    name = target[0].strip()[1:]
    if not re.fullmatch(r"[A-Za-z@]+", name):
        return None
    i = target[1]
    if kind == "DeclareMathOperator":
        body = read_group(s, i)
        if body is None:
            return None
        op = "\\operatorname*" if m.group(0).endswith("*") else "\\operatorname"
        return name, Macro(0, f"{op}{{{body[0]}}}"), body[1]
    nargs_s, i = read_optional(s, i)
    nargs = 0
    if nargs_s is not None:
        if not nargs_s.strip().isdigit() or not 0 <= int(nargs_s) <= 9:
            return None
        nargs = int(nargs_s)
    default, i = read_optional(s, i) if nargs else (None, i)
    body = read_group(s, i)
    if body is None:
        return None
    return name, Macro(nargs, body[0], default), body[1]


def extract_macros(tex: str) -> tuple[dict[str, Macro], str]:
    """Collect user macro definitions and remove them from the text: (macros, text without them)."""
    macros: dict[str, Macro] = {}
    out: list[str] = []
    pos = 0
    for m in _DEF_RE.finditer(tex):
        if m.start() < pos:
            continue  # inside a definition already consumed
        parsed = _parse_definition(tex, m)
        if parsed is None:
            continue
        name, macro, end = parsed
        if not (m.group(1) == "providecommand" and name in macros):
            macros[name] = macro
        out.append(tex[pos : m.start()])
        pos = end
    out.append(tex[pos:])
    return macros, "".join(out)


def _substitute(body: str, args: list[str]) -> str:
    def rep(mm: re.Match) -> str:
        tok = mm.group(0)
        if tok == "##":
            return "#"
        k = int(tok[1])
        return args[k - 1] if k <= len(args) else tok

    return re.sub(r"##|#[1-9]", rep, body)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit


def _expand(s: str, macros: dict[str, Macro], depth: int, budget: _Budget) -> str:
    out: list[str] = []
    pos = 0
    for m in _NAME_RE.finditer(s):
        if m.start() < pos:
            continue
        macro = macros.get(m.group(1))
        if macro is None or depth >= MAX_DEPTH or budget.left <= 0:
            continue
        # an escaped backslash before it (\\name) is a line break followed by text, not this macro
        bs = 0
        while m.start() - bs - 1 >= 0 and s[m.start() - bs - 1] == "\\":
            bs += 1
        if bs % 2:
            continue
        i = m.end()
        args: list[str] = []
        if macro.default is not None:
            opt, i = read_optional(s, i)
            args.append(macro.default if opt is None else opt)
        ok = True
        while len(args) < macro.nargs:
            g = read_group(s, i)
            if g is None:
                ok = False
                break
            args.append(g[0])
            i = g[1]
        if not ok:
            continue  # too few arguments: leave the call as it is
        replacement = _expand(_substitute(macro.body, args), macros, depth + 1, budget)
        budget.left -= len(replacement)
        out.append(s[pos : m.start()])
        out.append(replacement)
        pos = i
    out.append(s[pos:])
    return "".join(out)


def expand_macros(tex: str, macros: dict[str, Macro]) -> str:
    """Inline-expand user macros; arguments are brace-balanced groups, a missing optional argument
    takes its default. Expansion stops at MAX_DEPTH nesting and once the output would grow past
    MAX_GROWTH x input (+ 1 MB); what is not expanded stays as written."""
    if not macros:
        return tex
    return _expand(tex, macros, 0, _Budget(MAX_GROWTH * len(tex) + (1 << 20)))


def body_span(tex: str, cut_appendix: bool = False) -> tuple[int, int] | None:
    """(start, end) of the body: from the first sectioning command to the bibliography (or
    \\end{document}, or \\appendix when asked). None when there is no sectioning command."""
    first = _SECTION_RE.search(tex)
    if first is None:
        return None
    ends = [m.start() for m in (_BIB_RE.search(tex, first.start()),) if m]
    if cut_appendix:
        ends += [m.start() for m in (_APPENDIX_RE.search(tex, first.start()),) if m]
    return first.start(), min(ends) if ends else len(tex)
