"""Check filters/normalize.py against cc_net's own text_normalizer.py, line for line.

cc_net's file is not part of this repository: extract it from a cc_net checkout and pass its path
(it needs only the standard library, so it is imported as it is, without cc_net's other modules):

    git --git-dir=<cc_net>/.git show HEAD:cc_net/text_normalizer.py > /tmp/ccnet_tn/text_normalizer.py
    python bench/check_ccnet_normalize.py /tmp/ccnet_tn/text_normalizer.py

For every line of every document of the corpus (default: the sample CommonCrawl WET files; build them
with `llama-data samples --out data/samples`) and for a set of adversarial lines (every code point,
every punctuation key and non-printing character at the start, middle and end of a line, Unicode
whitespace around them, final sigma), it compares

    dedup_lines(doc)[i]         and normalize_for_dedup(line) with cc_net normalize_for_dedup(line)
    lm_normalize_lines(doc)[i]  and lm_normalize(line)        with cc_net normalize(line)

prints the number of lines compared and of mismatches (a few examples of each), and exits 1 on any
mismatch. With --old PATH (an older filters/normalize.py, e.g. `git show HEAD:filters/normalize.py`)
it also counts the corpus lines whose dedup key differs between that version and this one, and how
many of them change verdict (dropped as empty / unique / duplicated over the whole corpus).
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from filters import normalize as ours  # noqa: E402
from pipeline.sources import reader_for  # noqa: E402
from pipeline.sources.base import SkipCounter  # noqa: E402

EXAMPLES = 5


def load_module(path: str, name: str) -> ModuleType:
    if os.path.isdir(path):
        path = os.path.join(path, "text_normalizer.py")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_docs(pattern: str, source: str) -> Iterator[str]:
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise SystemExit(f"no file matches {pattern!r} (build the samples: llama-data samples --out data/samples)")
    read = reader_for(source)
    skips = SkipCounter()
    for path in paths:
        for doc in read(path, skips):
            yield doc.text
    if skips.counts:
        print(f"reader skipped: {skips.counts}")


def adversarial_lines() -> list[str]:
    """Lines that stress the strip-first order and the whole-document passes. None holds a "\\n", so
    they can also be joined into one document."""
    punct = list(ours.UNICODE_PUNCT)
    non_printing = [chr(c) for c in range(32) if c != 10] + [chr(c) for c in range(127, 160)]
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace() and c != 10]
    marks = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Mn"][:200]
    digits = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Nd"]
    lines = [
        "hello …", "… hello", "…", "… …", " … x … ", "：x", "x：", "。开始", "结束。", "—", "—start",
        "end—", "mid—dle", " — ", "\x01abc", "abc\x7f", "\x01 Abc \x7f", "\x85abc\x85", "a\x85b",
        "１２３ ％", "Fullwidth １", "Ｆｕｌｌ", "．end", "\u3000「Ｑ」\u3000", "ΟΔΟΣ", "Σ", "ΑΣ ΣΑ Σ.",
        "Σ\u0301", "ΑΣ\u0301", "İstanbul", "ǅ", "ß", "ﬁ", "Å", "한국어", "e\u0301\u0327", "a\u0327\u0301",
        "\U0001d7ce\U0001d7cf", "\U000e0100x", "  \t\r", "\r", "x\r", "\x1c\x1dx\x1e\x1f",
    ]  # fmt: skip
    for c in punct + non_printing + spaces + marks + digits[:100]:
        lines += [c, c + "X", "X" + c, c + " X " + c, " " + c + " ", "a" + c + "b", c + c + " " + c]
    for sp in spaces:
        for c in ["…", "—", "\x01", "\x85", "A"]:
            lines += [sp + c + sp + "x" + sp + c + sp, c + sp + c]
    # every code point but "\n", 64 at a time, plain and between a cased letter and a sigma
    chunk = [chr(c) for c in range(0x110000) if c != 10]
    for i in range(0, len(chunk), 64):
        part = "".join(chunk[i : i + 64])
        lines += [part, "Σ" + part + "Σ"]
    return lines


class Tally:
    def __init__(self, name: str) -> None:
        self.name = name
        self.compared = 0
        self.mismatches = 0
        self.examples: list[tuple[str, str, str]] = []

    def check(self, line: str, got: str, want: str) -> None:
        self.compared += 1
        if got != want:
            self.mismatches += 1
            if len(self.examples) < EXAMPLES:
                self.examples.append((line, got, want))

    def report(self) -> None:
        print(f"  {self.name:<52} {self.compared:>9,} lines  {self.mismatches:>6,} mismatches")
        for line, got, want in self.examples:
            print(f"      line {line[:80]!r}\n        ours   {got[:80]!r}\n        cc_net {want[:80]!r}")


def compare(docs: Iterable[str], cc: ModuleType, label: str) -> list[Tally]:
    tallies = [
        Tally(f"{label}: dedup_lines vs normalize_for_dedup"),
        Tally(f"{label}: normalize_for_dedup vs normalize_for_dedup"),
        Tally(f"{label}: lm_normalize_lines vs normalize"),
        Tally(f"{label}: lm_normalize vs normalize"),
    ]
    dl, nd, ll, ln = tallies
    for text in docs:
        lines = text.split("\n")
        dedup, lm = ours.dedup_lines(text), ours.lm_normalize_lines(text)
        if len(dedup) != len(lines) or len(lm) != len(lines):
            dl.check(text, f"{len(dedup)} lines", f"{len(lines)} lines")
            ll.check(text, f"{len(lm)} lines", f"{len(lines)} lines")
            continue
        for line, d, m in zip(lines, dedup, lm):
            want_d, want_m = cc.normalize_for_dedup(line), cc.normalize(line)
            dl.check(line, d, want_d)
            nd.check(line, ours.normalize_for_dedup(line), want_d)
            ll.check(line, m, want_m)
            ln.check(line, ours.lm_normalize(line), want_m)
    return tallies


def verdicts(docs: list[str], dedup_lines: Callable[[str], list[str]]) -> tuple[list[str], list[str]]:
    """Per corpus line (documents in order): its dedup key and its verdict over the whole corpus."""
    keys = [k for text in docs for k in dedup_lines(text)]
    counts = Counter(k for k in keys if k)
    return keys, ["dropped" if not k else "duplicated" if counts[k] >= 2 else "unique" for k in keys]


def moved_lines(docs: list[str], old: ModuleType) -> None:
    old_keys, old_v = verdicts(docs, old.dedup_lines)
    new_keys, new_v = verdicts(docs, ours.dedup_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_keys, new_keys)) if a != b]
    flips = Counter((old_v[i], new_v[i]) for i in changed if old_v[i] != new_v[i])
    kept_flips = sum(n for (a, b), n in flips.items() if (a == "unique") != (b == "unique"))
    print(f"old vs new dedup keys over {len(docs):,} documents, {len(new_keys):,} lines:")
    print(f"  lines whose key changed:            {len(changed):,}")
    print(f"  of those, verdict changed:          {sum(flips.values()):,}")
    for (a, b), n in sorted(flips.items()):
        print(f"      {a} -> {b}: {n:,}")
    print(f"  lines the dedup output would move:  {kept_flips:,} (kept <-> removed)")
    examples = [i for i in changed][:EXAMPLES]
    lines = [line for text in docs for line in text.split("\n")]
    for i in examples:
        print(f"      {lines[i][:70]!r}: {old_keys[i][:70]!r} -> {new_keys[i][:70]!r}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ccnet", help="cc_net's text_normalizer.py (or the folder holding it)")
    p.add_argument("--input", default="data/samples/common_crawl/*.warc.wet.gz", help="corpus glob (%(default)s)")
    p.add_argument("--source", default="common_crawl", help="reader for the corpus (%(default)s)")
    p.add_argument("--old", help="an older filters/normalize.py: count the dedup keys and verdicts that changed")
    args = p.parse_args()

    cc = load_module(args.ccnet, "ccnet_text_normalizer")
    ours.warm_up()
    ok = True
    if dict(cc.UNICODE_PUNCT) != ours.UNICODE_PUNCT or list(cc.UNICODE_PUNCT) != list(ours.UNICODE_PUNCT):
        print("UNICODE_PUNCT differs from cc_net's table")
        ok = False

    docs = list(corpus_docs(args.input, args.source))
    adversarial = adversarial_lines()
    print(f"corpus: {len(docs):,} documents from {args.input}; adversarial: {len(adversarial):,} lines")
    tallies = compare(docs, cc, "corpus")
    # adversarial lines one by one (each its own document) and all together as one document
    tallies += compare(adversarial, cc, "adversarial")
    tallies += compare(["\n".join(adversarial)], cc, "adversarial, one doc")
    for t in tallies:
        t.report()
    mismatches = sum(t.mismatches for t in tallies)
    print(f"total: {sum(t.compared for t in tallies):,} comparisons, {mismatches:,} mismatches")
    ok = ok and mismatches == 0

    if args.old:
        moved_lines(docs, load_module(args.old, "old_normalize"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
