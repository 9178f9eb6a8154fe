"""StackExchange sample: `<site>.stackexchange.com/Posts.xml` in the exact dump schema.

No real Posts.xml ships offline, so real Q&A text is laid into it: each FAQ heading that asks a question
(Python 3.11 FAQ, the Debian FAQ) becomes a question, and its real answer (HTML, as dumps keep Body)
becomes one to three answers split at top-level paragraph boundaries. Ids, dates, users and scores are
synthetic (stable hashes), and one question's answers score 10, 9 and 2 so that a string sort of Score
("9" > "10") would rank them wrongly: LLaMA orders answers by score (Touvron et al. 2023, section 2).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.app.samples.fetch import deb_members
from pipeline.app.samples.util import stable_time
from pipeline.document import stable_hash64

SITES = {  # site -> (Debian package, folder of FAQ pages, file suffix, base tag)
    "softwareengineering.stackexchange.com": (
        "python3.11-doc",
        "usr/share/doc/python3.11/html/faq/",
        ".html",
        "python",
    ),
    "unix.stackexchange.com": ("debian-faq", "usr/share/doc/debian/FAQ/", ".en.html", "debian"),
}
KEEP = {
    "p",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "br",
    "dl",
    "dt",
    "dd",
}
_HEAD = re.compile(r"<h([1-4])[^>]*>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)([^>]*)>")
_HREF = re.compile(r'href="([^"]*)"')
_NOLINK = re.compile(r'<a\b(?![^>]*href="http)[^>]*>(.*?)</a>', re.DOTALL)
_CUT = ('class="footer"', 'class="navfooter"', 'class="sphinxsidebar"', 'class="related"', 'class="toc"')
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTR = {'"': "&quot;", "\n": "&#xA;", "\r": "&#xD;", "\t": "&#x9;"}


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("¶", "").strip()


def sanitize(html: str) -> str:
    """Only the tags StackExchange bodies use; attributes dropped except a link's absolute href."""

    def tag(m: re.Match) -> str:
        close, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
        if name not in KEEP:
            return ""
        if name == "a" and not close:
            href = _HREF.search(attrs)
            return f'<a href="{href.group(1)}">' if href and href.group(1).startswith("http") else "<a>"
        return f"<{close}{name}>"

    html = _NOLINK.sub(r"\1", html)  # internal links (#anchors, relative pages) keep only their text
    out = _TAG.sub(tag, html).replace("¶", "")
    return re.sub(r"\n{2,}", "\n", out).strip()


