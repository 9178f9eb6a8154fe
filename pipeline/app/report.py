"""The demo's summary (terminal) and report.html (matplotlib plots embedded as PNG)."""

from __future__ import annotations

import base64
import contextlib
import glob
import html
import io
import json
import os
from typing import Any

from pipeline.document import SOURCES


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _plan(tokens: str, target: str) -> dict | None:
    from pipeline.app.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["mixture", "plan", "--available", tokens, "--target", target, "--json"])
    try:
        return json.loads(buf.getvalue()) if rc == 0 else None
    except json.JSONDecodeError:
        return None


def collect(out: str, samples: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"out": out, "samples": samples, "sources": {}}
    manifest = _load(os.path.join(samples, "MANIFEST.json")) or {}
    for s in SOURCES:
        stats = _load(os.path.join(out, "clean", s, "stats.json")) or {}
        tok = _load(os.path.join(out, "tokens", s, "summary.json")) or {}
        facts["sources"][s] = {
            "sample_documents": manifest.get("sources", {}).get(s, {}).get("documents"),
            "read": stats.get("read"),
            "kept": stats.get("kept"),
            "dropped": stats.get("dropped", {}),
            "skipped": stats.get("skipped", {}),
            "token_documents": tok.get("documents"),
            "tokens": tok.get("tokens"),
            "bytes_per_token": tok.get("bytes_per_token"),
        }
        if s == "common_crawl":
            facts["dedup_removed_char_share"] = stats.get("dedup.removed_char_share")
    mix_dir = os.path.join(out, "mixtures", "sample")
    mix = _load(os.path.join(mix_dir, "manifest.json"))
    if mix:
        facts["mixture"] = mix
        facts["plan"] = _plan(os.path.join(out, "tokens"), str(mix.get("target_tokens")))
    facts["train"] = _load(os.path.join(out, "train", "summary.json"))
    curve = []
    mpath = os.path.join(out, "train", "metrics.jsonl")
    if os.path.exists(mpath):
        with open(mpath) as f:
            curve = [json.loads(line) for line in f if line.strip()]
    facts["curve"] = curve
    facts["cutoffs"] = _load(os.path.join(out, "models", "cutoffs.json"))
    facts["perplexities"] = _cc_column(out, "perplexity")
    facts["languages"] = _languages(samples)
    facts["decontamination"] = _decontamination(out)
    return facts


