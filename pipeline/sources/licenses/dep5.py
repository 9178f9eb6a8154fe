"""Machine-readable debian/copyright (DEP-5, https://dep-team.pages.debian.net/deps/dep5/): each
`Files:` paragraph gives glob patterns and a `License:` short name; for a file, the last paragraph whose
pattern matches wins (the format's rule). Short names are Debian's ("Expat", "GPL-2+", "Apache",
"MPL-2", "public-domain"); the licence filter turns them into SPDX ids."""

from __future__ import annotations

import re


def _glob(pattern: str) -> re.Pattern[str]:
    """DEP-5 globs: `*` matches any characters, `/` included, `?` one; nothing else is special."""
    out = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lstrip("./"))
    return re.compile(out + r"\Z", re.DOTALL)


def _fields(paragraph: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = None
    for line in paragraph.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
    return fields


class Dep5:
    def __init__(self, paragraphs: list[tuple[list[re.Pattern[str]], str]], texts: dict[str, str]) -> None:
        self.paragraphs = paragraphs
        self.texts = texts  # short name -> the licence text the file gives for it (custom names)
        self._spdx: dict[str, str] = {}

    @classmethod
    def parse(cls, text: str) -> Dep5 | None:
        """None when `text` is no DEP-5 file (a free-form copyright file: its licence texts, if any,
        are for the text matcher)."""
        if not re.match(r"\s*Format:\s*\S", text):
            return None
        paragraphs, texts = [], {}
        for para in re.split(r"\n[ \t]*\n", text):
            fields = _fields(para)
            if not fields.get("license"):
                continue
            short, _, body = fields["license"].partition("\n")
            if body.strip():
                texts[short.strip()] = body.replace("\n.\n", "\n\n")  # "." lines are blank lines
            if "files" in fields:
                paragraphs.append(([_glob(p) for p in fields["files"].split()], short.strip()))
        return cls(paragraphs, texts) if paragraphs else None

    def lookup(self, path: str) -> str | None:
        """The `License:` short name that covers `path` (relative to the folder holding debian/)."""
        found = None
        for patterns, short in self.paragraphs:
            if any(p.match(path) for p in patterns):
                found = short
        return found

    def tree_licence(self) -> str | None:
        return self.lookup("\x00any-file")  # what `Files: *` says

    def spdx(self, short: str) -> str:
        """A short name as SPDX; a custom one ("bsd-3-bendersky") by the licence text the file gives for
        it; the name itself when neither is known."""
        if short not in self._spdx:
            from pipeline.sources.licenses import matcher, tree

            expr = tree.normalize(short)
            if expr is None and short in self.texts:
                found = matcher.match_text(self.texts[short])
                expr = tree.normalize(found.spdx) if found else None
            self._spdx[short] = expr or short
        return self._spdx[short]