def _split_answers(body: str, parts: int) -> list[str]:
    """Split at </p> boundaries outside lists/quotes into at most `parts` non-empty answers."""
    cuts, depth = [], 0
    for m in re.finditer(r"<(/?)(ul|ol|dl|blockquote|pre)>|</p>", body):
        if m.group(2):
            depth += -1 if m.group(1) else 1
        elif depth == 0:
            cuts.append(m.end())
    if parts <= 1 or len(cuts) < parts:
        return [body]
    chosen = [cuts[len(cuts) * i // parts - 1] for i in range(1, parts)]
    bounds = [0] + sorted(set(chosen)) + [len(body)]
    return [s for a, b in itertools.pairwise(bounds) if (s := body[a:b].strip())]


def faq_questions(html: str) -> list[tuple[str, str]]:
    """(question title, answer HTML) for every heading that asks a question."""
    heads = list(_HEAD.finditer(html))
    out = []
    for h, nxt in itertools.zip_longest(heads, heads[1:]):
        title = _plain(h.group(2))
        title = re.sub(r"^[\d.]+\s+", "", title)
        if not title.endswith("?"):
            continue
        body = html[h.end() : nxt.start() if nxt else len(html)]
        for marker in _CUT:
            i = body.find(marker)
            body = body[:i].rsplit("<", 1)[0] if i >= 0 else body
        body = sanitize(body)
        if len(_plain(body)) > 40:
            out.append((title, body))
    return out


def _attrs(**kv: object) -> str:
    return " ".join(f'{k}="{escape(_BAD_XML.sub("", str(v)), _ATTR)}"' for k, v in kv.items() if v is not None)


def _when(*parts: str) -> str:
    t = stable_time("2010-08-01T00:00:00", 3000, *parts)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stable_hash64('ms', *parts) % 1000:03d}"


def build_site(site: str) -> tuple[bytes, int, str]:
    pkg, folder, suffix, base_tag = SITES[site]
    members, origin = deb_members(pkg, lambda n: n.startswith(folder) and n.endswith(suffix))
    posts, forced = [], False  # (creation date, key, row fields)
    for name in sorted(members):
        topic = name[len(folder) :].removesuffix(suffix)
        for title, body in faq_questions(members[name].decode("utf-8", "replace")):
            key = f"{site}/{topic}/{title}"
            parts = 1 + stable_hash64("answers", key) % 3
            if not forced:
                parts = 3
            answers = _split_answers(body, parts)
            scores = [int(stable_hash64("score", key, str(i)) % 40) - 3 for i in range(len(answers))]
            if not forced and len(answers) == 3:
                scores, forced = [9, 10, 2], True
            asked = _when("q", key)
            q = {
                "PostTypeId": 1,
                "CreationDate": asked,
                "Score": stable_hash64("qscore", key) % 60,
                "ViewCount": 50 + stable_hash64("views", key) % 90000,
                "Body": f"<p>{escape(title)}</p>",
                "OwnerUserId": 1 + stable_hash64("user", key) % 5000,
                "Title": title,
                "Tags": f"<{base_tag}><{topic}>",
                "AnswerCount": len(answers),
                "CommentCount": stable_hash64("comments", key) % 4,
                "ContentLicense": "CC BY-SA 4.0",
            }
            posts.append((asked, key, q))
            for i, (ans, score) in enumerate(zip(answers, scores)):
                when = max(asked, _when("a", key, str(i)))
                posts.append(
                    (
                        when,
                        f"{key}#{i}",
                        {
                            "PostTypeId": 2,
                            "ParentId": key,
                            "CreationDate": when,
                            "Score": score,
                            "Body": ans,
                            "OwnerUserId": 1 + stable_hash64("user", key, str(i)) % 5000,
                            "CommentCount": stable_hash64("comments", key, str(i)) % 4,
                            "ContentLicense": "CC BY-SA 4.0",
                        },
                    )
                )
    if not forced:
        raise ValueError(f"{site}: no question long enough for the 10/9/2 answer scores")
    posts.sort(key=lambda p: (p[0], p[1]))
    ids = {key: i + 1 for i, (_, key, _) in enumerate(posts)}
    best: dict[str, tuple[int, str]] = {}
    for _, key, row in posts:
        if row["PostTypeId"] == 2:
            parent = row["ParentId"]
            if parent not in best or row["Score"] > best[parent][0]:
                best[parent] = (row["Score"], key)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<posts>"]
    for when, key, row in posts:
        row = dict(row)
        if row["PostTypeId"] == 1:
            accepted = key in best and stable_hash64("accept", key) % 3 != 0
            ordered = {
                "Id": ids[key],
                "PostTypeId": 1,
                "AcceptedAnswerId": ids[best[key][1]] if accepted else None,
            }
        else:
            ordered = {"Id": ids[key], "PostTypeId": 2, "ParentId": ids[row.pop("ParentId")]}
        row.pop("PostTypeId")
        ordered.update(row)
        ordered["LastActivityDate"] = when
        lines.append(f"  <row {_attrs(**ordered)} />")
    lines.append("</posts>")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8"), len(posts), f"{origin}:{folder}*{suffix}"


def build(out: Path) -> list[dict]:
    files = []
    for site in sorted(SITES):
        data, n, origin = build_site(site)
        (out / site).mkdir(parents=True, exist_ok=True)
        (out / site / "Posts.xml").write_bytes(data)
        files.append(
            {
                "path": f"stackexchange/{site}/Posts.xml",
                "origin": [origin + " (FAQ HTML)"],
                "documents": n,
                "wrapped": True,
                "synthetic": [
                    "Id",
                    "CreationDate",
                    "Score",
                    "ViewCount",
                    "OwnerUserId",
                    "AnswerCount split",
                    "AcceptedAnswerId",
                    "CommentCount",
                    "LastActivityDate",
                ],
            }
        )
    return files