def _decontamination(out: str) -> dict[str, dict]:
    """{output folder relative to `out`: its decontamination summary} for every output under `out` that
    has one (`--decontaminate` or `llama-data decontaminate`; see docs/decontamination.md)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(out, "**", "decontamination", "summary.json"), recursive=True)):
        summary = _load(path)
        if summary:
            found[os.path.relpath(os.path.dirname(os.path.dirname(path)), out)] = summary
    return found


def _decontamination_rows(facts: dict) -> list[tuple[str, str, int, int, int, int]]:
    """(output, eval set, items, items found, documents removed, characters removed) per set."""
    rows = []
    for folder, summary in (facts.get("decontamination") or {}).items():
        for name, s in summary.get("eval_sets", {}).items():
            rows.append(
                (
                    folder,
                    name,
                    s.get("items_indexed", 0),
                    s.get("items_found", 0),
                    s.get("documents_removed", 0),
                    s.get("characters_removed", 0),
                )
            )
    return rows


def _cc_column(out: str, column: str) -> list[float]:
    import pyarrow.parquet as pq

    vals: list[float] = []
    for p in sorted(glob.glob(os.path.join(out, "clean", "common_crawl", "*.parquet"))):
        if column in pq.read_schema(p).names:  # one column, not the whole shard with its text
            vals += [v for v in pq.read_table(p, columns=[column])[column].to_pylist() if v is not None]
    return vals


def _languages(samples: str) -> dict[str, int]:
    """Language distribution of the raw CommonCrawl sample (fastText lid.176)."""
    from filters.langid import default_lid_model_path, load_fasttext, predict_lang
    from pipeline.sources import reader_for
    from pipeline.sources.base import SkipCounter

    model = load_fasttext(default_lid_model_path())
    read, counts = reader_for("common_crawl"), {}
    for f in sorted(glob.glob(os.path.join(samples, "common_crawl", "*.warc.wet.gz"))):
        for d in read(f, SkipCounter()):
            lang, _ = predict_lang(model, d.text)
            counts[lang] = counts.get(lang, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _shares(facts: dict) -> list[tuple[str, float, float]]:
    mix = facts.get("mixture") or {}
    srcs = mix.get("sources", {})
    total = sum(v.get("tokens_taken", 0) for v in srcs.values()) or 1
    return [(s, v.get("proportion", 0.0), v.get("tokens_taken", 0) / total) for s, v in srcs.items()]


def print_summary(facts: dict) -> None:
    print("\n================ llama-data demo summary ================")
    print(
        f"{'source':14s} {'sample docs':>11s} {'read':>6s} {'kept':>6s} {'tokens':>10s} {'B/token':>8s}  "
        "top drop reasons"
    )
    for s, f in facts["sources"].items():
        reasons = sorted(f["dropped"].items(), key=lambda kv: -kv[1])[:3]
        print(
            f"{s:14s} {f['sample_documents'] or 0:11d} {f['read'] or 0:6d} {f['kept'] or 0:6d} "
            f"{f['tokens'] or 0:10d} {f['bytes_per_token'] or 0:8.2f}  " + ", ".join(f"{r} {n}" for r, n in reasons)
        )
    if facts.get("dedup_removed_char_share") is not None:
        print(f"CommonCrawl line dedup removed {facts['dedup_removed_char_share'] * 100:.1f}% of characters")
    rows = _decontamination_rows(facts)
    if rows:
        print("\ndecontamination (n-gram overlap with evaluation sets):")
        print(
            f"{'output':24s} {'eval set':16s} {'items':>7s} {'found':>6s} {'docs removed':>12s} {'chars removed':>13s}"
        )
        for folder, name, items, found, docs, chars in rows:
            print(f"{folder:24s} {name:16s} {items:7d} {found:6d} {docs:12d} {chars:13d}")
    plan = facts.get("plan")
    if plan:
        print(f"\nmixture plan at {plan['target_tokens']:,} tokens:")
        print(f"{'source':14s} {'proportion':>10s} {'available':>12s} {'budget':>12s} {'epochs':>7s}")
        for s, p in plan["sources"].items():
            print(
                f"{s:14s} {p['proportion'] * 100:9.1f}% {p['available_tokens']:12,d} {p['budget_tokens']:12,d} "
                f"{p['epochs']:7.2f}"
            )
    shares = _shares(facts)
    if shares:
        print("\nmixture shares (built) against Table 1:")
        worst = 0.0
        for s, want, got in shares:
            worst = max(worst, abs(got - want) * 100)
            print(f"  {s:14s} {got * 100:6.2f}%  (Table 1: {want * 100:.1f}%)")
        print(f"  largest deviation: {worst:.2f} percentage points")
    t = facts.get("train")
    if t:
        print(
            f"\ntraining: loss {t.get('first_loss', float('nan')):.3f} -> {t.get('last_loss', float('nan')):.3f}, "
            f"validation {t.get('final_val_loss', float('nan')):.3f} vs unigram entropy "
            f"{t.get('unigram_entropy_nats', float('nan')):.3f} nats; {t.get('tokens_per_s', 0):.0f} tokens/s"
        )
    print(f"\neverything is under {facts['out']}  (clean/, models/, tokenizer/, tokens/, mixtures/, train/)")
    if "wall_seconds" in facts:
        print(f"demo wall time: {facts['wall_seconds']} s; stages: {facts.get('stage_seconds')}")


def _png(fig) -> str:  # noqa: ANN001
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def write_html(facts: dict, path: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs: list[tuple[str, str]] = []
    # kept / dropped per reason per source
    fig, ax = plt.subplots(figsize=(10, 4))
    names = list(facts["sources"])
    reasons = sorted({r for f in facts["sources"].values() for r in f["dropped"]})
    bottom = [facts["sources"][s]["kept"] or 0 for s in names]
    ax.bar(names, bottom, label="kept", color="#2a7")
    for r in reasons:
        vals = [facts["sources"][s]["dropped"].get(r, 0) for s in names]
        ax.bar(names, vals, bottom=bottom, label=r)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel("documents")
    ax.legend(fontsize=6, ncol=2)
    ax.tick_params(axis="x", rotation=20)
    figs.append(("Kept and dropped documents per reason, per source", _png(fig)))
    # perplexity histogram with cutoffs
    if facts.get("perplexities"):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.hist(facts["perplexities"], bins=30, color="#58a")
        cut = (facts.get("cutoffs") or {}).get("en")
        if cut:
            for q, c in (("p30", "#d62"), ("p60", "#a2d")):
                ax.axvline(cut[q], color=c, linestyle="--", label=f"{q} = {cut[q]}")
            ax.legend()
        ax.set_xlabel("document perplexity (kept CommonCrawl documents)")
        figs.append(("Perplexity of kept CommonCrawl documents, with the bucket cutoffs", _png(fig)))
    if facts.get("languages"):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        langs = list(facts["languages"].items())[:15]
        ax.bar([k for k, _ in langs], [v for _, v in langs], color="#c84")
        ax.set_ylabel("documents")
        figs.append(("Languages of the raw CommonCrawl sample (fastText lid.176)", _png(fig)))
    shares = _shares(facts)
    if shares:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        x = range(len(shares))
        ax.bar([i - 0.2 for i in x], [w * 100 for _, w, _ in shares], width=0.4, label="Table 1")
        ax.bar([i + 0.2 for i in x], [g * 100 for _, _, g in shares], width=0.4, label="built mixture")
        ax.set_xticks(list(x), [s for s, _, _ in shares], rotation=20)
        ax.set_ylabel("% of tokens")
        ax.legend()
        figs.append(("Token share per source against Table 1", _png(fig)))
    curve = [c for c in facts.get("curve", []) if "loss" in c]
    if curve:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot([c["step"] for c in curve], [c["loss"] for c in curve], label="train loss")
        ev = [c for c in facts["curve"] if "val_loss" in c]
        if ev:
            ax.plot([c["step"] for c in ev], [c["val_loss"] for c in ev], "o-", label="validation loss")
        ent = (facts.get("train") or {}).get("unigram_entropy_nats")
        if ent:
            ax.axhline(ent, color="grey", linestyle=":", label="unigram entropy")
        ax.set_xlabel("step")
        ax.set_ylabel("loss (nats)")
        ax.legend()
        figs.append(("Training loss of the tiny LLaMA", _png(fig)))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_summary(facts)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>llama-data demo report</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{background:#f4f4f4;"
        "padding:1em;overflow-x:auto}</style></head><body><h1>llama-data demo report</h1>",
        f"<pre>{html.escape(buf.getvalue())}</pre>",
    ]
    rows = _decontamination_rows(facts)
    if rows:
        head = ("output", "eval set", "items", "items found", "documents removed", "characters removed")
        parts.append("<h2>Decontamination against evaluation sets</h2><table border='1' cellpadding='4'>")
        parts.append("<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
    for title, png in figs:
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>")
    parts.append("</body></html>")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    os.replace(tmp, path)
    return path
