"""CommonCrawl sample: WET files (one gzip member per WARC/1.0 record) plus pywb's genuine iana.warc.gz.

WET layout as Common Crawl publishes it: a `warcinfo` record, then one `conversion` record per page
(text/plain, UTF-8, lines joined by \\n). Natural duplicates stay in: menus repeat across pages of a
site, and a few pages were "recrawled" into the second file (CCNet dedups both, Wenzek et al. 2020).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from pathlib import Path

from pipeline.app.samples import pages
from pipeline.app.samples.fetch import sdist_members
from pipeline.app.samples.htmltext import html_to_page
from pipeline.app.samples.util import gzip_bytes, iso_z, stable_time, stable_uuid
from pipeline.document import stable_hash64

CRAWL = "CC-MAIN-2019-18"
WET_NAMES = (
    "CC-MAIN-20190418101243-20190418123243-00000.warc.wet.gz",
    "CC-MAIN-20190418101243-20190418123243-00001.warc.wet.gz",
)
BUDGET = 5_600_000  # bytes of page text over both WET files
DUP_EVERY = 12  # about one page in DUP_EVERY is recrawled into the other file


def select_pages() -> list[pages.WebPage]:
    """English majority (news, Python docs, handbook en-US); German, French and more for LID to drop."""
    cands: list[pages.WebPage] = list(pages.news_pages())
    cands += list(pages.handbook_pages("en-US"))
    cands += [p for p in pages.pydoc_pages() if len(p.text.encode()) <= 11_000]
    for loc in ("it-IT", "nl-NL", "pl-PL", "pt-BR", "sv-SE"):
        cands += [p for p in pages.handbook_pages(loc) if len(p.text.encode()) <= 5_000]
    chosen, total = [], 0
    for p in cands:
        n = len(p.text.encode())
        if total + n <= BUDGET:
            chosen.append(p)
            total += n
    return chosen


def _record(headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return gzip_bytes(head.encode("utf-8") + body + b"\r\n\r\n")


def _digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _warcinfo(name: str) -> bytes:
    body = (
        "Software-Info: ia-web-commons.1.1.9-SNAPSHOT-20190410104853\r\n"
        f"Extracted-Date: Thu, 25 Apr 2019 06:28:43 GMT\r\n"
        "robots: checked via crawler-commons 0.11-SNAPSHOT (https://github.com/crawler-commons/crawler-commons)\r\n"
        f"isPartOf: {CRAWL}\r\noperator: Common Crawl Admin (info@commoncrawl.org)\r\n"
        "description: Wide crawl of the web for April 2019 (llama-data sample: real pages, wrapped)\r\n"
        "publisher: Common Crawl\r\n"
    ).encode()
    return _record(
        [
            ("WARC-Type", "warcinfo"),
            ("WARC-Date", "2019-04-25T06:28:43Z"),
            ("WARC-Filename", name),
            ("WARC-Record-ID", f"<urn:uuid:{stable_uuid('warcinfo', name)}>"),
            ("Content-Type", "application/warc-fields"),
        ],
        body,
    )


def _conversion(p: pages.WebPage, fileno: int) -> bytes:
    body = p.text.encode("utf-8")
    when = stable_time("2019-04-18T10:12:43", 1.0 if fileno == 0 else 0.08, p.key, str(fileno))
    return _record(
        [
            ("WARC-Type", "conversion"),
            ("WARC-Target-URI", p.url),
            ("WARC-Date", iso_z(when)),
            ("WARC-Record-ID", f"<urn:uuid:{stable_uuid('conversion', p.key, str(fileno))}>"),
            ("WARC-Refers-To", f"<urn:uuid:{stable_uuid('response', p.key, str(fileno))}>"),
            ("WARC-Block-Digest", _digest(body)),
            ("Content-Type", "text/plain"),
        ],
        body,
    )


def _count_html_responses(warc: bytes) -> int:
    """Documents the reader yields from a WARC: HTTP 200 text/html responses with some text."""
    data = gzip.decompress(warc)
    pos, n = 0, 0
    while pos < len(data):
        end = data.index(b"\r\n\r\n", pos)
        head = data[pos:end].decode("utf-8", "replace").split("\r\n")
        hdr = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        length = int(hdr["content-length"])
        block = data[end + 4 : end + 4 + length]
        pos = end + 4 + length + 4
        if hdr.get("warc-type") != "response":
            continue
        http_head, _, payload = block.partition(b"\r\n\r\n")
        lines = http_head.decode("latin-1").split("\r\n")
        ctype = next((x.split(":", 1)[1] for x in lines[1:] if x.lower().startswith("content-type:")), "")
        if lines[0].split(" ")[1:2] == ["200"] and "html" in ctype.lower() and html_to_page(payload).text:
            n += 1
    return n


def build(out: Path) -> list[dict]:
    chosen = select_pages()
    per_file: list[list[tuple[int, pages.WebPage]]] = [[] for _ in WET_NAMES]
    for p in chosen:
        home = stable_hash64("cc-file", p.key) % len(WET_NAMES)
        per_file[home].append((home, p))
        if stable_hash64("cc-dup", p.key) % DUP_EVERY == 0:
            per_file[1 - home].append((1 - home, p))
    files = []
    out.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(WET_NAMES):
        recs = sorted(per_file[i], key=lambda t: stable_hash64("cc-order", t[1].key, str(i)))
        with open(out / name, "wb") as f:
            f.write(_warcinfo(name))
            for _, p in recs:
                f.write(_conversion(p, i))
        # origin: package==version:folder/*.html for every folder the pages came from
        origins = sorted({p.origin.rsplit("/", 1)[0] + "/*.html (page text)" for _, p in recs})
        files.append(
            {
                "path": f"common_crawl/{name}",
                "origin": origins,
                "documents": len(recs),
                "wrapped": True,
                "synthetic": ["WARC-Date", "WARC-Record-ID"],
            }
        )
    members, origin = sdist_members("pywb", lambda n: n == "sample_archive/warcs/iana.warc.gz")
    warc = members["sample_archive/warcs/iana.warc.gz"]
    (out / "iana.warc.gz").write_bytes(warc)
    files.append(
        {
            "path": "common_crawl/iana.warc.gz",
            "origin": [f"{origin}:sample_archive/warcs/iana.warc.gz"],
            "documents": _count_html_responses(warc),
            "wrapped": False,
            "synthetic": [],
        }
    )
    return files
