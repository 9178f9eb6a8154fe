"""A cc_net-style reference pipeline, written here from cc_net's published algorithm (Wenzek et al.
2020, and the structure of its mine.py), not copied from cc_net: the peer baseline of bench_cc_scale.py.

Two passes over the WET files, as cc_net's `hashes` then `mine` steps, all in plain Python as cc_net is:

  pass 1  read every WET file (gzip text stream parsed line by line, records split at "WARC/1.0"),
          keep `conversion` records of >= --min-length characters, normalise every line with per-line
          regexes (strip, lower-case, digits -> 0, drop cc_net's Unicode punctuation and non-printing
          characters: bench_cc.ccnet_dedup_norm), key = first 8 bytes of SHA-1, count keys in a dict;
  pass 2  read again; drop the lines whose key was seen >= 2 times (every copy) and the lines that
          normalise to nothing, drop documents left empty; fastText LID on the whole document
          (lid.176.ftz, newlines -> spaces, keep en >= 0.5); per line LM normalisation with per-line
          regexes and a per-character accent loop (bench_cc.ccnet_lm_norm), SentencePiece pieces,
          KenLM log10 score, document perplexity 10 ** (-sum / sum(pieces + 1)); bucket by the cutoffs
          (head < p30 <= middle < p60 <= tail), keep head and middle; the reference classifier when
          --quality-model is given (p(wiki) >= --quality-threshold, default 0.25 as the job);
          write the kept documents as JSON lines, gzip (cc_net writes json.gz).

Prints one JSON line of counts at the end (read, kept, drops by reason, seconds).

    python bench/ccnet_style.py --input F1.warc.wet.gz F2... --output kept.json.gz \\
        --lm-dir out/demo/models/lm --cutoffs out/demo/models/cutoffs.json --quality-model out/demo/models/quality.bin
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import time
import unicodedata
from collections.abc import Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# cc_net's table of Unicode punctuation (a fact of its text_normalizer; the project keeps the same table)
from filters.normalize import UNICODE_PUNCT  # noqa: E402

# --- cc_net's two normalisations the cc_net way: per-line regexes, accents by a per-character loop
#     (as bench_cc.py's ccnet_dedup_norm / ccnet_lm_norm) ---
_DIGIT = re.compile(r"\d")
_PUNCT = re.compile("[" + "".join(re.escape(c) for c in UNICODE_PUNCT) + "]")
_NONPRINT = re.compile("[" + "".join(re.escape(chr(c)) for c in [*range(0, 32), *range(127, 160)]) + "]")


def ccnet_dedup_norm(line: str) -> str:
    line = line.strip()
    if not line:
        return line
    line = _DIGIT.sub("0", line.lower())
    line = _PUNCT.sub("", line)
    return _NONPRINT.sub("", line)


def ccnet_lm_norm(line: str) -> str:
    line = line.strip()
    if not line:
        return line
    line = line.lower()
    nfd = unicodedata.normalize("NFD", line)
    line = "".join(c for c in nfd if unicodedata.category(c) != "Mn")  # strip accents
    line = _DIGIT.sub("0", line)
    line = "".join(UNICODE_PUNCT.get(c, c) for c in line)  # map Unicode punctuation to ASCII
    return _NONPRINT.sub("", line)


def read_wet(path: str, min_len: int) -> Iterator[dict]:
    """cc_net-style WET parsing: a gzip text stream read line by line, records grouped at "WARC/1.0",
    headers up to the first blank line, the rest is the page. Yields conversion records of >= min_len
    characters (cc_net applies min_len when it reads a shard, so in both passes)."""

    def parse(lines: list[str]) -> dict | None:
        headers: dict[str, str] = {}
        body = len(lines)
        for n, line in enumerate(lines):
            line = line.rstrip("\n")
            if not line:
                body = n + 1
                break
            k, _, v = line.partition(":")
            headers[k.strip()] = v.strip()
        if headers.get("WARC-Type") != "conversion":
            return None
        content = "".join(lines[body:]).strip()
        return {
            "url": headers.get("WARC-Target-URI", ""),
            "date_download": headers.get("WARC-Date", ""),
            "digest": headers.get("WARC-Block-Digest", ""),
            "raw_content": content,
        }

    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        lines: list[str] = []
        for line in f:
            if line == "WARC/1.0\n":
                if lines:
                    yield from _doc(parse(lines), min_len)
                lines = []
            else:
                lines.append(line)
        if lines:
            yield from _doc(parse(lines), min_len)


def _doc(doc: dict | None, min_len: int) -> Iterator[dict]:
    if doc is not None:
        doc["_short"] = len(doc["raw_content"]) < min_len
        yield doc


def line_key(line: str) -> bytes | None:
    norm = ccnet_dedup_norm(line)
    return hashlib.sha1(norm.encode("utf-8")).digest()[:8] if norm else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", nargs="+", required=True)
    ap.add_argument("--output", required=True, help="kept documents, JSON lines gzip")
    ap.add_argument("--lm-dir", required=True)
    ap.add_argument("--cutoffs", help="JSON {lang: {p30, p60}}; default en 340/520 (cc_net)")
    ap.add_argument("--quality-model")
    ap.add_argument("--quality-threshold", type=float, default=0.25)
    ap.add_argument("--min-length", type=int, default=300)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--lang-threshold", type=float, default=0.5)
    args = ap.parse_args()
    t0 = time.perf_counter()

    import fasttext
    import kenlm
    import sentencepiece as spm

    from filters.langid import default_lid_model_path

    fasttext.FastText.eprint = lambda *a, **k: None
    lid = fasttext.load_model(default_lid_model_path())
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.lm_dir, f"{args.lang}.sp.model"))
    config = kenlm.Config()
    config.load_method = kenlm.LoadMethod.POPULATE_OR_READ
    lm = kenlm.Model(os.path.join(args.lm_dir, f"{args.lang}.arpa.bin"), config)
    quality = fasttext.load_model(args.quality_model) if args.quality_model else None
    p30, p60 = 340.0, 520.0
    if args.cutoffs:
        with open(args.cutoffs, encoding="utf-8") as f:
            c = json.load(f)[args.lang]
        p30, p60 = float(c["p30"]), float(c["p60"])

    # pass 1: count every line key of every document long enough
    counts: dict[bytes, int] = {}
    read = 0
    for path in args.input:
        for doc in read_wet(path, args.min_length):
            read += 1
            if doc["_short"]:
                continue
            for line in doc["raw_content"].split("\n"):
                key = line_key(line)
                if key is not None:
                    counts[key] = counts.get(key, 0) + 1

    # pass 2: remove duplicated lines, LID, perplexity, buckets, classifier, write json.gz
    drops: dict[str, int] = {}

    def drop(reason: str) -> None:
        drops[reason] = drops.get(reason, 0) + 1

    kept = 0
    label = f"__label__{args.lang}"
    with gzip.open(args.output, "wt", encoding="utf-8") as out:
        for path in args.input:
            for doc in read_wet(path, args.min_length):
                if doc.pop("_short"):
                    drop("too_short")
                    continue
                lines = []
                for line in doc["raw_content"].split("\n"):
                    key = line_key(line)
                    if key is not None and counts[key] < 2:
                        lines.append(line)
                text = "\n".join(lines)
                if not text:
                    drop("dedup_empty")
                    continue
                labels, probs = lid.predict(text.replace("\n", " "), k=1)
                score = float(min(1.0, probs[0])) if len(probs) else 0.0
                if score < args.lang_threshold:
                    drop("lang_score_low")
                    continue
                if not labels or labels[0] != label:
                    drop("lang_not_selected")
                    continue
                log_score, length = 0.0, 0
                for line in text.split("\n"):
                    norm = ccnet_lm_norm(line)
                    if not norm:
                        continue
                    pieces = sp.encode_as_pieces(norm)
                    log_score += lm.score(" ".join(pieces))
                    length += len(pieces) + 1
                if length == 0:
                    drop("empty_after_normalisation")
                    continue
                pp = round(10.0 ** (-log_score / length), 1)
                bucket = "head" if pp < p30 else "middle" if pp < p60 else "tail"
                if bucket == "tail":
                    drop("bucket_tail")
                    continue
                doc.update(
                    raw_content=text,
                    original_length=len(doc["raw_content"]),
                    language=args.lang,
                    language_score=round(score, 2),
                    perplexity=pp,
                    bucket=bucket,
                )
                if quality is not None:
                    qlabels, qprobs = quality.predict(" ".join(text.lower().split()), k=2)
                    wiki = next((float(min(1.0, p)) for q, p in zip(qlabels, qprobs) if q == "__label__wiki"), 0.0)
                    if wiki < args.quality_threshold:
                        drop("quality_low")
                        continue
                    doc["wiki_prob"] = round(wiki, 4)
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")
                kept += 1
    stats = {"read": read, "kept": kept, "dropped": drops, "seconds": round(time.perf_counter() - t0, 2)}
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
