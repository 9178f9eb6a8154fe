"""StackExchange reader: a site's `Posts.xml` from the dump (`<posts><row Id=.. PostTypeId=.. .../>`).

One Document per post, question (PostTypeId 1) or answer (PostTypeId 2); the job groups answers under
their question by `question_id` and sorts them by score numerically, so Score is
parsed as an int here. Text is the HTML body (attribute-unescaped); HTML stripping is the filter's job.
Options: `site` overrides the site name taken from the parent folder (`cooking.stackexchange.com/`);
`max_depth`, `max_text_chars`, `max_markup_bytes` set the XML caps of `xml_stream.iter_records`.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.document import Document, Meta
from pipeline.sources import base
from pipeline.sources.base import SkipFn
from pipeline.sources.xml_stream import Header, cap_options, iter_records

POST_TYPES = {"1": "question", "2": "answer"}


def site_from_path(path: str) -> str:
    parts = path.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2]:
        return parts[-2]
    return base.file_stem(path)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read(path: str, skip: SkipFn, site: str | None = None, **options: object) -> Iterator[Document]:
    site = site or site_from_path(path)
    origin = base.origin(path)
    with base.open_decompressed(path) as stream:
        for row in iter_records(stream, skip, "row", **cap_options(options)):
            if isinstance(row, Header):
                continue
            a = row.attrs
            kind = POST_TYPES.get(a.get("PostTypeId", ""))
            if kind is None:
                skip("other_post_type")
                continue
            post_id = _int(a.get("Id"))
            question_id = post_id if kind == "question" else _int(a.get("ParentId"))
            if post_id is None or question_id is None:
                skip("missing_field")
                continue
            score = _int(a.get("Score", "0"))
            if score is None:
                skip("bad_score")
                continue
            body = a.get("Body", "")
            if base.too_big(len(body), skip) or base.is_blank(body, skip):
                continue
            meta = {
                Meta.SITE: site,
                "post_type": kind,
                Meta.QUESTION_ID: question_id,
                "post_id": post_id,
                Meta.SCORE: score,
                Meta.ORIGIN: origin,
            }
            if kind == "question":
                meta[Meta.TITLE] = a.get("Title", "")
            yield Document(id=f"{site}:{post_id}", source="stackexchange", text=body, meta=meta)
