"""Real-page corpora for bench/bench_cc_scale.py, built once into the cache and reused.

- `real_corpus()`: every real page the sample packages ship, each page once (no copies): the Python 3.11
  HTML documentation, every Debian Administrator's Handbook locale in the cached .deb (not only the
  sample's HANDBOOK_LOCALES) and the news test pages of trafilatura and newspaper4k. Pages are shuffled
  with a fixed seed and dealt round-robin into `REAL_FILES` CommonCrawl-shaped WET files (a warcinfo
  record, then one `conversion` record per page, one gzip member per record). Natural duplicates stay
  in (menus across a site's pages, untranslated handbook paragraphs across locales): line dedup has real
  work to do, as on CommonCrawl. Also writes `tiny/startup.warc.wet.gz` (a few pages) for start-up time.
- `unique_corpus(unit_mb, copies)`: the memory corpus. Copy c is one WET file of about `unit_mb` MB of
  text, drawn from the real pages (a seeded per-copy shuffle) with every non-empty line suffixed by a
  copy-wide unique letter token, so no two lines of the whole corpus share a dedup key (letters, not
  digits: CCNet's dedup key maps every digit to 0). Factor k is files 0..k-1; files are built on demand.

Both are deterministic (fixed seeds, gzip mtime 0) and carry a MANIFEST.json that names this module's
sha256: a corpus written by other code is rebuilt, never reused.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

from pipeline.app.samples.fetch import cache_root, deb_members
from pipeline.app.samples.htmltext import html_to_page
from pipeline.app.samples.pages import HANDBOOK, WebPage, news_pages, pydoc_pages

REAL_FILES = 16
SEED = 20240607
VERSION = 1


def bench_root() -> Path:
    return cache_root() / "bench"


def _code_digest() -> str:
    with open(__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


# --- pages -------------------------------------------------------------------------------------------


def handbook_all_pages() -> tuple[list[WebPage], list[str]]:
    """Every page of every locale the cached debian-handbook .deb holds, and the locales found."""
    members, origin = deb_members("debian-handbook", lambda n: n.startswith(HANDBOOK) and n.endswith(".html"))
    out, locales = [], set()
    for name in sorted(members):
        locale, _, rel = name[len(HANDBOOK) :].partition("/")
        if not rel:
            continue
        locales.add(locale)
        page = html_to_page(members[name])
        url = page.url or f"https://debian-handbook.info/browse/{locale}/stable/{rel}"
        out.append(WebPage(f"handbook/{locale}/{rel}", url, page.text, f"{origin}:{name}", page.title))
    return out, sorted(locales)


def all_pages() -> tuple[list[WebPage], dict]:
    """Every real page (non-blank text), sorted by key, and a summary of where they come from."""
    handbook, locales = handbook_all_pages()
    groups = {"pydoc": list(pydoc_pages()), "handbook": handbook, "news": list(news_pages())}
    pages: list[WebPage] = []
    summary: dict = {"locales": locales, "groups": {}}
    for name, group in groups.items():
        kept = [p for p in group if p.text.strip()]
        pages += kept
        summary["groups"][name] = {"pages": len(kept), "text_mb": round(sum(_nbytes(p.text) for p in kept) / 1e6, 2)}
    pages.sort(key=lambda p: p.key)
    return pages, summary


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


# --- WET writing -------------------------------------------------------------------------------------


def _member(headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + f"Content-Length: {len(body)}\r\n\r\n"
    return gzip.compress(head.encode("utf-8") + body + b"\r\n\r\n", compresslevel=6, mtime=0)


def _uuid(*parts: str) -> str:
    h = hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def write_wet(path: Path, records: list[tuple[str, str, str]]) -> int:
    """records: (key, url, text). Writes CommonCrawl's WET layout; returns the text bytes written."""
    total = 0
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        info = b"software: llama-data bench (real pages)\r\nisPartOf: CC-MAIN-BENCH\r\n"
        f.write(
            _member(
                [
                    ("WARC-Type", "warcinfo"),
                    ("WARC-Date", "2019-04-25T06:28:43Z"),
                    ("WARC-Filename", path.name),
                    ("WARC-Record-ID", f"<urn:uuid:{_uuid('warcinfo', path.name)}>"),
                    ("Content-Type", "application/warc-fields"),
                ],
                info,
            )
        )
        for key, url, text in records:
            body = text.encode("utf-8")
            total += len(body)
            digest = base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")
            f.write(
                _member(
                    [
                        ("WARC-Type", "conversion"),
                        ("WARC-Target-URI", url),
                        ("WARC-Date", "2019-04-18T10:12:43Z"),
                        ("WARC-Record-ID", f"<urn:uuid:{_uuid('conversion', key)}>"),
                        ("WARC-Refers-To", f"<urn:uuid:{_uuid('response', key)}>"),
                        ("WARC-Block-Digest", f"sha1:{digest}"),
                        ("Content-Type", "text/plain"),
                    ],
                    body,
                )
            )
    os.replace(tmp, path)
    return total


