"""Books sample: Project Gutenberg .txt files (with their original licence header and footer) and a
Books3-style `books3-00.jsonl.zst` ({"text", "meta": {"title"}}).

Sources: brotli's test corpus (Canterbury corpus Gutenberg texts), sentencepiece's botchan.txt, and the six
Austen novels that r-cran-janeaustenr keeps in an R lazy-load database (read here without R). LLaMA
dedups books at the book level with a 90% content-overlap rule (Touvron et al. 2023, section 2), so the
sample keeps natural near-duplicates: Botchan is in both forms, and "Northanger Abbey and Persuasion" (the
1817 joint first edition) shares about half its text with "Persuasion".
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

from pipeline.app.samples.fetch import deb_members, sdist_members
from pipeline.app.samples.util import jsonl_bytes, zstd_bytes

BROTLI = ("alice29.txt", "asyoulik.txt", "lcet10.txt", "plrabn12.txt")
AUSTEN_RDB = "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb"
_START = re.compile(
    r"^\*+\s*START OF (THE|THIS) PROJECT GUTENBERG.*$|^\*END\*THE SMALL PRINT.*$",
    re.MULTILINE | re.IGNORECASE,
)
_END = re.compile(
    r"^\**\s*END OF (THE|THIS) PROJECT GUTENBERG.*$|^End of (the )?Project Gutenberg.*$",
    re.MULTILINE | re.IGNORECASE,
)


def r_character_vectors(rdb: bytes) -> list[list[str]]:
    """Character vectors from an R lazy-load .rdb: records of (4-byte big-endian length, zlib stream)
    holding R XDR serialisation (format version 2 or 3). Only top-level STRSXP objects are decoded."""
    out, pos = [], 0
    while pos + 4 <= len(rdb):
        d = zlib.decompressobj()
        raw = d.decompress(rdb[pos + 4 :])
        pos = len(rdb) - len(d.unused_data)
        if raw[:2] != b"X\n":
            raise ValueError("not an XDR R serialisation")
        version, off = struct.unpack(">i", raw[2:6])[0], 14
        if version == 3:  # native encoding name follows the header
            off += 4 + struct.unpack(">i", raw[off : off + 4])[0]
        flags, n = struct.unpack(">ii", raw[off : off + 8])
        off += 8
        if flags & 0xFF != 16:  # STRSXP
            continue
        vec = []
        for _ in range(n):
            _, ln = struct.unpack(">ii", raw[off : off + 8])
            off += 8
            vec.append(raw[off : off + ln].decode("utf-8", "replace") if ln > 0 else "")
            off += max(ln, 0)
        out.append(vec)
    return out


def strip_gutenberg(text: str) -> str:
    """The book body between Gutenberg's START and END markers (Books3 carries no licence header)."""
    s = _START.search(text)
    e = _END.search(text, s.end() if s else 0)
    return text[s.end() if s else 0 : e.start() if e else len(text)].strip() + "\n"


def _austen() -> tuple[dict[str, str], str]:
    members, origin = deb_members("r-cran-janeaustenr", lambda n: n == AUSTEN_RDB)
    books = {}
    for lines in r_character_vectors(members[AUSTEN_RDB]):
        first = next(x for x in lines if x.strip())
        books[first.strip().title()] = "\n".join(lines).strip() + "\n"
    return books, f"{origin}:{AUSTEN_RDB}"


def build(out: Path) -> list[dict]:
    gdir = out / "gutenberg"
    gdir.mkdir(parents=True, exist_ok=True)
    files = []
    br, br_origin = sdist_members("brotli", lambda n: n in {f"tests/testdata/{b}" for b in BROTLI})
    sp, sp_origin = sdist_members("sentencepiece", lambda n: n == "test/botchan.txt")
    texts = {b: (br[f"tests/testdata/{b}"], f"{br_origin}:tests/testdata/{b}") for b in BROTLI}
    texts["botchan.txt"] = (sp["test/botchan.txt"], f"{sp_origin}:test/botchan.txt")
    for name, (data, origin) in sorted(texts.items()):
        (gdir / name).write_bytes(data)
        if b"Gutenberg" not in data:  # the Canterbury corpus copies had their header removed upstream
            origin += " (Canterbury corpus copy of a Gutenberg text: no licence header)"
        files.append(
            {
                "path": f"books/gutenberg/{name}",
                "origin": [origin],
                "documents": 1,
                "wrapped": False,
                "synthetic": [],
            }
        )
    austen, a_origin = _austen()
    botchan = texts["botchan.txt"][0].decode("utf-8-sig").replace("\r\n", "\n")
    rows = [
        {"text": strip_gutenberg(botchan), "meta": {"title": "Botchan (Master Darling)"}},
        {
            "text": austen["Northanger Abbey"] + "\n\n" + austen["Persuasion"],
            "meta": {"title": "Northanger Abbey and Persuasion"},
        },
        {"text": austen["Persuasion"], "meta": {"title": "Persuasion"}},
        {"text": austen["Pride And Prejudice"], "meta": {"title": "Pride and Prejudice"}},
        {"text": austen["Sense And Sensibility"], "meta": {"title": "Sense and Sensibility"}},
    ]
    bdir = out / "books3"
    bdir.mkdir(parents=True, exist_ok=True)
    (bdir / "books3-00.jsonl.zst").write_bytes(zstd_bytes(jsonl_bytes(rows)))
    files.append(
        {
            "path": "books/books3/books3-00.jsonl.zst",
            "origin": [texts["botchan.txt"][1] + " (Gutenberg header removed)", a_origin],
            "documents": len(rows),
            "wrapped": True,
            "synthetic": [],
        }
    )
    return files
