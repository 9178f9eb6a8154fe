"""Train CCNet's perplexity models here (nothing pretrained can be downloaded): per language a
SentencePiece unigram model and a 5-gram KenLM model on the LM-normalised text of cleaned Wikipedia,
as cc_net's Makefile does (`spm_train --vocab_size=65536`, `lmplz -o 5 --discount_fallback`,
`build_binary`). Also the bucket cutoffs: the 30th / 60th percentile perplexities of a reference set.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable

from filters.normalize import lm_normalize_lines, warm_up
from filters.perplexity import DocScorer, lm_paths

log = logging.getLogger(__name__)


def kenlm_binary(name: str) -> str:
    """lmplz / build_binary: $LLAMA_DATA_KENLM_BIN, then the `make setup` cache, then PATH."""
    candidates = []
    if os.environ.get("LLAMA_DATA_KENLM_BIN"):
        candidates.append(os.path.join(os.environ["LLAMA_DATA_KENLM_BIN"], name))
    cache = os.environ.get("LLAMA_DATA_CACHE", os.path.expanduser("~/.cache/llama-data"))
    candidates.append(os.path.join(cache, "kenlm", "bin", name))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"KenLM's {name} not found (looked in {', '.join(candidates)} and PATH); run `make setup`")


def write_normalized_corpus(texts: Iterable[str], path: str, max_docs: int = 1_000_000) -> tuple[int, int]:
    """LM-normalised lines, one per line (CCNet trains on the first 1M Wikipedia documents)."""
    warm_up()
    docs = lines = 0
    with open(path, "w", encoding="utf-8") as f:
        for text in texts:
            if docs >= max_docs:
                break
            docs += 1
            for line in lm_normalize_lines(text):
                if line:
                    f.write(line + "\n")
                    lines += 1
    return docs, lines


def train_lm(
    texts: Iterable[str],
    lang: str,
    output: str,
    vocab_size: int = 65536,
    order: int = 5,
    memory: str = "20%",
    max_docs: int = 1_000_000,
    seed: int = 0,
) -> dict:
    """Writes {output}/{lang}.sp.model, {lang}.arpa.bin and {lang}.lm.json; returns the metadata."""
    import sentencepiece as spm

    os.makedirs(output, exist_ok=True)
    sp_path, lm_path = lm_paths(output, lang)
    lmplz, build_binary = kenlm_binary("lmplz"), kenlm_binary("build_binary")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix=f"lm-{lang}-") as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        docs, lines = write_normalized_corpus(texts, corpus, max_docs)
        if lines == 0:
            raise ValueError(f"no text to train the {lang} language model on")
        log.info("%s: %d documents, %d lines normalised", lang, docs, lines)
        prefix = os.path.join(tmp, "sp")
        spm.set_random_generator_seed(seed)
        # hard_vocab_limit=False lets a small corpus end with fewer pieces instead of failing
        # (cc_net retries with 40000; on the bundled samples far fewer pieces exist).
        spm.SentencePieceTrainer.train(
            input=corpus,
            model_prefix=prefix,
            model_type="unigram",
            vocab_size=vocab_size,
            hard_vocab_limit=False,
            character_coverage=0.9995,
            input_sentence_size=10_000_000,
            shuffle_input_sentence=True,
            seed_sentencepiece_size=1_000_000,
            num_threads=os.cpu_count() or 1,
            minloglevel=2,
        )
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
        pieces = os.path.join(tmp, "pieces.txt")
        with open(corpus, encoding="utf-8") as src, open(pieces, "w", encoding="utf-8") as dst:
            batch: list[str] = []
            for line in src:
                batch.append(line.rstrip("\n"))
                if len(batch) == 10000:
                    dst.writelines(" ".join(p) + "\n" for p in sp.encode(batch, out_type=str))
                    batch = []
            if batch:
                dst.writelines(" ".join(p) + "\n" for p in sp.encode(batch, out_type=str))
        arpa = os.path.join(tmp, "lm.arpa")
        log.info("%s: lmplz -o %d -S %s", lang, order, memory)
        with open(pieces, "rb") as fin, open(arpa, "wb") as fout:
            proc = subprocess.run(
                [lmplz, "-o", str(order), "-S", memory, "-T", tmp, "--discount_fallback"],
                stdin=fin,
                stdout=fout,
                stderr=subprocess.PIPE,
            )
        if proc.returncode != 0:
            raise RuntimeError(f"lmplz failed: {proc.stderr.decode(errors='replace')[-2000:]}")
        binary = os.path.join(tmp, "lm.bin")
        proc = subprocess.run([build_binary, arpa, binary], capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError(f"build_binary failed: {proc.stderr.decode(errors='replace')[-2000:]}")
        shutil.move(prefix + ".model", sp_path)
        shutil.move(binary, lm_path)
        vocab = sp.get_piece_size()
    meta = {
        "lang": lang,
        "documents": docs,
        "lines": lines,
        "sp_vocab_size": vocab,
        "order": order,
        "sp_model": os.path.basename(sp_path),
        "kenlm_model": os.path.basename(lm_path),
        "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(output, f"{lang}.lm.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
    return meta


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile of an ascending list (numpy's default method)."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def compute_cutoffs(texts: Iterable[str], lm_dir: str, lang: str) -> dict:
    """The 30th and 60th percentile document perplexities of `texts` (CCNet's head/middle/tail edges)."""
    sp, lm = lm_paths(lm_dir, lang)
    scorer = DocScorer(sp, lm)
    pps = sorted(pp for t in texts if (pp := scorer.perplexity(t)) is not None)
    if len(pps) < 3:
        raise ValueError(f"need at least 3 scored documents for cutoffs, got {len(pps)}")
    return {"p30": round(percentile(pps, 30), 1), "p60": round(percentile(pps, 60), 1), "documents": len(pps)}
