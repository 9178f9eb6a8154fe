"""Libraries against the hand code they could replace, on the sample corpus: speed (same input, same run,
best of --repeat, ratio hand/library: above 1 the library is faster) and output (documents identical, and
what differs).

    .venv/bin/python bench/bench_libraries.py [--samples DIR] [--repeat 5] [--fuzz 5000] [--json OUT]

(a) HTML to text: resiliparse's `extract_plain_text` against pipeline/sources/html_parse.py, on every post body of
    stackexchange/*/Posts.xml (the StackExchange rules) and, for information, on the HTML pages of the
    WARC samples (the web rules).
(b) HTTP decoding of WARC `response` records: FastWARC's own HTTP parser (`parse_http`, with its chunked
    and content-encoding decoding) against the hand decoder it replaced, kept here as `hand_http_body`
    so the comparison can be rerun; on every response record of common_crawl/*.warc.gz and on a set of
    small synthetic records (chunked, gzip, deflate, brotli, corrupt, stored de-chunked, bomb, malformed),
    then on --fuzz mutated copies of them (FastWARC's side must never raise).

The samples come from `llama-data samples` (built once into the cache). (a) needs resiliparse
(`pip install resiliparse==2.0.0`, the release that goes with fastwarc 2.0.0); without it (a) is skipped.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import re
import sys
import time
import zlib
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fastwarc.warc import ArchiveIterator, WarcRecordType

from pipeline.sources import base, common_crawl, stackexchange
from pipeline.sources.base import SkipCounter
from pipeline.sources.html_parse import WEB_RULES, html_to_text

DEFAULT_SAMPLES = os.path.expanduser("~/.cache/llama-data/samples/v1")


def race(hand: Callable[[], object], lib: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best time of each over `repeat` rounds, the two alternating within a round and taking turns to go
    first (a busy machine slows both alike; going second is not an advantage either)."""
    best = [float("inf"), float("inf")]
    for r in range(repeat):
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            fn = (hand, lib)[i]
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best[0], best[1]


# -- (a) HTML to text ---------------------------------------------------------------------------------
def resiliparse_text(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    # alt texts off: the hand code does not keep them either (an image's alt is not the page's text)
    return extract_plain_text(html, alt_texts=False)


_ITEM = re.compile(r"^(?:[-\u2022]|\d+\.) ")


def _list_neutral(text: str) -> str:
    """The text with list layout made neutral: lines stripped, `\u2022` bullets as `- `, no blank line
    between two list items."""
    lines = [
        _ITEM.sub(lambda m: "- " if m.group(0)[0] in "-\u2022" else m.group(0), ln.strip()) for ln in text.split("\n")
    ]
    out: list[str] = []
    for i, line in enumerate(lines):
        if not line and out and _ITEM.match(out[-1]) and i + 1 < len(lines) and _ITEM.match(lines[i + 1]):
            continue
        out.append(line)
    return "\n".join(out)


def _words(text: str) -> collections.Counter:
    return collections.Counter(w for w in text.split() if w not in ("-", "\u2022") and not re.fullmatch(r"\d+\.", w))


def diff_kind(hand: str, lib: str, html: str) -> str:
    """Why two outputs differ, first matching reason."""
    if _words(hand) != _words(lib):
        return "words differ"
    if [ln.rstrip() for ln in hand.split("\n")] == [ln.rstrip() for ln in lib.split("\n")]:
        return "trailing spaces kept in code lines"
    if re.search(r"<li>(?:(?!</li>).)*<pre", html, re.S):
        return "code block inside a list item re-indented"
    if _list_neutral(hand) == _list_neutral(lib):
        return "list layout only (bullet, indent, blank line between items)"
    return "paragraph breaks inside list items"


def compare_html(name: str, docs: list[str], hand: Callable[[str], str], repeat: int) -> dict:
    t_hand, t_lib = race(lambda: [hand(d) for d in docs], lambda: [resiliparse_text(d) for d in docs], repeat)
    a = [hand(d) for d in docs]
    b = [resiliparse_text(d) for d in docs]
    kinds = collections.Counter(diff_kind(x, y, h) for x, y, h in zip(a, b, docs) if x != y)
    return {
        "input": name,
        "documents": len(docs),
        "bytes": sum(len(d.encode()) for d in docs),
        "hand_s": round(t_hand, 4),
        "resiliparse_s": round(t_lib, 4),
        "speed_ratio": round(t_hand / t_lib, 2),
        "identical": sum(x == y for x, y in zip(a, b)),
        "differ_by": dict(kinds.most_common()),
    }


def se_bodies(samples: str) -> list[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(samples, "stackexchange", "*", "Posts.xml"))):
        out += [d.text for d in stackexchange.read(path, SkipCounter())]
    return out


