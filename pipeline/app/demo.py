"""`llama-data demo`: the whole stack on the bundled sample corpus, in one command.

samples -> the seven source jobs (Wikipedia first: its text trains the perplexity model and its
external links find the classifier's positives) -> perplexity model, cutoffs, reference classifier
-> the CommonCrawl job (and CCNet's per-language split for en and de) -> benchmark decontamination of
every output against a small evaluation set -> tokenizer -> encode
-> mixture plan + build + verify -> a short CPU training run
-> a summary on the terminal and report.html. Each stage is skipped when its inputs and arguments are
unchanged since it last finished (a stamp per stage), so a rerun only redoes what changed.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable

log = logging.getLogger("llama_data.demo")

ORDER = ("wikipedia", "c4", "github", "books", "arxiv", "stackexchange")
SAMPLE_GLOBS = {
    "common_crawl": ["common_crawl/*.warc.wet.gz", "common_crawl/*.warc.gz"],
    "c4": ["c4/*.json.gz"],
    "github": ["github/*.jsonl.gz", "github/trees/*"],
    "wikipedia": ["wikipedia/*.xml.bz2"],
    "books": ["books/gutenberg/*.txt", "books/books3/*.jsonl.zst"],
    "arxiv": ["arxiv/*"],
    "stackexchange": ["stackexchange/*/Posts.xml"],
}


def _fingerprint(paths: list[str]) -> list[tuple[str, int, int]]:
    out = []
    for p in paths:
        files = [p] if os.path.isfile(p) else sorted(glob.glob(os.path.join(p, "**", "*"), recursive=True))
        for f in files:
            if os.path.isfile(f) and "/.stamps/" not in f:
                st = os.stat(f)
                out.append((f, st.st_size, int(st.st_mtime)))
    return out


class Stages:
    """Runs CLI stages with stamps: a stage reruns only when its argv or input files changed."""

    def __init__(self, out: str, force: bool = False) -> None:
        self.out = out
        self.force = force
        self.stamp_dir = os.path.join(out, ".stamps")
        os.makedirs(self.stamp_dir, exist_ok=True)
        self.timings: dict[str, float] = {}

    def run(self, name: str, argv: list[str], inputs: list[str], outputs: list[str]) -> None:
        from pipeline.app.cli import main

        key = hashlib.sha256(json.dumps([argv, _fingerprint(inputs)]).encode()).hexdigest()
        stamp = os.path.join(self.stamp_dir, name + ".json")
        if not self.force and os.path.exists(stamp) and all(os.path.exists(o) for o in outputs):
            with open(stamp) as f:
                if json.load(f).get("key") == key:
                    print(f"[demo] {name}: up to date, skipped")
                    return
        print(f"[demo] {name}: llama-data {' '.join(argv)}", flush=True)
        t = time.time()
        rc = main(argv)
        if rc:
            raise SystemExit(f"[demo] stage {name} failed (exit {rc})")
        self.timings[name] = round(time.time() - t, 1)
        with open(stamp, "w") as f:
            json.dump({"key": key, "seconds": self.timings[name]}, f)


DEMO_QUESTIONS = (
    "Which planet in our solar system has the most moons according to the latest published count",
    "Name the chemical element whose atomic number is seventy nine and whose symbol is Au",
)


def write_demo_evals(clean: str, path: str, planted: int = 3, words: int = 24) -> str:
    """A small evaluation set for the demo: a passage of `words` words from each of the first `planted`
    Wikipedia articles (by id) and a few questions the samples do not hold. Written only when its content
    changes, so the decontamination stage stays up to date on a rerun."""
    from pipeline.store import read_documents

    items = []
    articles = sorted(read_documents(os.path.join(clean, "wikipedia")), key=lambda d: d.id)
    for doc in articles:
        ws = doc.text.split()
        if len(ws) >= 3 * words:
            middle = len(ws) // 2
            items.append({"id": f"planted-{len(items)}", "question": " ".join(ws[middle : middle + words])})
        if len(items) == planted:
            break
    items += [{"id": f"question-{i}", "question": q} for i, q in enumerate(DEMO_QUESTIONS)]
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return path


def run_demo(
    out: str,
    samples: str | None,
    target: str,
    steps: int,
    vocab: int,
    workers: int,
    force: bool = False,
    summary: Callable[..., None] | None = None,
) -> dict:
    from pipeline.app.samples import ensure_samples

    t0 = time.time()
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    samples = ensure_samples(samples)
    st = Stages(out, force)
    clean, models = os.path.join(out, "clean"), os.path.join(out, "models")
    runner = ["--workers", str(workers)] if workers > 1 else []

    def inputs(source: str) -> list[str]:
        found = []
        for g in SAMPLE_GLOBS[source]:
            found += glob.glob(os.path.join(samples, g))
        return sorted(found)

    for source in ORDER:
        ins = inputs(source)
        st.run(
            f"run-{source}",
            ["run", source, "--input", *ins, "--output", f"{clean}/{source}", *runner],
            ins,
            [f"{clean}/{source}/stats.json"],
        )
    cc_in = inputs("common_crawl")
    lm_dir = os.path.join(models, "lm")
    # one perplexity model per language, each from its own Wikipedia: English for the paper's job, German
    # too for the per-language run below. A small SentencePiece vocabulary suits the sample's ~1 MB of
    # Wikipedia text (CCNet: 65536)
    langs = "en,de"
    st.run(
        "lm-train",
        ["lm", "train", "--lang", langs, "--input", f"{clean}/wikipedia", "--output", lm_dir, "--vocab-size", "8000"],
        [f"{clean}/wikipedia"],
        [f"{lm_dir}/en.arpa.bin", f"{lm_dir}/de.arpa.bin"],
    )
    cutoffs = os.path.join(models, "cutoffs.json")
    st.run(
        "lm-cutoffs",
        [
            "lm",
            "cutoffs",
            "--lang",
            langs,
            "--lm-dir",
            lm_dir,
            "--raw-source",
            "common_crawl",
            "--input",
            *cc_in,
            "--output",
            cutoffs,
        ],
        [lm_dir, *cc_in],
        [cutoffs],
    )
    quality = os.path.join(models, "quality.bin")
    st.run(
        "quality-train",
        [
            "quality",
            "train",
            "--cc",
            *cc_in,
            "--raw-source",
            "common_crawl",
            "--references",
            f"{clean}/wikipedia/external_links",
            "--wiki",
            f"{clean}/wikipedia",
            "--output",
            quality,
        ],
        [f"{clean}/wikipedia", *cc_in],
        [quality],
    )
    st.run(
        "run-common_crawl",
        [
            "run",
            "common_crawl",
            "--input",
            *cc_in,
            "--output",
            f"{clean}/common_crawl",
            "--lm-dir",
            lm_dir,
            "--cutoffs",
            cutoffs,
            "--quality-model",
            quality,
            # a quarter of what it drops, with step and reason: `llama-data inspect ... --dropped REASON`
            "--write-dropped",
            "0.25",
            *runner,
        ],
        [*cc_in, models],
        [f"{clean}/common_crawl/stats.json"],
    )
    # CCNet's own output: every language kept, each in its folder with its own buckets (beside `clean`,
    # whose English CommonCrawl is the paper's and feeds the tokenizer and the mixture)
    by_lang = os.path.join(out, "by_lang", "common_crawl")
    st.run(
        "run-common_crawl-by-lang",
        [
            "run",
            "common_crawl",
            "--input",
            *cc_in,
            "--output",
            by_lang,
            "--langs",
            langs,
            "--split-by-lang",
            "--lm-dir",
            lm_dir,
            "--cutoffs",
            cutoffs,
            *runner,
        ],
        [*cc_in, lm_dir, cutoffs],
        [f"{by_lang}/stats.json"],
    )
    # benchmark decontamination over every cleaned output, against a small evaluation set: passages
    # planted from three Wikipedia articles (so they are found) and questions the samples do not hold
    evals = write_demo_evals(clean, os.path.join(out, "evals", "demo_quiz.jsonl"))
    decontaminated = os.path.join(out, "decontaminated")
    st.run(
        "decontaminate",
        ["decontaminate", "--evals", f"demo_quiz={evals}", "--input", clean, "--output", decontaminated],
        [clean, evals],
        [os.path.join(decontaminated, "decontamination", "summary.json")],
    )
    tok = os.path.join(out, "tokenizer", "llama-sample")
    st.run(
        "tokenizer-train",
        ["tokenizer", "train", "--input", clean, "--output", tok, "--vocab-size", str(vocab)],
        [clean],
        [tok + ".model"],
    )
    tokens = os.path.join(out, "tokens")
    st.run(
        "tokenizer-encode",
        ["tokenizer", "encode", "--tokenizer", tok + ".model", "--input", clean, "--output", tokens, *runner],
        [clean, tok + ".model"],
        [tokens],
    )
    mix = os.path.join(out, "mixtures", "sample")
    st.run("mixture-plan", ["mixture", "plan", "--available", tokens, "--target", target], [tokens], [])
    # The sample's books are ~100k tokens each, more than their share of a small mixture: draw documents
    # in pieces of at most 1/500 of the target (4K at the default 2M), so that every source lands within
    # a piece, well under 0.5 points, of its Table 1 share.
    from mixtures.config import parse_tokens

    pieces = max(256, min(8192, parse_tokens(target) // 500))
    st.run(
        "mixture-build",
        ["mixture", "build", "--tokens", tokens, "--target", target, "--output", mix, "--max-doc-tokens", str(pieces)],
        [tokens],
        [os.path.join(mix, "manifest.json")],
    )
    st.run("mixture-verify", ["mixture", "verify", mix], [mix], [])
    train_out = os.path.join(out, "train")
    st.run(
        "train",
        [
            "train",
            "--mixture",
            mix,
            "--config",
            "tiny",
            "--steps",
            str(steps),
            "--batch-size",
            "8",
            # a stage reruns only when its inputs changed: then an old checkpoint is stale
            "--fresh",
            "--device",
            "cpu",
            "--out",
            train_out,
        ],
        [mix],
        [os.path.join(train_out, "summary.json")],
    )
    from pipeline.app.report import collect, print_summary, write_html

    facts = collect(out, samples)
    facts["wall_seconds"] = round(time.time() - t0, 1)
    facts["stage_seconds"] = st.timings
    print_summary(facts)
    html = write_html(facts, os.path.join(out, "report.html"))
    print(f"\nreport: {html}")
    return facts


def _cmd(args: argparse.Namespace) -> int:
    run_demo(args.out, args.samples, args.target, args.steps, args.vocab_size, args.workers, args.force)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the whole stack on the bundled sample corpus, with a summary and report.html",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="out/demo", help="where everything is written (default out/demo)")
    p.add_argument("--samples", help="sample corpus folder (default: build or reuse the cached one)")
    p.add_argument("--target", default="2M", help="mixture size in tokens (default 2M)")
    p.add_argument(
        "--steps", type=int, default=150, help="training steps of the tiny model, 2048 tokens each (default 150)"
    )
    p.add_argument("--vocab-size", type=int, default=8000, help="tokenizer vocabulary for the samples (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="Beam worker processes per job (default 1: in-process)")
    p.add_argument("--force", action="store_true", help="rerun every stage even when up to date")
    p.set_defaults(func=_cmd)
