"""Hostile inputs for the XML readers (Wikipedia dumps, StackExchange Posts.xml).

Every damaged file is built at test time and kept small: the bombs are written through a streaming
compressor (a few hundred KB on disk), never stored inflated. Each case asserts the exact good records
kept and the exact skip counts; the bombs also run in a child process that reports its time and the
growth of its peak RSS, both bounded. docs/damaged_inputs.md, "MediaWiki XML and StackExchange
Posts.xml", explains the behaviour.
"""

from __future__ import annotations

import bz2
import dataclasses
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from pipeline.sources import stackexchange, wikipedia
from pipeline.sources.base import SkipCounter

REPO = Path(__file__).resolve().parents[1]
HEAD = '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">\n'
SITEINFO = "  <siteinfo><sitename>Wikipedia</sitename><dbname>enwiki</dbname></siteinfo>\n"
MIB = 1 << 20


def page(pid: int, text: str = "", title: str | None = None) -> str:
    return (
        f"  <page><title>{title if title is not None else f'Page {pid}'}</title><ns>0</ns><id>{pid}</id>"
        f'<revision><id>{pid * 100}</id><text xml:space="preserve">{text or f"Text of page {pid}."}</text>'
        "</revision></page>\n"
    )


def dump(pages: Iterable[str], doctype: str = "", decl: str = '<?xml version="1.0" encoding="utf-8"?>\n') -> str:
    return decl + doctype + HEAD + SITEINFO + "".join(pages) + "</mediawiki>\n"


def row(pid: int, body: str = "", parent: int | None = None, title: str = "") -> str:
    kind = 1 if parent is None else 2
    extra = f' ParentId="{parent}"' if parent is not None else f' Title="{title or f"Question {pid}"}"'
    return f'  <row Id="{pid}" PostTypeId="{kind}" Score="1" Body="{body or f"Post {pid}"}"{extra} />\n'


def posts(rows: Iterable[str], doctype: str = "") -> str:
    return '<?xml version="1.0" encoding="utf-8"?>\n' + doctype + "<posts>\n" + "".join(rows) + "</posts>\n"


def wiki_ids(*pids: int) -> list[str]:
    return [f"en:{p}" for p in pids]


def se_ids(*pids: int) -> list[str]:
    return [f"site.stackexchange.com:{p}" for p in pids]


@dataclasses.dataclass
class Case:
    reader: Callable
    path: Path
    ids: list[str]
    skips: dict[str, int]
    options: dict = dataclasses.field(default_factory=dict)
    absent: tuple[str, ...] = ("\ufdd0",)  # strings no kept text or meta may contain


def wiki(d: Path, content: str | bytes, ids, skips, name="enwiki-pages-articles.xml", **options) -> Case:
    p = d / name
    data = content.encode() if isinstance(content, str) else content
    p.write_bytes(bz2.compress(data) if name.endswith(".bz2") else data)
    return Case(wikipedia.read, p, ids, skips, options)


def se(d: Path, content: str | bytes, ids, skips, **options) -> Case:
    folder = d / "site.stackexchange.com"
    folder.mkdir(exist_ok=True)
    p = folder / "Posts.xml"
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return Case(stackexchange.read, p, ids, skips, options)