def warc_blocks(samples: str) -> list[bytes]:
    """The block (HTTP head and body, as stored) of every response record of the WARC samples."""
    blocks = []
    for path in sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.gz"))):
        if path.endswith(".wet.gz"):
            continue
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=False):
                blocks.append(rec.reader.read())
    return blocks


# -- (b) HTTP decoding --------------------------------------------------------------------------------
def _dechunk(body: bytes) -> bytes | None:
    out, pos = [], 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return None
        try:
            size = int(body[pos:end].split(b";")[0], 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        out.append(body[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2


def hand_http_body(block: bytes, skip, cap: int) -> tuple[bytes, str] | None:
    """The hand decoder the reader used before FastWARC's: status line, headers, chunked, gzip/deflate."""
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        skip("malformed_http")
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[1].isdigit():
        skip("malformed_http")
        return None
    if status[1] != "200":
        skip("not_http_200")
        return None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    ctype = headers.get("content-type", "")
    if "html" not in ctype.lower():
        skip("not_html")
        return None
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = _dechunk(body) or body
        if headers.get("content-encoding", "").lower() in ("gzip", "x-gzip", "deflate"):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS if body[:2] == b"\x1f\x8b" else zlib.MAX_WBITS)
            body = d.decompress(body, cap + 1)
            if len(body) > cap:
                raise base.DecompressionBomb
    except base.DecompressionBomb:
        skip("decompression_bomb")
        return None
    except (zlib.error, EOFError):
        skip("truncated_or_corrupt_stream")
        return None
    charset = ""
    if "charset=" in ctype.lower():
        charset = ctype.lower().split("charset=", 1)[1].split(";")[0].strip().strip("\"'")
    return body, charset


def lib_http_body(block: bytes, skip, cap: int) -> tuple[bytes, str] | None:
    body = common_crawl.http_body(block, skip, cap)
    return None if body is None else (body.payload, body.charset)


def synthetic_blocks() -> dict[str, bytes]:
    import brotli

    h = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    g = gzip.compress(b"<p>compressed page</p>" * 50)
    return {
        "plain": h + b"\r\n<p>plain page</p>",
        "chunked": h + b"Transfer-Encoding: chunked\r\n\r\n5\r\n<p>ab\r\n6\r\ncd</p>\r\n0\r\n\r\n",
        "chunked+gzip": h
        + b"Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n%x\r\n" % len(g)
        + g
        + b"\r\n0\r\n\r\n",
        "stored de-chunked": h + b"Transfer-Encoding: chunked\r\n\r\n<p>already de-chunked</p>",
        "gzip": h + b"Content-Encoding: gzip\r\n\r\n" + g,
        "gzip cut in half": h + b"Content-Encoding: gzip\r\n\r\n" + g[: len(g) // 2],
        "x-gzip": h + b"Content-Encoding: x-gzip\r\n\r\n" + g,
        "quoted charset": b'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset="iso-8859-1"\r\n\r\n<p>K\xf6ln</p>',
        "deflate": h + b"Content-Encoding: deflate\r\n\r\n" + zlib.compress(b"<p>deflated</p>"),
        "brotli": h + b"Content-Encoding: br\r\n\r\n" + brotli.compress(b"<p>brotli page</p>"),
        "corrupt gzip": h + b"Content-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00garbage",
        "gzip header, plain body": h + b"Content-Encoding: gzip\r\n\r\n<p>plain despite the header</p>",
        "gzip bomb": h + b"Content-Encoding: gzip\r\n\r\n" + gzip.compress(b"x" * (20 << 20)),
        "404": b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>gone</p>",
        "image": b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
        "bad status line": b"HTTP/1.1 OK\r\nContent-Type: text/html\r\n\r\n<p>x</p>",
        "no HTTP head": b"<p>no http head at all</p>",
        "head not ended": h + b"<p>x</p>",
    }


def outcome(fn, block: bytes, cap: int) -> str:
    reasons: list[str] = []
    got = fn(block, reasons.append, cap)
    if got is None:
        return f"skip {reasons[0]}"
    body, charset = got
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except (LookupError, ValueError):  # an unknown charset: the reader falls back to UTF-8 as well
        text = body.decode("utf-8", errors="replace")
    if not text.strip():
        return "skip empty"
    return f"text {len(text)} chars, {text.count(chr(0xFFFD))} replaced"


def fuzz_http(blocks: list[bytes], n: int, seed: int = 1) -> dict:
    """Mutated records (bytes flipped, inserted, cut): FastWARC's decoder must never raise; the outcomes
    that differ from the hand decoder's are tallied as (hand, FastWARC)."""
    import random

    rnd, raised, differ = random.Random(seed), 0, collections.Counter()
    for _ in range(n):
        b = bytearray(rnd.choice(blocks)[:3000])
        for _ in range(rnd.randint(1, 3)):
            op = rnd.random()
            if op < 0.4 and b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            elif op < 0.7:
                b = b[: rnd.randrange(len(b) + 1)]
            else:
                b.insert(rnd.randrange(len(b) + 1), rnd.randrange(256))
        hand = outcome(hand_http_body, bytes(b), 1 << 20)
        try:
            lib = outcome(lib_http_body, bytes(b), 1 << 20)
        except Exception:  # noqa: BLE001 - counted: the reader would stop on it
            raised += 1
            continue
        if hand != lib:
            differ[f"{hand.split(' chars')[0]} -> {lib.split(' chars')[0]}"] += 1
    return {"records": n, "raised": raised, "differ": sum(differ.values()), "top": dict(differ.most_common(8))}


def compare_http(blocks: list[bytes], repeat: int, cap: int) -> dict:
    loops = max(1, 2000 // max(len(blocks), 1))

    def run(fn):
        def go():
            for _ in range(loops):
                for b in blocks:
                    fn(b, lambda r: None, cap)

        return go

    t_hand, t_lib = (t / loops for t in race(run(hand_http_body), run(lib_http_body), repeat))
    same = sum(outcome(hand_http_body, b, cap) == outcome(lib_http_body, b, cap) for b in blocks)
    bodies_same = sum(hand_http_body(b, lambda r: None, cap) == lib_http_body(b, lambda r: None, cap) for b in blocks)
    return {
        "records": len(blocks),
        "hand_s": round(t_hand, 6),
        "fastwarc_s": round(t_lib, 6),
        "speed_ratio": round(t_hand / t_lib, 2),
        "same_outcome": same,
        "same_body_and_charset": bodies_same,
    }


def compare_reader(samples: str, repeat: int) -> dict:
    """The whole WARC reader (FastWARC records, HTTP decoding, HTML to text) with each HTTP decoder."""
    paths = [
        p for p in sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.gz"))) if not p.endswith(".wet.gz")
    ]

    def read_all() -> list:
        return [d.text for p in paths for d in common_crawl.read(p, SkipCounter())]

    current = common_crawl.http_body

    def hand_as_lib(block, skip, cap):
        got = hand_http_body(block, skip, cap)
        return None if got is None else common_crawl.HttpBody(got[0], got[1])

    def with_hand() -> list:
        common_crawl.http_body = hand_as_lib
        try:
            return read_all()
        finally:
            common_crawl.http_body = current

    hand_docs, lib_docs = with_hand(), read_all()
    t_hand, t_lib = race(with_hand, read_all, repeat)
    return {
        "documents_hand": len(hand_docs),
        "documents_fastwarc": len(lib_docs),
        "identical": sum(x == y for x, y in zip(hand_docs, lib_docs)),
        "hand_s": round(t_hand, 4),
        "fastwarc_s": round(t_lib, 4),
        "speed_ratio": round(t_hand / t_lib, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", default=DEFAULT_SAMPLES)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--fuzz", type=int, default=5000, help="mutated HTTP records to try (0: none)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    cap = base.MAX_DOC_BYTES
    out: dict = {}
    for pattern in ("stackexchange/*/Posts.xml", "common_crawl/*.warc.gz"):
        if not glob.glob(os.path.join(args.samples, pattern)):
            sys.exit(f"bench_libraries: no {pattern} under {args.samples} (build the samples: llama-data samples)")

    blocks = warc_blocks(args.samples)
    try:
        import resiliparse  # noqa: F401 - only this bench uses it (not adopted: docs/libraries.md)
    except ImportError:
        print("(a) skipped: resiliparse is not installed (pip install resiliparse==2.0.0)")
    else:
        bodies = se_bodies(args.samples)
        out["se_html"] = compare_html("stackexchange post bodies", bodies, html_to_text, args.repeat)
        pages = []
        for b in blocks:
            got = common_crawl.http_body(b, lambda r: None, cap)
            if got is not None:
                pages.append(got.payload.decode(got.charset or "utf-8", errors="replace"))
        out["warc_html"] = compare_html("WARC html pages", pages, lambda h: html_to_text(h, WEB_RULES), args.repeat)
    out["http_sample"] = compare_http(blocks, args.repeat, cap)
    synth = synthetic_blocks()
    out["http_synthetic"] = {
        name: {"hand": outcome(hand_http_body, b, 1 << 20), "fastwarc": outcome(lib_http_body, b, 1 << 20)}
        for name, b in synth.items()
    }
    out["warc_reader"] = compare_reader(args.samples, args.repeat)
    if args.fuzz:
        out["http_fuzz"] = fuzz_http(list(synth.values()), args.fuzz)

    for key in ("se_html", "warc_html") if "se_html" in out else ():
        r = out[key]
        print(
            f"(a) {r['input']}: {r['documents']} docs, {r['bytes']} B; hand {r['hand_s']} s, resiliparse "
            f"{r['resiliparse_s']} s, ratio hand/resiliparse {r['speed_ratio']}x; identical {r['identical']}/"
            f"{r['documents']}; differ by {r['differ_by']}"
        )
    r = out["http_sample"]
    print(
        f"(b) HTTP decoding, {r['records']} response records of the WARC samples: hand {r['hand_s'] * 1e6:.1f} "
        f"us, FastWARC {r['fastwarc_s'] * 1e6:.1f} us per pass of all records (ratio hand/FastWARC "
        f"{r['speed_ratio']}x); same outcome {r['same_outcome']}/{r['records']}, same body and charset "
        f"{r['same_body_and_charset']}/{r['records']}"
    )
    r = out["warc_reader"]
    print(
        f"(b) whole WARC reader: hand {r['hand_s']} s, FastWARC {r['fastwarc_s']} s, ratio {r['speed_ratio']}x; "
        f"documents {r['documents_hand']} / {r['documents_fastwarc']}, identical {r['identical']}"
    )
    print("(b) synthetic records (hand -> FastWARC):")
    for name, r in out["http_synthetic"].items():
        mark = "" if r["hand"] == r["fastwarc"] else "   <- differs"
        print(f"    {name:<26} {r['hand']:<36} {r['fastwarc']}{mark}")
    if args.fuzz:
        r = out["http_fuzz"]
        print(
            f"(b) fuzz: {r['records']} mutated records, FastWARC decoder raised {r['raised']} times; outcome "
            f"differs from the hand decoder's for {r['differ']}: {r['top']}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
