"""CCNet perplexity scoring and buckets (cc_net perplexity.py; paper section 3.3).

Per language: the text is LM-normalised line by line (filters/normalize.py), cut into SentencePiece
pieces, and scored by a KenLM 5-gram. Document perplexity:
    pp = 10 ** (-sum(log10 P(line)) / sum(len(pieces of line) + 1))
(the +1 is the end-of-sentence token KenLM scores for each line), rounded to 0.1 as CCNet.
Buckets: head if pp < p30 cutoff, middle if < p60, else tail (CCNet's 30/60 percentiles; English
defaults 340 / 520 from cc_net's cutoff.csv). Languages without a model get bucket "all".
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from filters.base import Drop, SimpleStep, StepResult, local_path
from filters.normalize import lm_normalize, lm_normalize_lines, warm_up
from pipeline.document import Document, Meta

DEFAULT_CUTOFFS: dict[str, tuple[float, float]] = {"en": (340.0, 520.0)}
BUCKETS = ("head", "middle", "tail")
KEEP_BUCKETS = ("head", "middle")  # kept by default, as RedPajama


def lm_paths(lm_dir: str, lang: str) -> tuple[str, str]:
    """CCNet's file names: {lang}.sp.model and {lang}.arpa.bin."""
    return os.path.join(lm_dir, f"{lang}.sp.model"), os.path.join(lm_dir, f"{lang}.arpa.bin")


class DocScorer:
    """SentencePiece + KenLM for one language; `perplexity(text)` is the CCNet document perplexity."""

    def __init__(self, sp_model: str, kenlm_model: str) -> None:
        import kenlm
        import sentencepiece as spm

        for p in (sp_model, kenlm_model):
            if not os.path.exists(p):
                raise FileNotFoundError(f"perplexity model file missing: {p} (build it with `llama-data lm train`)")
        self.sp = spm.SentencePieceProcessor(model_file=sp_model)
        config = kenlm.Config()
        config.load_method = kenlm.LoadMethod.POPULATE_OR_READ  # mmap + populate, as CCNet (load_method 2)
        self.lm = kenlm.Model(kenlm_model, config)

    def tokenize_lines(self, text: str) -> list[str]:
        lines = [line for line in lm_normalize_lines(text) if line]
        if not lines:
            return []
        # one batched call for the whole document instead of one per line
        return [" ".join(pieces) for pieces in self.sp.encode(lines, out_type=str)]

    def document_perplexity(self, text: str) -> float | None:
        """Released cc_net: the whole page normalised into one line, scored as one sentence."""
        norm = lm_normalize(text)  # cc_net's normalize on the whole text: "\n" goes as non-printing
        if not norm:
            return None
        pieces = self.sp.encode(norm, out_type=str)
        if not pieces:
            return None
        return round(10.0 ** (-self.lm.score(" ".join(pieces)) / (len(pieces) + 1)), 1)

    def perplexity(self, text: str) -> float | None:
        log_score, length = 0.0, 0
        score = self.lm.score
        for line in self.tokenize_lines(text):
            log_score += score(line)
            length += line.count(" ") + 2  # len(line.split()) + 1: pieces never contain spaces
        if length == 0:
            return None
        return round(10.0 ** (-log_score / length), 1)


def perplexity_from_scores(line_log10: Sequence[float], line_words: Sequence[int]) -> float:
    """The formula on its own, for tests and for readers of this code."""
    return 10.0 ** (-sum(line_log10) / sum(n + 1 for n in line_words))


def load_cutoffs(path: str | None) -> dict[str, tuple[float, float]]:
    """A cutoffs file is JSON: {"en": {"p30": 340.0, "p60": 520.0}, ...}."""
    if path is None:
        return dict(DEFAULT_CUTOFFS)
    expected = f'{path}: not a cutoffs file (JSON such as {{"en": {{"p30": 340, "p60": 520}}}})'
    with open(path, encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{expected}: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(expected)
    out = {}
    for lang, c in raw.items():
        if not isinstance(c, dict) or "p30" not in c or "p60" not in c:
            raise ValueError(f"{path}: cutoffs for {lang!r} need p30 and p60")
        lo, hi = float(c["p30"]), float(c["p60"])
        if lo > hi:
            raise ValueError(f"{path}: {lang} p30 {lo} > p60 {hi}")
        out[lang] = (lo, hi)
    return out


def bucket_of(pp: float, cutoffs: tuple[float, float]) -> str:
    """head: pp < p30; middle: p30 <= pp < p60; tail: pp >= p60 (CCNet PerplexityBucket)."""
    if pp < cutoffs[0]:
        return "head"
    if pp < cutoffs[1]:
        return "middle"
    return "tail"


class PerplexityStep(SimpleStep):
    """Score perplexity per language (meta `perplexity`); documents of a language without a model
    pass with no score. Empty-after-normalisation documents are dropped. `semantics="ccnet"` scores
    the page as one line, as released cc_net does (see DocScorer.document_perplexity)."""

    name = "perplexity"

    def __init__(self, lm_dir: str, langs: Sequence[str], semantics: str = "paper") -> None:
        self.whole_document = semantics == "ccnet"
        self.lm_dir = lm_dir
        self.langs = tuple(langs)
        self._scorers: dict[str, DocScorer] | None = None

    def setup(self) -> None:
        if self._scorers is not None:
            return
        warm_up()
        self._scorers = {}
        for lang in self.langs:
            sp, lm = (local_path(p) for p in lm_paths(self.lm_dir, lang))
            if os.path.exists(sp) and os.path.exists(lm):
                self._scorers[lang] = DocScorer(sp, lm)
        if not self._scorers:
            raise FileNotFoundError(f"no perplexity model for {', '.join(self.langs)} in {self.lm_dir}")

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_scorers": None}

    def __call__(self, doc: Document) -> StepResult:
        if self._scorers is None:
            self.setup()
        scorer = self._scorers.get(doc.meta.get(Meta.LANG, ""))  # type: ignore[union-attr]
        if scorer is None:
            return doc
        pp = scorer.document_perplexity(doc.text) if self.whole_document else scorer.perplexity(doc.text)
        if pp is None:
            return Drop("empty_after_normalisation")
        return doc.with_text(doc.text, **{Meta.PERPLEXITY: pp})


class BucketStep(SimpleStep):
    """Assign head/middle/tail and keep the selected buckets (default head + middle, as RedPajama)."""

    name = "bucket"

    def __init__(self, cutoffs: dict[str, tuple[float, float]], keep: Sequence[str] = KEEP_BUCKETS) -> None:
        bad = set(keep) - set(BUCKETS) - {"all"}
        if bad:
            raise ValueError(f"unknown bucket(s) {sorted(bad)}; expected head, middle, tail")
        self.cutoffs = cutoffs
        self.keep = frozenset(keep)

    def __call__(self, doc: Document) -> StepResult:
        pp = doc.meta.get(Meta.PERPLEXITY)
        lang = doc.meta.get(Meta.LANG, "")
        if pp is None or lang not in self.cutoffs:
            bucket = "all"  # CCNet: languages without a model are not bucketed
        else:
            bucket = bucket_of(float(pp), self.cutoffs[lang])
        if bucket != "all" and bucket not in self.keep:
            return Drop(f"bucket_{bucket}")
        return doc.with_text(doc.text, **{Meta.BUCKET: bucket})