def _manifest(folder: Path) -> dict | None:
    try:
        with open(folder / "MANIFEST.json", encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError):
        return None
    if m.get("version") != VERSION or m.get("code") != _code_digest():
        return None
    names = [*m.get("files", {}), *([m["tiny"]["file"]] if "tiny" in m else [])]
    if not all((folder / name).exists() for name in names):
        return None
    return m


# --- the speed corpus --------------------------------------------------------------------------------


def real_corpus(folder: Path | None = None, files: int = REAL_FILES, log=print) -> dict:  # noqa: ANN001
    """Build (once) or reuse the real-page corpus; returns its manifest with absolute `paths`."""
    folder = Path(folder or bench_root() / "cc_real")
    m = _manifest(folder)
    if m is None or m.get("n_files") != files:
        log(f"building the real-page corpus in {folder} (once; about a minute)")
        pages, summary = all_pages()
        order = list(pages)
        random.Random(SEED).shuffle(order)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        os.chmod(tmp, 0o755)
        try:
            entries = {}
            for i in range(files):
                chunk = order[i::files]
                name = f"CC-MAIN-BENCH-{i:05d}.warc.wet.gz"
                text = write_wet(tmp / name, [(p.key, p.url, p.text) for p in chunk])
                entries[name] = {"pages": len(chunk), "text_bytes": text}
            tiny = [p for p in pages if p.key.startswith("pydoc/") and 1500 <= _nbytes(p.text) <= 4000][:5]
            os.makedirs(tmp / "tiny")
            write_wet(tmp / "tiny" / "startup.warc.wet.gz", [(p.key, p.url, p.text) for p in tiny])
            m = {
                "version": VERSION,
                "code": _code_digest(),
                "n_files": files,
                "files": entries,
                "pages": len(pages),
                "text_bytes": sum(e["text_bytes"] for e in entries.values()),
                "tiny": {"file": "tiny/startup.warc.wet.gz", "pages": len(tiny)},
                **summary,
            }
            with open(tmp / "MANIFEST.json", "w", encoding="utf-8") as f:
                json.dump(m, f, indent=2, sort_keys=True)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    m = dict(m)
    m["folder"] = str(folder)
    m["paths"] = [str(folder / name) for name in sorted(m["files"])]
    m["tiny_path"] = str(folder / m["tiny"]["file"])
    return m


# --- the unique-lines memory corpus ------------------------------------------------------------------


def _letters(n: int) -> str:
    """n >= 0 as lower-case letters (bijective base 26: a, b, ..., z, aa, ab, ...)."""
    out = []
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out.append(chr(97 + r))
    return "".join(reversed(out))


def unique_text(text: str, copy: int, counter: int) -> tuple[str, int]:
    """Every non-blank line gets " <token>", the token unique over the whole corpus (the copy index
    times 10**9 plus a running line number, as letters); returns (text, next counter)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            lines[i] = f"{line.rstrip()} {_letters(copy * 10**9 + counter)}"
            counter += 1
    return "\n".join(lines), counter


def _unique_file(path: Path, pages: list[WebPage], copy: int, unit_bytes: int) -> dict:
    order = list(pages)
    random.Random(SEED + 1 + copy).shuffle(order)
    records, size, counter = [], 0, 0
    for p in order:
        if size >= unit_bytes:
            break
        text, counter = unique_text(p.text, copy, counter)
        records.append((f"{p.key}#u{copy}", f"{p.url}#u{copy}", text))
        size += _nbytes(text)
    text_bytes = write_wet(path, records)
    return {"pages": len(records), "text_bytes": text_bytes, "lines": counter}


def unique_corpus(unit_mb: float, copies: int, folder: Path | None = None, log=print) -> dict:  # noqa: ANN001
    """Files 0..copies-1 of the unique-lines corpus of `unit_mb` MB text per file, built as needed."""
    folder = Path(folder or bench_root() / f"cc_unique_{unit_mb:g}mb")
    m = _manifest(folder)
    if m is None or m.get("unit_mb") != unit_mb:
        if folder.exists():
            shutil.rmtree(folder)
        m = {"version": VERSION, "code": _code_digest(), "unit_mb": unit_mb, "files": {}}
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"unique-{c:05d}.warc.wet.gz" for c in range(copies)]
    missing = [c for c, n in enumerate(names) if n not in m["files"]]
    if missing:
        log(f"building {len(missing)} unique-lines file(s) of {unit_mb:g} MB text in {folder} (once)")
        pages, _ = all_pages()
        for c in missing:
            m["files"][names[c]] = _unique_file(folder / names[c], pages, c, int(unit_mb * 1e6))
            with open(folder / "MANIFEST.json", "w", encoding="utf-8") as f:  # after each file: resumable
                json.dump(m, f, indent=2, sort_keys=True)
    return {
        "folder": str(folder),
        "unit_mb": unit_mb,
        "paths": [str(folder / n) for n in names],
        "files": [m["files"][n] for n in names],
    }
