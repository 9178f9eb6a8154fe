"""C4 sample: `c4-train.0000N-of-00002.json.gz`, JSON lines {"text", "url", "timestamp"}.

Text is C4-cleaned the way Raffel et al. (2020, section 2.2) describe: keep lines that end in terminal
punctuation and have at least 5 words, drop pages with fewer than 3 such lines. Sources: gensim's
lee_background.cor (300 real news articles, no URLs shipped: URLs are marked synthetic) and real pages.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.app.samples import pages
from pipeline.app.samples.fetch import sdist_members
from pipeline.app.samples.util import gzip_bytes, iso_z, jsonl_bytes, stable_time
from pipeline.document import stable_hash64

NAMES = ("c4-train.00000-of-00002.json.gz", "c4-train.00001-of-00002.json.gz")
LEE = "gensim/test/test_data/lee_background.cor"
BUDGET = 2_000_000


def c4_clean(text: str) -> str:
    keep = [
        ln.strip()
        for ln in text.split("\n")
        if ln.strip().endswith((".", "!", "?", '"')) and len(ln.split()) >= 5 and "{" not in ln
    ]
    return "\n".join(keep) if len(keep) >= 3 else ""


def _rows() -> tuple[list[dict], list[str]]:
    members, origin = sdist_members("gensim", lambda n: n == LEE)
    rows = []
    for i, line in enumerate(members[LEE].decode("utf-8").splitlines()):
        if line.strip():
            key = f"lee/{i}"
            rows.append(
                {
                    "text": line.strip(),
                    "url": f"https://www.abc.net.au/news/2001-lee-{i:03d}",
                    "timestamp": iso_z(stable_time("2019-04-18T00:00:00", 8, key)),
                    "_key": key,
                }
            )
    origins = [f"{origin}:{LEE} (url synthetic)"]
    total = sum(len(r["text"].encode()) for r in rows)
    # Real pages too: Python docs prose pages larger than the ones CommonCrawl takes, then news pages.
    cands = [p for p in pages.pydoc_pages() if len(p.text.encode()) > 11_000] + list(pages.news_pages())
    used = set()
    for p in cands:
        text = c4_clean(p.text)
        n = len(text.encode())
        if text and total + n <= BUDGET:
            rows.append(
                {
                    "text": text,
                    "url": p.url,
                    "timestamp": iso_z(stable_time("2019-04-18", 8, p.key)),
                    "_key": p.key,
                }
            )
            total += n
            used.add(p.origin.rsplit("/", 1)[0] + "/*.html (C4-cleaned page text)")
    return rows, origins + sorted(used)


def build(out: Path) -> list[dict]:
    rows, origins = _rows()
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i, name in enumerate(NAMES):
        part = [r for r in rows if stable_hash64("c4-shard", r["_key"]) % len(NAMES) == i]
        part.sort(key=lambda r: stable_hash64("c4-order", r["_key"]))
        data = jsonl_bytes({k: v for k, v in r.items() if k != "_key"} for r in part)
        (out / name).write_bytes(gzip_bytes(data))
        files.append(
            {
                "path": f"c4/{name}",
                "origin": origins,
                "documents": len(part),
                "wrapped": True,
                "synthetic": ["timestamp", "url (lee_background rows)"],
            }
        )
    return files
