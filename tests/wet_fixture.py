"""Write small CommonCrawl-shaped WET files for tests (one gzip member per WARC record, as CC)."""

from __future__ import annotations

import base64
import gzip
import hashlib


def wet_record(url: str, text: str, n: int, date: str = "2020-02-17T00:00:00Z") -> bytes:
    body = text.encode("utf-8")
    digest = base64.b32encode(hashlib.sha1(body).digest()).decode()
    headers = [
        ("WARC-Type", "conversion"),
        ("WARC-Target-URI", url),
        ("WARC-Date", date),
        ("WARC-Record-ID", f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"),
        ("WARC-Refers-To", f"<urn:uuid:10000000-0000-0000-0000-{n:012d}>"),
        ("WARC-Block-Digest", f"sha1:{digest}"),
        ("Content-Type", "text/plain"),
        ("Content-Length", str(len(body))),
    ]
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return gzip.compress(head.encode() + body + b"\r\n\r\n", mtime=0)


def write_wet(path: str, pages: list[tuple[str, str]], start: int = 0) -> None:
    info = b"software: tests\r\n"
    head = (
        f"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2020-02-17T00:00:00Z\r\n"
        f"WARC-Record-ID: <urn:uuid:20000000-0000-0000-0000-{start:012d}>\r\n"
        f"Content-Type: application/warc-fields\r\nContent-Length: {len(info)}\r\n\r\n"
    ).encode()
    with open(path, "wb") as f:
        f.write(gzip.compress(head + info + b"\r\n\r\n", mtime=0))
        for i, (url, text) in enumerate(pages):
            f.write(wet_record(url, text, start + i))
