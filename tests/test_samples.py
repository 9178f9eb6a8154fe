"""The sample corpus: all seven sources, manifest hashes, determinism, and every native format parses.

The corpus is built once per machine (ensure_samples, shared with the demo); the first run fetches the
packages (pip / apt-get) into the download cache and takes about a minute, later runs reuse it.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import hashlib
import io
import json
import re
import struct
import tarfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
import zstandard

from pipeline.app.samples import MANIFEST, build, builders, ensure_samples, fingerprint, verify
from pipeline.app.samples.arxiv import sweave_to_latex
from pipeline.app.samples.books import r_character_vectors, strip_gutenberg
from pipeline.app.samples.htmltext import html_to_page
from pipeline.app.samples.stackexchange import faq_questions
from pipeline.document import SOURCES


@pytest.fixture(scope="session")
def samples() -> Path:
    return ensure_samples(log=lambda m: None)


@pytest.fixture(scope="session")
def manifest(samples: Path) -> dict:
    return json.loads((samples / MANIFEST).read_text(encoding="utf-8"))


def _files(manifest: dict, source: str) -> list[dict]:
    return manifest["sources"][source]["files"]


def test_all_seven_sources_present_with_documents(samples: Path, manifest: dict) -> None:
    assert manifest["version"] == 1
    assert set(manifest["sources"]) == set(SOURCES)
    for name, src in manifest["sources"].items():
        assert src["files"], name
        assert src["documents"] == sum(f["documents"] for f in src["files"]) > 0
        for f in src["files"]:
            assert (samples / f["path"]).exists()
            assert f["origin"] and all("==" in o for o in f["origin"]), f["path"]
    assert manifest["sources"]["common_crawl"]["documents"] >= 800
    # a few MB per source, CommonCrawl the largest
    sizes = {n: sum(f["bytes"] for f in s["files"]) for n, s in manifest["sources"].items()}
    assert max(sizes, key=sizes.get) == "common_crawl"


def test_manifest_hashes_match_files(samples: Path, manifest: dict) -> None:
    assert verify(samples)
    for src in manifest["sources"].values():
        for f in src["files"]:
            assert fingerprint(samples / f["path"]) == (f["sha256"], f["bytes"]), f["path"]


def test_rebuild_is_skipped_when_intact(samples: Path) -> None:
    logs: list[str] = []
    build(samples, log=logs.append)
    assert any("up to date" in m for m in logs)


def test_refuses_to_overwrite_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(ValueError, match="refusing"):
        build(tmp_path, log=lambda m: None)
    assert (tmp_path / "mine.txt").read_text() == "precious"


@pytest.mark.parametrize("source", ["github", "books", "arxiv", "stackexchange"])
def test_deterministic_rebuild(source: str, tmp_path: Path, manifest: dict) -> None:
    # The fast builders, rebuilt from the download cache in this process, must reproduce the bytes the
    # cached corpus (built by another run) recorded. CommonCrawl, C4 and Wikipedia (slow: they parse the
    # large doc packages) share these code paths: gzip_bytes, sorted inputs, stable hashes.
    files = builders()[source](tmp_path / source)
    got = {f["path"]: fingerprint(tmp_path / f["path"]) for f in files}
    want = {f["path"]: (f["sha256"], f["bytes"]) for f in _files(manifest, source)}
    assert got == want


def _gzip_members(data: bytes) -> list[bytes]:
    out = []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(data))
        data = d.unused_data
    return out


def test_wet_files_are_commoncrawl_shaped(samples: Path, manifest: dict) -> None:
    wets = [f for f in _files(manifest, "common_crawl") if f["path"].endswith(".warc.wet.gz")]
    assert len(wets) >= 2
    urls_per_file = []
    for f in wets:
        members = _gzip_members((samples / f["path"]).read_bytes())
        types, urls = [], set()
        for m in members:  # one gzip member per record
            head, _, rest = m.partition(b"\r\n\r\n")
            lines = head.decode("utf-8").split("\r\n")
            assert lines[0] == "WARC/1.0"
            h = dict(x.split(": ", 1) for x in lines[1:])
            body = rest[: int(h["Content-Length"])]
            assert rest[len(body) :] == b"\r\n\r\n"
            assert re.fullmatch(r"<urn:uuid:[0-9a-f-]{36}>", h["WARC-Record-ID"])
            types.append(h["WARC-Type"])
            if h["WARC-Type"] == "conversion":
                assert h["Content-Type"] == "text/plain" and h["WARC-Target-URI"].startswith("http")
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h["WARC-Date"])
                digest = base64.b32encode(hashlib.sha1(body).digest()).decode()
                assert h["WARC-Block-Digest"] == f"sha1:{digest}"
                assert "\r" not in body.decode("utf-8")
                urls.add(h["WARC-Target-URI"])
        assert types[0] == "warcinfo" and types.count("conversion") == f["documents"]
        urls_per_file.append(urls)
    assert urls_per_file[0] & urls_per_file[1], "the same page should be in two WET files"
    iana = samples / "common_crawl" / "iana.warc.gz"
    assert gzip.decompress(iana.read_bytes()).startswith(b"WARC/1.0")


def test_c4_and_github_json_lines(samples: Path, manifest: dict) -> None:
    for f in _files(manifest, "c4"):
        rows = [json.loads(x) for x in gzip.decompress((samples / f["path"]).read_bytes()).splitlines()]
        assert len(rows) == f["documents"]
        assert all(set(r) == {"text", "url", "timestamp"} and r["text"] for r in rows)
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["timestamp"]) for r in rows)
    rows = []
    for f in _files(manifest, "github"):
        p = samples / f["path"]
        if p.is_dir():
            assert any(x.name.startswith("LICENSE") for x in p.iterdir())
            assert sum(1 for x in p.rglob("*") if x.is_file()) == f["documents"]
            continue
        part = [json.loads(x) for x in gzip.decompress(p.read_bytes()).splitlines()]
        assert len(part) == f["documents"]
        rows += part
    keys = {"repo_name", "path", "content", "license", "size", "id"}
    assert all(set(r) == keys and r["size"] == len(r["content"].encode()) for r in rows)
    licenses = {r["license"] for r in rows}
    assert {"mit", "bsd-3-clause", "gpl-3.0"} <= licenses
    ids = [r["id"] for r in rows]
    assert len(ids) > len(set(ids)), "exact duplicate files across repos are expected"
    assert any(r["path"].endswith(".min.js") for r in rows)


def test_wikipedia_dumps_parse(samples: Path, manifest: dict) -> None:
    langs = set()
    for f in _files(manifest, "wikipedia"):
        root = ET.fromstring(bz2.decompress((samples / f["path"]).read_bytes()))  # bgwiki is UTF-16
        ns = root.tag.split("}")[0] + "}"
        dbname = root.find(f"{ns}siteinfo/{ns}dbname")
        langs.add(dbname.text if dbname is not None else f["path"].split("/")[1][:2] + "wiki")
        pages = root.findall(f"{ns}page")
        articles = [p for p in pages if p.findtext(f"{ns}ns") == "0" and p.find(f"{ns}redirect") is None]
        assert len(articles) == f["documents"]
        if f["wrapped"]:
            assert len(pages) > len(articles)  # redirects and a talk page to skip
            text = articles[0].findtext(f"{ns}revision/{ns}text")
            assert "'''" in text and "[[" in text and "{{" in text and "==" in text
    assert {"dewiki", "frwiki", "enwiki"} <= langs


def test_books_and_arxiv(samples: Path, manifest: dict) -> None:
    gut = [f for f in _files(manifest, "books") if f["path"].endswith(".txt")]
    assert any(b"PROJECT GUTENBERG" in (samples / f["path"]).read_bytes() for f in gut)
    (b3,) = [f for f in _files(manifest, "books") if f["path"].endswith(".jsonl.zst")]
    raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO((samples / b3["path"]).read_bytes())).read()
    rows = [json.loads(x) for x in raw.splitlines()]
    assert len(rows) == b3["documents"] and all(r["meta"]["title"] and r["text"] for r in rows)
    titles = {r["meta"]["title"]: r["text"] for r in rows}
    assert titles["Persuasion"] in titles["Northanger Abbey and Persuasion"]  # about half of it
    botchan = (samples / "books/gutenberg/botchan.txt").read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    assert titles["Botchan (Master Darling)"].strip() in botchan  # the same book in both forms
    kinds = set()
    for f in _files(manifest, "arxiv"):
        p = samples / f["path"]
        if p.name.endswith(".tar.gz"):
            with tarfile.open(p) as tf:
                texts = {m.name: tf.extractfile(m).read().decode() for m in tf.getmembers() if m.isfile()}
            (main,) = [t for t in texts.values() if "\\documentclass" in t]
            target = re.search(r"\\input\{([^}]+)\}", main).group(1)
            assert f"{target}.tex" in texts
            kinds.add("tar.gz")
        elif p.suffix == ".gz":
            assert b"\\documentclass" in gzip.decompress(p.read_bytes())
            kinds.add("gz")
        else:
            tex = p.read_text(encoding="utf-8")
            assert "\\documentclass" in tex and "<<" not in tex.split("\\begin{document}")[0]
            kinds.add("tex")
    assert kinds == {"tex", "tar.gz", "gz"}


def test_stackexchange_posts(samples: Path, manifest: dict) -> None:
    files = _files(manifest, "stackexchange")
    assert len(files) >= 2
    found_9_10_2 = False
    for f in files:
        raw = (samples / f["path"]).read_bytes()
        assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        rows = ET.fromstring(raw).findall("row")
        assert len(rows) == f["documents"] and "Score" in f["synthetic"]
        byid = {r.get("Id"): r for r in rows}
        answers: dict[str, list[int]] = {}
        for r in rows:
            assert r.get("PostTypeId") in ("1", "2") and r.get("ContentLicense") and r.get("Body")
            if r.get("PostTypeId") == "2":
                assert byid[r.get("ParentId")].get("PostTypeId") == "1"
                answers.setdefault(r.get("ParentId"), []).append(int(r.get("Score")))
            else:
                assert r.get("Title") and r.get("Tags").startswith("<")
        found_9_10_2 |= any(sorted(s) == [2, 9, 10] for s in answers.values())
    assert found_9_10_2


def test_html_extractor_keeps_lines_drops_scripts() -> None:
    html = (
        b'<html lang="de"><head><title>T</title><link rel="canonical" href="https://x.org/a">'
        b"<script>var x=1;</script></head><body><nav><a href='/'>Start</a></nav><p>Ein Satz.</p>"
        b"<div>Zwei<br>Drei</div><style>p{}</style><pre>a\n  b</pre></body></html>"
    )
    page = html_to_page(html)
    assert page.text.split("\n") == ["Start", "Ein Satz.", "Zwei", "Drei", "a", "  b"]
    assert (page.url, page.lang, page.title) == ("https://x.org/a", "de", "T")
    wiki = html_to_page(
        b"<h2>Kopf</h2><p><b>fett</b> <a href='https://y.org'>L</a> <a href='z.html'>Z</a></p>", wikitext=True
    ).text
    assert wiki == "== Kopf ==\n'''fett''' L<ref>[https://y.org L]</ref> [[Z]]"


def test_r_lazy_load_reader_and_helpers() -> None:
    # A hand-made R XDR serialisation (format 3) of c("Emma", "", NA) in a lazy-load record.
    payload = b"X\n" + struct.pack(">iii", 3, 0x040200, 0x030500) + struct.pack(">i", 5) + b"UTF-8"
    payload += struct.pack(">ii", 16, 3)
    for s in (b"Emma", b""):
        payload += struct.pack(">ii", 0x40009, len(s)) + s
    payload += struct.pack(">ii", 9, -1)
    comp = zlib.compress(payload)
    assert r_character_vectors(struct.pack(">I", len(payload)) + comp) == [["Emma", "", ""]]
    with pytest.raises(ValueError):
        r_character_vectors(struct.pack(">I", 3) + zlib.compress(b"abc"))
    text = (
        "head\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\nbody\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***\n"
    )
    assert strip_gutenberg(text) == "body\n"
    rnw = "a\n<<x, echo=FALSE>>=\nhidden()\n@\n<<y>>=\nshown()\n@\nv=\\Sexpr{round(1.5)}\n"
    assert sweave_to_latex(rnw) == "a\n\\begin{verbatim}\nshown()\n\\end{verbatim}\nv=\\texttt{round(1.5)}\n"
    qa = faq_questions(
        "<h2>Why is it so?</h2><p>Because <a href='#x'>of</a> this, which is long enough to count as an answer.</p>"
    )
    assert qa == [("Why is it so?", "<p>Because of this, which is long enough to count as an answer.</p>")]


def test_cli_help() -> None:
    from pipeline.app.cli import main

    with pytest.raises(SystemExit) as e:
        main(["samples", "--help"])
    assert e.value.code == 0
