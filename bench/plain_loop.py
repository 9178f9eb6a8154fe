"""The plain loop over the bare libraries: the CommonCrawl job's stages with no framework around them,
the floor bench_cc_scale.py holds the job against (adapted from bench_cc.py's plain_loop, with the
stages the job has since gained).

One read of the WET files with FastWARC (conversion records, text kept in memory), length >= 300, the
project's fast normalisation (filters.normalize.dedup_lines) + hashlib SHA-1 first 8 bytes counted in
a dict, lines seen >= 2 times and lines normalising to nothing dropped, empty documents dropped; then
fastText LID (lid.176.ftz, en >= 0.5), SentencePiece (one batched encode per document over the
project's filters.normalize.lm_normalize_lines) + KenLM per line, perplexity buckets from the cutoffs
(head + middle kept), the reference classifier (p(wiki) >= 0.25) when --quality-model is given; writes
the kept documents to one Parquet file (pyarrow, zstd: id, text, url, lang, lang_score, perplexity,
bucket, wiki_prob), or nothing with --output ''. Prints one JSON line of counts at the end.

    python bench/plain_loop.py --input F1.warc.wet.gz ... --output kept.parquet --lm-dir out/demo/models/lm \\
        --cutoffs out/demo/models/cutoffs.json --quality-model out/demo/models/quality.bin
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", nargs="+", required=True)
    ap.add_argument("--output", default="", help="Parquet file for the kept documents ('' = write nothing)")
    ap.add_argument("--lm-dir", required=True)
    ap.add_argument("--cutoffs")
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
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from filters.langid import default_lid_model_path
    from filters.normalize import dedup_lines, lm_normalize_lines

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

    drops: dict[str, int] = {}

    def drop(reason: str) -> None:
        drops[reason] = drops.get(reason, 0) + 1

    sha1 = hashlib.sha1
    docs: list[tuple[str, str, str, list]] = []  # (id, url, text, keys)
    counts: dict[bytes, int] = {}
    read = 0
    for path in args.input:
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f, record_types=WarcRecordType.conversion, parse_http=False):
                text = rec.reader.read().decode("utf-8", "replace").strip()
                if not text:
                    continue
                read += 1
                if len(text) < args.min_length:
                    drop("too_short")
                    continue
                keys = [sha1(n.encode("utf-8")).digest()[:8] if n else None for n in dedup_lines(text)]
                for k in keys:
                    if k is not None:
                        counts[k] = counts.get(k, 0) + 1
                docs.append((rec.record_id, rec.headers.get("WARC-Target-URI", ""), text, keys))

    rows: dict[str, list] = {k: [] for k in ("id", "text", "url", "lang", "lang_score", "perplexity", "bucket")}
    rows["wiki_prob"] = []
    label = f"__label__{args.lang}"
    for doc_id, url, text, keys in docs:
        text = "\n".join(x for x, k in zip(text.split("\n"), keys) if k is not None and counts[k] < 2)
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
        lines = [x for x in lm_normalize_lines(text) if x]
        log_score, length = 0.0, 0
        for pieces in sp.encode(lines, out_type=str) if lines else []:
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
        wiki = None
        if quality is not None:
            qlabels, qprobs = quality.predict(" ".join(text.lower().split()), k=2)
            wiki = next((float(min(1.0, p)) for q, p in zip(qlabels, qprobs) if q == "__label__wiki"), 0.0)
            if wiki < args.quality_threshold:
                drop("quality_low")
                continue
        for k, v in (
            ("id", doc_id),
            ("text", text),
            ("url", url),
            ("lang", args.lang),
            ("lang_score", round(score, 2)),
            ("perplexity", pp),
            ("bucket", bucket),
            ("wiki_prob", wiki),
        ):
            rows[k].append(v)
    if args.output:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(rows), args.output, compression="zstd")
    stats = {"read": read, "kept": len(rows["id"]), "dropped": drops, "seconds": round(time.perf_counter() - t0, 2)}
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