def gzip_parts(path: Path, parts: Iterable[bytes]) -> Path:
    """Write a gzip file from pieces, compressing as it goes: nothing inflated is ever held."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        for part in parts:
            f.write(c.compress(part))
        f.write(c.flush())
    return path


FIVE = [page(i) for i in range(1, 6)]
GOOD_DUMP = dump(FIVE)


def _laughs() -> str:
    decls = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        ref = f"&lol{i - 1};" if i > 1 else "&lol;"
        decls.append(f'<!ENTITY lol{i} "{ref * 10}">')
    return "<!DOCTYPE mediawiki [\n " + "\n ".join(decls) + "\n]>\n"


LAUGHS = _laughs()
PASSWD = "root:"  # what /etc/passwd would show if it were ever read


def _cut(text: str, marker: str, offset: int = 0) -> bytes:
    data = text.encode()
    return data[: data.index(marker.encode()) + offset]


# ---------------------------------------------------------------------------------------------------
# Cases: name -> builder(dir) -> Case


CASES: dict[str, Callable[[Path], Case]] = {
    # truncation of a plain dump at several points
    "truncated in the XML declaration": lambda d: wiki(d, GOOD_DUMP.encode()[:20], [], {"malformed_xml": 1}),
    "truncated in siteinfo": lambda d: wiki(d, _cut(GOOD_DUMP, "<dbname>", 3), [], {"malformed_xml": 1}),
    "truncated in page 3's title": lambda d: wiki(
        d, _cut(GOOD_DUMP, "<title>Page 3", 10), wiki_ids(1, 2), {"malformed_xml": 1}
    ),
    "truncated in page 3's text": lambda d: wiki(
        d, _cut(GOOD_DUMP, "Text of page 3", 5), wiki_ids(1, 2), {"malformed_xml": 1}
    ),
    "truncated right after page 3": lambda d: wiki(
        d, _cut(GOOD_DUMP, "<page><title>Page 4"), wiki_ids(1, 2, 3), {"malformed_xml": 1}
    ),
    "truncated before </mediawiki>": lambda d: wiki(
        d, _cut(GOOD_DUMP, "</mediawiki>"), wiki_ids(1, 2, 3, 4, 5), {"malformed_xml": 1}
    ),
    "truncated bz2, multistream, inside stream 4": lambda d: _truncated_multistream(d, 4, wiki_ids(1, 2, 3)),
    "truncated bz2, multistream, inside stream 1": lambda d: _truncated_multistream(d, 1, []),
    "Posts.xml truncated inside a Body": lambda d: se(
        d, _cut(posts([row(1), row(2, parent=1), row(3, parent=1)]), "Post 3", 2), se_ids(1, 2), {"malformed_xml": 1}
    ),
    # bad UTF-8
    "bad UTF-8 byte in page 3": lambda d: wiki(
        d, GOOD_DUMP.encode().replace(b"Text of page 3", b"Text \xff of page 3"), wiki_ids(1, 2), {"malformed_xml": 1}
    ),
    "overlong UTF-8 in page 1's title": lambda d: wiki(
        d, GOOD_DUMP.encode().replace(b"Page 1<", b"Page \xc0\xaf1<"), [], {"malformed_xml": 1}
    ),
    "UTF-8 sequence cut by markup in page 4": lambda d: wiki(
        d, GOOD_DUMP.encode().replace(b"of page 4.", b"of page 4\xe2\x82"), wiki_ids(1, 2, 3), {"malformed_xml": 1}
    ),
    "bad UTF-8 in a Posts.xml Body": lambda d: se(
        d,
        posts([row(1), row(2, parent=1), row(3, parent=1)]).encode().replace(b"Post 2", b"Post \xfe2"),
        se_ids(1),
        {"malformed_xml": 1},
    ),
    # empty files
    "empty file": lambda d: wiki(d, b"", [], {"malformed_xml": 1}),
    "empty .bz2 file": lambda d: wiki(d, b"", [], {"malformed_xml": 1}, name="enwiki-empty.xml.bz2"),
    "whitespace only": lambda d: wiki(d, b" \n\t\n", [], {"malformed_xml": 1}),
    "root element only": lambda d: wiki(d, '<?xml version="1.0"?>\n<mediawiki/>\n', [], {}),
    "empty Posts.xml": lambda d: se(d, posts([]), [], {}),
    # DTDs and entities
    "DOCTYPE without entities": lambda d: wiki(
        d,
        dump(
            FIVE,
            '<!DOCTYPE mediawiki [\n <!-- a comment with ]> and " in it -->\n <?pi x?>\n'
            ' <!ELEMENT page ANY>\n <!ATTLIST page id CDATA "x>y">\n]>\n',
        ),
        wiki_ids(1, 2, 3, 4, 5),
        {},
    ),
    "DOCTYPE with an external DTD, no references": lambda d: wiki(
        d,
        dump(FIVE, '<!DOCTYPE mediawiki PUBLIC "-//X//DTD X//EN" "http://127.0.0.1:9/x.dtd">\n'),
        wiki_ids(1, 2, 3, 4, 5),
        {},
    ),
    "entity used in one page only": lambda d: wiki(
        d,
        dump([page(1), page(2), page(3, "Made by &co;."), page(4), page(5)], '<!DOCTYPE m [<!ENTITY co "ACME">]>\n'),
        wiki_ids(1, 2, 4, 5),
        {"xml_entity_reference": 1},
    ),
    "entity used in a title": lambda d: wiki(
        d,
        dump([page(1), page(2, title="A &co; B"), page(3)], '<!DOCTYPE m [<!ENTITY co "ACME">]>\n'),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "billion laughs, used in page 2": lambda d: wiki(
        d, dump([page(1), page(2, "&lol9;"), page(3)], LAUGHS), wiki_ids(1, 3), {"xml_entity_reference": 1}
    ),
    "billion laughs, declared only": lambda d: wiki(d, dump(FIVE, LAUGHS), wiki_ids(1, 2, 3, 4, 5), {}),
    "quadratic blowup": lambda d: wiki(
        d,
        dump([page(1), page(2, "&a;" * 20_000), page(3)], f'<!DOCTYPE m [<!ENTITY a "{"x" * 50_000}">]>\n'),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "external entity file:///etc/passwd": lambda d: dataclasses.replace(
        wiki(
            d,
            dump([page(1), page(2, "&xxe;"), page(3)], '<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'),
            wiki_ids(1, 3),
            {"xml_entity_reference": 1},
        ),
        absent=(PASSWD, "\ufdd0"),
    ),
    "external entity http://": lambda d: wiki(
        d,
        dump([page(1), page(2, "&xxe;"), page(3)], '<!DOCTYPE m [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>\n'),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "external DTD, a page uses &nbsp;": lambda d: wiki(
        d,
        dump([page(1), page(2, "a&nbsp;b"), page(3)], '<!DOCTYPE m SYSTEM "http://127.0.0.1:9/xhtml.dtd">\n'),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "external DTD, a page uses an entity declared nowhere we read": lambda d: wiki(
        d,
        dump([page(1), page(2, "&unknowable;"), page(3)], '<!DOCTYPE m SYSTEM "http://127.0.0.1:9/x.dtd">\n'),
        wiki_ids(1),
        {"malformed_xml": 1},
    ),
    "external parameter entity file:///etc/passwd": lambda d: dataclasses.replace(
        wiki(
            d,
            dump(FIVE, '<!DOCTYPE m [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n'),
            wiki_ids(1, 2, 3, 4, 5),
            {},
        ),
        absent=(PASSWD, "\ufdd0"),
    ),
    "parameter entity declaring a general entity": lambda d: wiki(
        d,
        dump([page(1), page(2, "&g;"), page(3)], "<!DOCTYPE m [<!ENTITY % p \"<!ENTITY g 'G'>\"> %p;]>\n"),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "parameter entity declaring through char refs": lambda d: wiki(
        d,
        dump([page(1), page(2, "&g;"), page(3)], "<!DOCTYPE m [<!ENTITY % p \"&#60;!ENTITY g 'G'>\"> %p;]>\n"),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "parameter entity laughs": lambda d: wiki(
        d,
        dump(
            FIVE,
            "<!DOCTYPE m [<!ENTITY % a0 \"<!ENTITY x 'y'>\">"
            + "".join(f'<!ENTITY % a{i} "{f"&#37;a{i - 1};" * 10}">' for i in range(1, 10))
            + " %a9;]>\n",
        ),
        wiki_ids(1, 2, 3, 4, 5),
        {},
    ),
    "undeclared entity, no DOCTYPE": lambda d: wiki(
        d, dump([page(1), page(2, "&nope;"), page(3)]), wiki_ids(1), {"malformed_xml": 1}
    ),
    "file ends inside the DOCTYPE": lambda d: wiki(
        d, '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "b">', [], {"malformed_xml": 1}
    ),
    "malformed DOCTYPE": lambda d: wiki(d, dump(FIVE, "<!DOCTYPE m [ junk ]>\n"), [], {"malformed_xml": 1}),
    "UTF-16 with a DOCTYPE, entity in page 2": lambda d: wiki(
        d,
        dump([page(1), page(2, "&co;"), page(3, "София")], '<!DOCTYPE m [<!ENTITY co "ACME">]>\n', decl="").encode(
            "utf-16"
        ),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "sentinel character in a file with entities": lambda d: wiki(
        d,
        dump([page(1), page(2, "private \ufdd0 use"), page(3)], '<!DOCTYPE m [<!ENTITY co "ACME">]>\n'),
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "sentinel character in a file without DOCTYPE": lambda d: dataclasses.replace(
        wiki(d, dump([page(1), page(2, "private \ufdd0 use"), page(3)]), wiki_ids(1, 2, 3), {}), absent=()
    ),
    "billion laughs in a Posts.xml Body": lambda d: se(
        d,
        posts([row(1), row(2, "&lol9;", parent=1), row(3, parent=1)], LAUGHS.replace("mediawiki", "posts")),
        se_ids(1, 3),
        {"xml_entity_reference": 1},
    ),
    "external entity in a Posts.xml Title": lambda d: dataclasses.replace(
        se(
            d,
            posts(
                [row(1, title="&xxe;"), row(2, parent=1), row(3)],
                '<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
            ),
            se_ids(2, 3),
            {"xml_entity_reference": 1},
        ),
        absent=(PASSWD, "\ufdd0"),
    ),
    # caps
    "nesting deeper than the cap in page 2": lambda d: wiki(
        d,
        dump([page(1), page(2, "<b>" * 100 + "deep" + "</b>" * 100), page(3)]),
        wiki_ids(1, 3),
        {"xml_too_deep": 1},
    ),
    "max_depth option": lambda d: wiki(
        d,
        dump([page(1), page(2, "<b><i>x</i></b>"), page(3)]),
        wiki_ids(1, 3),
        {"xml_too_deep": 1},
        max_depth=5,
    ),
    "max_text_chars option": lambda d: wiki(
        d, dump([page(1), page(2, "x" * 1000), page(3)]), wiki_ids(1, 3), {"oversized": 1}, max_text_chars=500
    ),
    "giant Body over max_markup_bytes": lambda d: _giant_body(d),
    "giant comment inside page 2": lambda d: _giant_in_page(d, b"<!--", b"x" * MIB, b"-->", wiki_ids(1, 3)),
    "giant attribute on page 2's <text>": lambda d: _giant_in_page(
        d, b'<text q="', b"x" * MIB, b'">b</text>', wiki_ids(1, 3), inside_revision=True
    ),
    "giant empty element's name in page 2": lambda d: _giant_in_page(d, b"<a", b"x" * MIB, b"/>", wiki_ids(1, 3)),
    "giant element name, start and end tags, in page 2": lambda d: _giant_in_page(
        d, b"<a", b"x" * MIB, b">inside</a" + b"x" * (3 * MIB) + b">", wiki_ids(1, 3)
    ),
}


def _truncated_multistream(d: Path, stream: int, ids: list[str]) -> Case:
    """One bz2 stream per page, as in the real multistream dumps; cut inside stream `stream`."""
    parts = [(GOOD_DUMP[: GOOD_DUMP.index("<page>")]).encode()] + [p.encode() for p in FIVE] + [b"</mediawiki>\n"]
    streams = [bz2.compress(p) for p in parts]
    cut = sum(len(s) for s in streams[:stream]) + len(streams[stream]) // 2
    p = d / "enwiki-multistream.xml.bz2"
    p.write_bytes(b"".join(streams)[:cut])
    return Case(wikipedia.read, p, ids, {"truncated_or_corrupt_stream": 1})


def _giant_body(d: Path) -> Case:
    folder = d / "site.stackexchange.com"
    folder.mkdir(exist_ok=True)
    head = posts([row(1)]).replace("</posts>\n", "").encode()
    tail = ('" ParentId="1" />\n' + row(3, parent=1) + "</posts>\n").encode()
    parts = [head, b'  <row Id="2" PostTypeId="2" Score="1" Body="', *[b"y" * MIB] * 3, tail]
    p = gzip_parts(folder / "Posts.xml.gz", parts)
    return Case(stackexchange.read, p, se_ids(1, 3), {"xml_markup_too_large": 1}, {"max_markup_bytes": MIB})


def _giant_in_page(d: Path, start: bytes, blk: bytes, end: bytes, ids, inside_revision: bool = False) -> Case:
    head = dump([page(1)]).replace("</mediawiki>\n", "").encode()
    if inside_revision:
        parts = [head, b"<page><title>P2</title><ns>0</ns><id>2</id><revision>", start, *[blk] * 3, end]
        parts.append(b"</revision></page>")
    else:
        parts = [head, b"<page><title>P2</title><ns>0</ns><id>2</id>", start, *[blk] * 3, end]
        parts.append(b"<revision><text>b</text></revision></page>")
    parts.append((page(3) + "</mediawiki>\n").encode())
    p = gzip_parts(d / "enwiki-giant.xml.gz", parts)
    return Case(wikipedia.read, p, ids, {"xml_markup_too_large": 1}, {"max_markup_bytes": MIB})


def run_case(case: Case):
    skip = SkipCounter()
    docs = list(case.reader(str(case.path), skip, **case.options))
    return docs, skip.counts


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case(name: str, tmp_path: Path) -> None:
    case = CASES[name](tmp_path)
    docs, skips = run_case(case)
    assert [d.id for d in docs] == case.ids
    assert skips == case.skips
    for d in docs:
        for s in case.absent:
            assert s not in d.text and s not in str(d.meta)


def test_entity_pages_keep_their_text_exactly(tmp_path: Path) -> None:
    """The pages around a refused one are read exactly as without a DOCTYPE."""
    pages = [page(1, "a &amp; b &lt;c&gt; &#233; &#x263A;"), page(2, "&co;"), page(3, "Zürich")]
    with_dtd = wiki(tmp_path, dump(pages, '<!DOCTYPE m [<!ENTITY co "ACME">]>\n'), [], {})
    docs, _ = run_case(with_dtd)
    plain = wiki(tmp_path, dump([pages[0], pages[2]]), [], {}, name="enwiki-plain.xml")
    expected, _ = run_case(plain)
    assert [(d.id, d.text, d.meta["title"]) for d in docs] == [(d.id, d.text, d.meta["title"]) for d in expected]
    assert docs[0].text == "a & b <c> é ☺"


# ---------------------------------------------------------------------------------------------------
# Bombs: in a child process, with time and RSS growth reported

CHILD = """
import json, resource, sys, time
from pipeline.sources import stackexchange, wikipedia
from pipeline.sources.base import SkipCounter
reader = {"wikipedia": wikipedia.read, "stackexchange": stackexchange.read}[sys.argv[1]]
list(reader(sys.argv[3], SkipCounter()))  # warm up: Beam's file systems, the imports
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.monotonic()
skip = SkipCounter()
ids = [d.id for d in reader(sys.argv[2], skip)]
seconds = time.monotonic() - t
rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"ids": ids, "skips": skip.counts, "seconds": seconds, "rss_mb": rss_mb}))
"""


def run_child(reader: str, path: Path, warmup: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, reader, str(path), str(warmup)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def giant_text_parts(n_mib: int) -> Iterable[bytes]:
    yield dump([page(1)]).replace("</mediawiki>\n", "").encode()
    yield b"  <page><title>Page 2</title><ns>0</ns><id>2</id><revision><text>"
    blk = b"y" * MIB
    for _ in range(n_mib):
        yield blk
    yield b"</text></revision></page>\n" + (page(3) + "</mediawiki>\n").encode()


def giant_body_parts(n_mib: int) -> Iterable[bytes]:
    yield posts([row(1)]).replace("</posts>\n", "").encode() + b'  <row Id="2" PostTypeId="2" Score="1" Body="'
    blk = b"y" * MIB
    for _ in range(n_mib):
        yield blk
    yield ('" ParentId="1" />\n' + row(3, parent=1) + "</posts>\n").encode()


def deep_parts(levels: int) -> Iterable[bytes]:
    yield dump([page(1)]).replace("</mediawiki>\n", "").encode()
    yield b"  <page><title>Page 2</title><ns>0</ns><id>2</id><revision><text>"
    step = 100_000
    for _ in range(levels // step):
        yield b"<a>" * step
    for _ in range(levels // step):
        yield b"</a>" * step
    yield b"</text></revision></page>\n" + (page(3) + "</mediawiki>\n").encode()


BOMBS = {
    # name: (reader, file name, parts, kept ids, skips, max seconds, max RSS growth in MB)
    "giant text node, 256 MiB": (
        "wikipedia",
        "enwiki-giant-text.xml.gz",
        lambda: giant_text_parts(256),
        wiki_ids(1, 3),
        {"oversized": 1},
        20,
        64,
    ),
    "giant Body attribute, 256 MiB": (
        "stackexchange",
        "Posts.xml.gz",
        lambda: giant_body_parts(256),
        se_ids(1, 3),
        {"xml_markup_too_large": 1},
        20,
        128,
    ),
    "nesting 10 million deep": (
        "wikipedia",
        "enwiki-deep.xml.gz",
        lambda: deep_parts(10_000_000),
        wiki_ids(1),
        {"xml_too_deep": 1},
        10,
        64,
    ),
    "billion laughs": (
        "wikipedia",
        "enwiki-laughs.xml.gz",
        lambda: [dump([page(1), page(2, "&lol9;" * 1000), page(3)], LAUGHS).encode()],
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
        10,
        32,
    ),
    "quadratic blowup": (
        "wikipedia",
        "enwiki-quadratic.xml.gz",
        lambda: [
            dump(
                [page(1), page(2, "&a;" * 200_000), page(3)], f'<!DOCTYPE m [<!ENTITY a "{"x" * 100_000}">]>\n'
            ).encode()
        ],
        wiki_ids(1, 3),
        {"xml_entity_reference": 1},
        10,
        32,
    ),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_bomb_bounded(name: str, tmp_path: Path) -> None:
    reader, file_name, parts, ids, skips, max_seconds, max_rss_mb = BOMBS[name]
    folder = tmp_path / "site.stackexchange.com"
    folder.mkdir()
    path = gzip_parts(folder / file_name, parts())
    assert path.stat().st_size < 2 * MIB  # stored small: the bomb is in the compression
    warmup = gzip_parts(
        folder / ("warmup-" + file_name), [posts([]).encode() if reader == "stackexchange" else dump([]).encode()]
    )
    result = run_child(reader, path, warmup)
    assert result["ids"] == ids
    assert result["skips"] == skips
    assert result["seconds"] < max_seconds, result
    assert result["rss_mb"] < max_rss_mb, result
