"""The LLaMA reference classifier: a fastText linear model of "pages used as references in Wikipedia"
vs random CommonCrawl pages (LLaMA paper section 2.1); keep p(wiki) >= threshold (0.25, RedPajama)."""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Iterable

from filters.base import Drop, SimpleStep, StepResult, local_path
from filters.langid import load_fasttext
from pipeline.document import Document, Meta

POSITIVE = "__label__wiki"
NEGATIVE = "__label__cc"
QUALITY_THRESHOLD = 0.25  # keep p(wiki) >= this (RedPajama's cut for the classifier)


def classifier_text(text: str) -> str:
    """One line, lower-cased, whitespace collapsed: fastText reads one example per line."""
    return " ".join(text.lower().split())


def train_classifier(
    positives: Iterable[str],
    negatives: Iterable[str],
    output: str,
    seed: int = 0,
    epoch: int = 5,
    lr: float = 0.1,
    word_ngrams: int = 2,
    dim: int = 64,
    buckets: int = 200_000,
    metadata: dict | None = None,
) -> dict:
    """Train fastText supervised; writes `output` (the .bin) and `output + ".json"` (metadata)."""
    import fasttext

    rows = [f"{POSITIVE} {classifier_text(t)}" for t in positives]
    n_pos = len(rows)
    rows += [f"{NEGATIVE} {classifier_text(t)}" for t in negatives]
    n_neg = len(rows) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"need positives and negatives to train (got {n_pos} and {n_neg})")
    random.Random(seed).shuffle(rows)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
        train_file = f.name
    try:
        fasttext.FastText.eprint = lambda *a, **k: None
        model = fasttext.train_supervised(
            input=train_file,
            epoch=epoch,
            lr=lr,
            wordNgrams=word_ngrams,
            dim=dim,
            seed=seed,
            thread=1,
            verbose=0,
            minCount=1,
            # fastText's default 2M hash buckets x dim floats is 512 MB per
            # worker at dim 64; 200k buckets keep the model at ~50 MB
            bucket=buckets,
        )
        _, precision, _ = model.test(train_file)
    finally:
        os.unlink(train_file)
    tmp = output + ".tmp"
    model.save_model(tmp)
    os.replace(tmp, output)
    meta = {
        "positives": n_pos,
        "negatives": n_neg,
        "seed": seed,
        "epoch": epoch,
        "lr": lr,
        "word_ngrams": word_ngrams,
        "dim": dim,
        "buckets": buckets,
        "train_precision_at_1": round(precision, 4),
        **(metadata or {}),
    }
    with open(output + ".json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
    return meta


def wiki_probability(model, text: str) -> float:  # noqa: ANN001
    labels, probs = model.predict(classifier_text(text), k=2)
    for label, p in zip(labels, probs):
        if label == POSITIVE:
            return float(min(1.0, p))
    return 0.0


class QualityStep(SimpleStep):
    """Score p(wiki) into meta `wiki_prob` and keep documents at or above the threshold."""

    name = "quality"

    def __init__(self, model_path: str, threshold: float = QUALITY_THRESHOLD) -> None:
        self.model_path = model_path
        self.threshold = threshold
        self._model = None

    def setup(self) -> None:
        if self._model is None:
            self._model = load_fasttext(local_path(self.model_path))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_model": None}

    def __call__(self, doc: Document) -> StepResult:
        if self._model is None:
            self.setup()
        p = round(wiki_probability(self._model, doc.text), 4)
        if p < self.threshold:
            return Drop("quality_low")
        return doc.with_text(doc.text, **{Meta.WIKI_PROB: p})
