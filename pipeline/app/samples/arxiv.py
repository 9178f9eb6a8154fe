"""ArXiv sample: LaTeX papers in the three shapes arXiv serves: a bare `.tex`, a per-paper `.tar.gz`
whose main file (the one with \\documentclass) \\input's another member, and a single gzipped `.tex`.

The text is real published papers: R package vignettes (.Rnw, LaTeX with Sweave chunks) from Debian's
r-cran-{lme4,sandwich,zoo,strucchange}. Sweave is turned into plain LaTeX: code chunks shown to the reader
(echo) become verbatim, hidden ones are dropped, \\Sexpr{x} becomes \\texttt{x}. The vignettes keep their
own \\newcommand macros, with arguments, which the arXiv cleaning expands (Touvron et al. 2023, section 2).
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from pathlib import Path

from pipeline.app.samples.fetch import deb_members
from pipeline.app.samples.util import gzip_bytes

PACKAGES = ("r-cran-lme4", "r-cran-sandwich", "r-cran-strucchange", "r-cran-zoo")
TARBALLS = ("lmer", "sandwich-CL")  # split in two files: main.tex \input's the second half
GZIPPED = ("zoo", "Theory")
TAR_MTIME = 1556150400  # 2019-04-25, fixed so the archives are byte-identical across builds
_CHUNK = re.compile(r"^<<(.*?)>>=[ \t]*\n(.*?)^@[ \t]*$\n?", re.MULTILINE | re.DOTALL)
_SEXPR = re.compile(r"\\Sexpr\{((?:[^{}]|\{[^{}]*\})*)\}")


def sweave_to_latex(rnw: str) -> str:
    def chunk(m: re.Match) -> str:
        opts = m.group(1).replace(" ", "")
        if "echo=FALSE" in opts or "echo=F," in opts + ",":
            return ""
        return "\\begin{verbatim}\n" + m.group(2).rstrip("\n") + "\n\\end{verbatim}\n"

    text = _CHUNK.sub(chunk, rnw.replace("\r\n", "\n"))
    text = re.sub(r"^\\SweaveOpts\{.*\}[ \t]*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\\usepackage(\[.*?\])?\{Sweave\}[ \t]*\n", "", text, flags=re.MULTILINE)
    return _SEXPR.sub(lambda m: "\\texttt{" + m.group(1).replace("\\", "") + "}", text)


def _split(tex: str, name: str) -> tuple[str, str]:
    """main.tex up to the middle \\section, then \\input{sections/<name>-part2}; the rest in that file."""
    starts = [m.start() for m in re.finditer(r"^\\section\{", tex, re.MULTILINE)]
    if len(starts) < 2:
        raise ValueError(f"{name}: too few sections to split")
    cut = starts[len(starts) // 2]
    return tex[:cut] + f"\\input{{sections/{name}-part2}}\n" + _tail_end(tex[cut:]), _body_only(tex[cut:])


def _tail_end(rest: str) -> str:
    i = rest.find("\\end{document}")
    return rest[i:] if i >= 0 else ""


def _body_only(rest: str) -> str:
    i = rest.find("\\end{document}")
    return rest[:i] if i >= 0 else rest


def _tar_gz(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name in sorted(members):
            data = members[name].encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), TAR_MTIME, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tf.addfile(info, io.BytesIO(data))
    return gzip_bytes(buf.getvalue())


def _gz_named(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def build(out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for pkg in PACKAGES:
        members, origin = deb_members(pkg, lambda n: n.startswith("usr/lib/R/site-library/") and n.endswith(".Rnw"))
        for inner in sorted(members):
            stem = inner.rsplit("/", 1)[-1].removesuffix(".Rnw")
            tex = sweave_to_latex(members[inner].decode("utf-8", "replace"))
            entry = {
                "origin": [f"{origin}:{inner} (Sweave -> LaTeX)"],
                "documents": 1,
                "wrapped": True,
                "synthetic": [],
            }
            if stem in TARBALLS:
                main, part2 = _split(tex, stem)
                name = f"{stem}.tar.gz"
                (out / name).write_bytes(_tar_gz({f"{stem}.tex": main, f"sections/{stem}-part2.tex": part2}))
            elif stem in GZIPPED:
                name = f"{stem}.gz"
                (out / name).write_bytes(_gz_named(f"{stem}.tex", tex.encode("utf-8")))
            else:
                name = f"{stem}.tex"
                (out / name).write_text(tex, encoding="utf-8")
            files.append({"path": f"arxiv/{name}", **entry})
    return files
