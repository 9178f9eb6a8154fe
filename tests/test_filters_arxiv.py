"""ArXiv rules: comments (not \\%), macros with arguments and defaults, body cut, no_section drop."""

from __future__ import annotations

from filters.arxiv import ExtractBody, RemoveComments
from filters.base import Drop
from filters.latex import expand_macros, extract_macros, remove_comments
from pipeline.document import Document

PAPER = r"""\documentclass[11pt]{article}
\usepackage{amsmath,amssymb}
% Macros
\newcommand{\R}{\mathbb{R}}
\newcommand*{\norm}[1]{\left\lVert #1 \right\rVert}
\newcommand{\loss}[2][\theta]{\mathcal{L}_{#2}(#1)}
\renewcommand{\vec}[1]{\mathbf{#1}}
\providecommand{\R}{\mathbb{Q}}
\def\eps{\varepsilon}
\def\inner#1#2{\langle #1,\, #2 \rangle}
\DeclareMathOperator*{\argmin}{arg\,min}
\title{Sharp Bounds for Gradient Descent}
\author{A. Author \and B. Author}
\begin{document}
\maketitle
\begin{abstract}
We study gradient descent on smooth losses.
\end{abstract}
\section{Introduction}\label{sec:intro} % TODO: shorten
Let $\vec{x} \in \R^d$ and $\eps > 0$. About 95\% of runs converge; we minimise $\loss{D}$ and
$\loss[\phi]{\mathrm{val}}$ with $\norm{\inner{\vec{x}}{y}} \le 1$ and $\argmin_x f(x)$.
% An old paragraph we removed.
%\section{Old section}
\begin{comment}
This text was cut from the submission.
\end{comment}
Lines end here\\% a comment after a line break
\subsection*{Setting}
A $\{x\}$ set, \undefinedmacro{kept} as written.
\bibliographystyle{plain}
\bibliography{refs}
\end{document}
"""

EXPECTED = r"""\section{Introduction}\label{sec:intro}
Let $\mathbf{x} \in \mathbb{R}^d$ and $\varepsilon > 0$. About 95\% of runs converge; we minimise $\mathcal{L}_{D}(\theta)$ and
$\mathcal{L}_{\mathrm{val}}(\phi)$ with $\left\lVert \langle \mathbf{x},\, y \rangle \right\rVert \le 1$ and $\operatorname*{arg\,min}_x f(x)$.
Lines end here\\
\subsection*{Setting}
A $\{x\}$ set, \undefinedmacro{kept} as written.
\bibliographystyle{plain}
"""


def _clean(text: str, **kw: bool) -> Document | Drop:
    doc = RemoveComments()(Document("arxiv:2101.00001", "arxiv", text))
    assert isinstance(doc, Document)
    return ExtractBody(**kw)(doc)


def test_paper_is_cut_to_body_with_macros_expanded() -> None:
    out = _clean(PAPER)
    assert isinstance(out, Document)
    assert out.text == EXPECTED


def test_comments_removed_but_escaped_percent_kept() -> None:
    tex = "50\\% of % the comment\n% whole line\n\\\\% after linebreak\nkeep \\\\\\% this\n"
    assert remove_comments(tex) == "50\\% of\n\\\\\nkeep \\\\\\% this\n"


def test_verbatim_percent_is_not_a_comment() -> None:
    tex = 'a % c\n\\begin{verbatim}\nprintf("%d");\n\\end{verbatim}\n'
    assert remove_comments(tex) == 'a\n\\begin{verbatim}\nprintf("%d");\n\\end{verbatim}\n'


def test_macros_with_arguments_defaults_and_nesting() -> None:
    macros, rest = extract_macros(
        r"\newcommand{\pair}[2][0]{(#1,#2)}\newcommand\sq[1]{{#1}^2}"
        r"\def\both#1#2{\pair[#1]{#2}+\sq{#2}} body"
    )
    assert rest == " body"
    assert (
        expand_macros(r"$\pair{x}$ $\pair[y]{ {z} }$ $\both{a}{b}$ \pairs", macros)
        == r"$(0,x)$ $(y, {z} )$ $(a,b)+{b}^2$ \pairs"
    )


def test_recursive_macro_stops_at_depth_cap() -> None:
    macros, _ = extract_macros(r"\newcommand{\loop}{x\loop}")
    out = expand_macros(r"\loop", macros)
    assert out.startswith("x" * 32) and out.endswith(r"\loop")


def test_delimited_def_is_left_alone() -> None:
    macros, rest = extract_macros(r"\def\foo#1.{(#1)} \foo a.")
    assert "foo" not in macros and rest == r"\def\foo#1.{(#1)} \foo a."


def test_cut_appendix_option() -> None:
    tex = "\\section{A}\nBody.\n\\appendix\n\\section{Proofs}\nMore.\n"
    kept = _clean(tex)
    cut = _clean(tex, cut_appendix=True)
    assert isinstance(kept, Document) and "Proofs" in kept.text
    assert isinstance(cut, Document) and cut.text == "\\section{A}\nBody.\n"


def test_thebibliography_removed() -> None:
    out = _clean("\\section{A}\nText.\n\\begin{thebibliography}{9}\n\\bibitem{x} X.\n\\end{thebibliography}\n")
    assert isinstance(out, Document) and out.text == "\\section{A}\nText.\n"


def test_no_section_dropped() -> None:
    tex = "\\documentclass{article}\n\\begin{document}\nOnly an abstract.\n%\\section{Commented}\n\\end{document}\n"
    assert _clean(tex) == Drop("no_section")


def test_user_sectioning_macros_count_as_sections() -> None:
    tex = (
        "\\documentclass{jss}\n\\newcommand{\\mysection}[1]{\\subsubsection[#1]{\\textbf{#1}}}\n"
        "\\let\\myother=\\subsection\n\\begin{document}\nFront matter.\n\\mysection{Read a series}\nText.\n"
        "\\myother{Query}\nMore.\n\\end{document}\n"
    )
    out = _clean(tex)
    assert isinstance(out, Document)
    assert out.text == ("\\subsubsection[Read a series]{\\textbf{Read a series}}\nText.\n\\subsection{Query}\nMore.\n")
