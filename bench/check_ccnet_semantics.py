"""Check `llama-data run common_crawl --semantics ccnet` against released cc_net, run as it is.

cc_net is not part of this repository and none of its code is copied here: extract a checkout and pass
its path; its modules are imported from there at run time.

    git --git-dir=<cc_net>/.git archive HEAD | tar -x -C /tmp/ccnet_src
    python bench/check_ccnet_semantics.py --ccnet /tmp/ccnet_src [--deps /tmp/ccnet_deps]

cc_net's modules import a few packages that this project does not need (psutil, requests and
typing_extensions for jsonql; func_argparse and bs4 for process_wet_file; pandas for perplexity).
Where the interpreter lacks them, install them outside the project's environment and pass the folder:

    pip install --target /tmp/ccnet_deps --no-deps psutil func_argparse beautifulsoup4 soupsieve \\
        pandas python-dateutil six pytz tzdata

What runs on the cc_net side is cc_net's own classes, in mine.py's order and with its defaults
(`_hashes_shard` then `_mine_shard`, DEFAULT_PIPELINE up to the buckets), each input file being one
cc_net shard and every shard's hashes in memory at once (`hash_in_mem` >= number of files), which is
our `--dedup-group-files 0` (the whole input is one dedup group):

1. `process_wet_file.CCSegmentsReader` (min_len 300) reads each WET file (given as a cached segment,
   so nothing is downloaded): `group_by_docs` + `parse_doc`;
2. `dedup.HashesCollector` writes one hash file per input file;
3. `dedup.DuplicatesRemover` over all the hash files, `split_by_lang.Classifier` (lid.176, threshold
   0.5), keep `--langs`, `perplexity.MultiSentencePiece` (normalize=True), `perplexity.DocLM`
   (normalize=False, on the tokenized field), `perplexity.PerplexityBucket` (a cutoff CSV written from
   `--cutoffs`' p30/p60), `perplexity.DropKeys`, then `jsonql.where` keeping `--keep-buckets` (mine.py's
   keep_bucket step).

Our side is `llama-data run common_crawl --semantics S` on the same files, without a reference
classifier (cc_net has none). Documents are matched on (url, WARC-Block-Digest): cc_net keeps no
record id. For each semantics the script prints the documents kept by each side, shared, only ours,
only cc_net, and for the shared ones how many agree on text, title, perplexity (within 0.1),
lang_score, language and bucket, with a few examples of each difference and, for documents one side
dropped, the cc_net stage that dropped it or cc_net's values for it.

It also prints how many documents pass each stage on each side, and compares the metadata cc_net
writes under the same names (original_length, original_nlines, and timestamp against date_download);
those are part of the check only with --check-meta. --edge-cases adds a generated WET file of corner
cases (the min_len boundary, a body line reading "WARC/1.0", line breaks and separators, line dedup
inside a page, across pages and after normalisation) to the input.

Exit status: 1 when the `ccnet` semantics differs from cc_net in anything checked; the `paper` run
(`--semantics ccnet paper`, the default) is printed for contrast and never fails the check.
"""

from __future__ import annotations

import argparse
import difflib
import glob
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from pipeline.store import read_documents, read_stats  # noqa: E402

DEFAULT_INPUT = os.path.join(REPO, "data", "samples", "common_crawl", "*.warc.wet.gz")
DEFAULT_LM_DIR = os.path.join(REPO, "out", "demo", "models", "lm")
DEFAULT_CUTOFFS = os.path.join(REPO, "out", "demo", "models", "cutoffs.json")
PP_TOLERANCE = 0.1
MIN_LEN = 300  # cc_net's Config.min_len and our --min-length default
SCORE_TOLERANCE = 1e-6

# cc_net's stages as the trace names them: the last one a document reached tells where it was dropped
STAGES = ("parsed", "dedup", "lid", "keep_lang", "perplexity", "keep_bucket")
DROPPED_AT = {
    "parsed": "dedup (every line a duplicate, or empty)",
    "dedup": "lid (language score below the threshold, or empty text)",
    "lid": "keep_lang (another language)",
    "keep_lang": "perplexity (never dropped there)",
    "perplexity": "keep_bucket (bucket not kept)",
}


# ---------------------------------------------------------------------------------------------- cc_net


def import_ccnet(ccnet: str, deps: Sequence[str]) -> dict[str, Any]:
    root = os.path.abspath(ccnet)
    if not os.path.isfile(os.path.join(root, "cc_net", "dedup.py")):
        raise SystemExit(f"--ccnet {ccnet}: no cc_net/dedup.py there (extract a cc_net checkout)")
    for p in reversed([root, *map(os.path.abspath, deps)]):
        sys.path.insert(0, p)
    try:
        from cc_net import dedup, jsonql, perplexity, process_wet_file, split_by_lang
    except ImportError as exc:
        raise SystemExit(
            f"cannot import cc_net's modules ({exc}); install what they need outside the project "
            "(`pip install --target DIR --no-deps ...`, see this file's docstring) and pass --deps DIR"
        ) from exc
    return {
        "dedup": dedup,
        "jsonql": jsonql,
        "perplexity": perplexity,
        "process_wet_file": process_wet_file,
        "split_by_lang": split_by_lang,
    }


def write_cutoff_csv(cutoffs_json: str, path: Path) -> None:
    """cc_net's cutoff.csv layout: one row per percentile, one column per language."""
    with open(cutoffs_json, encoding="utf-8") as f:
        raw = json.load(f)
    langs = sorted(raw)
    rows = ["," + ",".join(langs)]
    for pct in ("p30", "p60"):
        rows.append(pct[1:] + "," + ",".join(str(float(raw[lang][pct])) for lang in langs))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def run_ccnet(
    cc: dict[str, Any],
    files: Sequence[str],
    work: Path,
    lm_dir: str,
    cutoffs_json: str,
    lid_model: str,
    langs: Sequence[str],
    keep_buckets: Sequence[str],
    min_len: int = 300,
    lang_threshold: float = 0.5,
) -> tuple[list[dict], Counter, dict[tuple[str, str], str], dict[tuple[str, str], dict]]:
    """cc_net's hashes + mine steps on `files` (one shard each). Returns the kept documents, the number
    of documents reaching each stage, the furthest stage each (url, digest) reached, and per (url,
    digest) the characters min_len saw and the document as it left dedup (for diagnostics)."""
    dedup, jsonql, perplexity = cc["dedup"], cc["jsonql"], cc["perplexity"]
    process_wet_file, split_by_lang = cc["process_wet_file"], cc["split_by_lang"]

    trace: dict[tuple[str, str], str] = {}  # (url, digest) -> the furthest stage any copy reached
    notes: dict[tuple[str, str], dict] = {}  # (url, digest) -> chars read (min_len's count), copy after dedup
    reached: Counter = Counter()  # stage -> documents (not keys: a page can be in the input twice)

    class Trace(jsonql.Transformer):
        """Records the stage a document reached; passes it on untouched."""

        def __init__(self, stage: str, keep_copy: bool = False) -> None:
            super().__init__()
            self.stage = stage
            self.keep_copy = keep_copy

        def do(self, doc: dict) -> dict | None:
            if doc:
                key = (doc["url"], doc["digest"])
                reached[self.stage] += 1
                if STAGES.index(self.stage) >= STAGES.index(trace.get(key, STAGES[0])):
                    trace[key] = self.stage
                if self.stage == "parsed":
                    notes.setdefault(key, {})["read_chars"] = len(doc["raw_content"])
                if self.keep_copy:
                    notes.setdefault(key, {})["after_dedup"] = dict(doc)
            return doc

    def shard(path: str):  # noqa: ANN202
        p = Path(path).resolve()
        # a segment whose cached file exists is read from it (jsonql.open_remote_file), never downloaded
        return process_wet_file.CCSegmentsReader([p.name], min_len=min_len, cache_dir=p.parent)

    # every conversion record, before min_len (parse_warc_file with min_len 0)
    for path in files:
        p = Path(path).resolve()
        reached["read"] += sum(1 for _ in process_wet_file.CCSegmentsReader([p.name], min_len=0, cache_dir=p.parent))

    # mine.py `hashes`: one HashesCollector per shard
    hash_files = []
    for i, path in enumerate(files):
        out = work / f"hashes_{i:04d}.bin"
        jsonql.run_pipes(dedup.HashesCollector(field="raw_content", output=out), inputs=shard(path))
        if out.exists():  # a shard without documents writes no hash file
            hash_files.append(out)

    cutoff_csv = work / "cutoff.csv"
    write_cutoff_csv(cutoffs_json, cutoff_csv)
    lm = Path(lm_dir)
    kept: list[dict] = []
    lang_set = set(langs)
    for i, path in enumerate(files):
        steps = [
            Trace("parsed"),
            dedup.DuplicatesRemover(field="raw_content", hashes_files=hash_files),
            Trace("dedup", keep_copy=True),
            split_by_lang.Classifier(
                model=Path(lid_model), field="raw_content", out_field="language", top=1, threshold=lang_threshold
            ),
            Trace("lid"),
            jsonql.where([lambda doc, keep=lang_set: doc.get("language") in keep]),  # mine.py keep_lang
            Trace("keep_lang"),
            perplexity.MultiSentencePiece(
                {lang: lm / f"{lang}.sp.model" for lang in langs},
                field="raw_content",
                output_field="tokenized",
                normalize=True,
            ),
            perplexity.DocLM(
                {lang: lm / f"{lang}.arpa.bin" for lang in langs},
                field="tokenized",
                output_field="perplexity",
                normalize=False,
            ),
            perplexity.PerplexityBucket(cutoff_csv),
            perplexity.DropKeys("tokenized"),
            Trace("perplexity"),
            jsonql.where([lambda doc, keep=keep_buckets: doc.get("bucket", "all") in keep]),  # mine.py keep_bucket
            Trace("keep_bucket"),
        ]
        out = work / f"mined_{i:04d}.json"
        jsonql.run_pipes(*steps, inputs=shard(path), processes=1, output=out)
        kept.extend(jsonql.read_jsons(out))
    return kept, reached, trace, notes


# ---------------------------------------------------------------------------------------------- ours


def run_ours(
    files: Sequence[str], out_dir: Path, semantics: str, lm_dir: str, cutoffs: str, extra: Sequence[str]
) -> tuple[list, dict]:
    """`llama-data run common_crawl` (no reference classifier); its kept documents and stats.json."""
    cmd = [
        sys.executable, "-m", "pipeline.app.cli", "run", "common_crawl",
        "--input", *files, "--output", str(out_dir), "--semantics", semantics,
        "--lm-dir", lm_dir, "--cutoffs", cutoffs, *extra,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"our pipeline failed ({proc.returncode}): {' '.join(cmd)}")
    return list(read_documents(str(out_dir))), read_stats(str(out_dir))


def ours_read_lengths(files: Sequence[str], semantics: str) -> dict[tuple[str, str], int]:
    """What our min_len step measures for each document: its text after our reader (and, for
    `ccnet`, after the title is taken out)."""
    from filters.ccnet import CCNetPage
    from pipeline.sources import reader_for
    from pipeline.sources.base import SkipCounter

    read, page, out = reader_for("common_crawl"), CCNetPage(), {}
    for path in files:
        for doc in read(path, SkipCounter()):
            if semantics == "ccnet":
                doc = page(doc)
            out[(doc.meta.get("url", ""), doc.meta.get("digest", ""))] = len(doc.text)
    return out


# ---------------------------------------------------------------------------------------------- compare

# (cc_net trace stage, what passing it means, our drop reasons that stand for failing it)
STAGE_ROWS = (
    ("read", "conversion records read", ()),
    ("parsed", "at least min_len characters", ("too_short",)),
    ("dedup", "a line left after line dedup", ("dedup_empty",)),
    ("lid", "LID score >= threshold", ("lang_score_low",)),
    ("keep_lang", "language kept", ("lang_not_selected",)),
    ("perplexity", "scored", ("empty_after_normalisation",)),
    ("keep_bucket", "bucket kept", ("bucket_head", "bucket_middle", "bucket_tail")),
)


def stage_counts(stats: dict) -> tuple[list[int], dict[str, int]]:
    """Documents passing each of STAGE_ROWS on our side (from stats.json), and drops of other reasons."""
    dropped = dict(stats.get("dropped", {}))
    n, out = int(stats.get("read", 0)), []
    for _, _, reasons in STAGE_ROWS:
        n -= sum(dropped.pop(r, 0) for r in reasons)
        out.append(n)
    return out, dropped


def first_difference(a: str, b: str, context: int = 1) -> str:
    """The first differing lines of two texts, as a short unified diff (ours -, cc_net +)."""
    diff = list(difflib.unified_diff(a.split("\n"), b.split("\n"), "ours", "cc_net", n=context, lineterm=""))
    body = [line[:160] for line in diff[2:]]
    return "\n".join(body[:10]) + ("\n..." if len(body) > 10 else "")


FIELDS = ("text", "title", "perplexity", "lang_score", "language", "bucket")
# metadata cc_net writes under the same names; compared and shown, part of the check only with --check-meta
META_FIELDS = ("original_length", "original_nlines", "timestamp")


class Comparison:
    """Our kept documents against cc_net's, matched on (url, digest)."""

    def __init__(
        self, semantics: str, ours: Sequence, cc: Sequence[dict], examples: int, check_meta: bool = False
    ) -> None:
        self.semantics = semantics
        self.checked = FIELDS + (META_FIELDS if check_meta else ())
        self.n_examples = examples
        self.n_ours, self.n_cc = len(ours), len(cc)
        self.ours: dict[tuple[str, str], Any] = {}
        self.cc: dict[tuple[str, str], dict] = {}
        self.repeated: Counter = Counter()  # a key kept twice on one side (the same page twice in the input)
        for d in ours:
            key = (d.meta.get("url", ""), d.meta.get("digest", ""))
            self.repeated["ours"] += key in self.ours
            self.ours[key] = d
        for d in cc:
            key = (d["url"], d["digest"])
            self.repeated["cc_net"] += key in self.cc
            self.cc[key] = d
        self.shared = sorted(self.ours.keys() & self.cc.keys())
        self.only_ours = sorted(self.ours.keys() - self.cc.keys())
        self.only_cc = sorted(self.cc.keys() - self.ours.keys())
        self.agree: Counter = Counter()
        self.examples: dict[str, list[str]] = {}
        self.only_ours_stage: Counter = Counter()
        self.only_cc_reason: Counter = Counter()
        self.stages: list[tuple[str, int, int]] = []
        self.other_drops: dict[str, int] = {}
        for key in self.shared:
            o, c = self.ours[key], self.cc[key]
            pairs = {
                "text": (o.text, c["raw_content"]),
                "title": (o.meta.get("title"), c.get("title")),
                "perplexity": (o.meta.get("perplexity"), c.get("perplexity")),
                "lang_score": (o.meta.get("lang_score"), c.get("language_score")),
                "language": (o.meta.get("lang"), c.get("language")),
                "bucket": (o.meta.get("bucket"), c.get("bucket")),
                "original_length": (o.meta.get("original_length"), c.get("original_length")),
                "original_nlines": (o.meta.get("original_nlines"), c.get("original_nlines")),
                "timestamp": (o.meta.get("timestamp"), c.get("date_download")),
            }
            for name, (a, b) in pairs.items():
                if name == "perplexity":
                    ok = _close(a, b, PP_TOLERANCE)
                elif name == "lang_score":
                    ok = _close(a, b, SCORE_TOLERANCE)
                else:
                    ok = a == b
                if ok:
                    self.agree[name] += 1
                else:
                    shown = first_difference(a, b) if name == "text" else _pair(a, b)
                    self._example(name, f"{key[0]}\n{shown}")

    def _example(self, kind: str, text: str) -> None:
        ex = self.examples.setdefault(kind, [])
        if len(ex) < self.n_examples:
            ex.append(text)

    def add_stages(self, ours_stats: dict, cc_reached: Counter) -> None:
        ours, self.other_drops = stage_counts(ours_stats)
        self.stages = [(label, o, cc_reached[name]) for (name, label, _), o in zip(STAGE_ROWS, ours)]

    def differs(self) -> bool:
        n = len(self.shared)
        return bool(
            self.only_ours
            or self.only_cc
            or self.n_ours != self.n_cc
            or any(self.agree[k] != n for k in self.checked)
            or any(o != c for _, o, c in self.stages)
            or self.other_drops
        )

    def explain_missing(
        self,
        trace: dict[tuple[str, str], str],
        notes: dict[tuple[str, str], dict],
        ours_read: dict[tuple[str, str], int],
        min_len: int,
    ) -> None:
        """For documents only we kept: where cc_net dropped them, and its text there; for documents only
        cc_net kept: its values, and whether our min_len dropped them."""
        for key in self.only_ours:
            stage = trace.get(key)
            where = "its reader (not a conversion record, or under min_len)" if stage is None else DROPPED_AT[stage]
            self.only_ours_stage[where] += 1
            o = self.ours[key]
            note = [
                f"{key[0]}  cc_net dropped it at {where}",
                f"  ours: lang {o.meta.get('lang')} {o.meta.get('lang_score')}  perplexity "
                f"{o.meta.get('perplexity')}  bucket {o.meta.get('bucket')}  {len(o.text)} chars",
            ]
            c = notes.get(key, {}).get("after_dedup")
            if c is not None:
                note.append(f"  cc_net after dedup: {len(c['raw_content'])} chars")
                if c["raw_content"] != o.text:
                    note.append(
                        "  text differs (ours -, cc_net after dedup +):\n"
                        + _indent(first_difference(o.text, c["raw_content"]))
                    )
            self._example("only ours", "\n".join(note))
        for key in self.only_cc:
            c = self.cc[key]
            read_chars = notes.get(key, {}).get("read_chars")
            ours_chars = ours_read.get(key)
            if ours_chars is None:
                ours_note = "our reader gives no such document"
            elif ours_chars < min_len:
                ours_note = f"our min_len drops it: {ours_chars} chars"
                self.only_cc_reason["our min_len (fewer characters than cc_net counts)"] += 1
            else:
                ours_note = f"passes our min_len ({ours_chars} chars): dropped by a later stage"
            self._example(
                "only cc_net",
                f"{key[0]}\n  cc_net: {read_chars} chars at min_len; lang {c.get('language')} "
                f"{c.get('language_score')}  perplexity {c.get('perplexity')}  bucket {c.get('bucket')}  "
                f"{len(c['raw_content'])} chars kept\n  ours: {ours_note}",
            )

    def report(self, contrast: bool) -> None:
        n = len(self.shared)
        label = f"--semantics {self.semantics}" + ("  (contrast only: not part of the check)" if contrast else "")
        print(f"\n=== {label}")
        print(f"  kept by ours      {self.n_ours:>6}")
        print(f"  kept by cc_net    {self.n_cc:>6}")
        print(f"  shared            {n:>6}")
        print(f"  only ours         {len(self.only_ours):>6}")
        print(f"  only cc_net       {len(self.only_cc):>6}")
        for side, count in self.repeated.items():
            if count:
                print(f"  (url, digest) kept more than once by {side}: {count}")
        for name in FIELDS + META_FIELDS:
            note = "" if name in self.checked else "   (metadata: not part of the check without --check-meta)"
            print(f"  shared, same {name:<15} {self.agree[name]:>6} / {n}{note}")
        print("  documents passing each stage     ours  cc_net")
        for label_, o, c in self.stages:
            print(f"    {label_:<30} {o:>6}  {c:>6}" + ("" if o == c else "   <- differs"))
        for reason, count in self.other_drops.items():
            print(f"    ours dropped {count} for {reason}, a reason cc_net has no stage for   <- differs")
        for where, count in self.only_ours_stage.most_common():
            print(f"  only ours, dropped by cc_net at {where}: {count}")
        for why, count in self.only_cc_reason.most_common():
            print(f"  only cc_net, dropped by {why}: {count}")
        for kind, examples in self.examples.items():
            print(f"  -- examples: {kind}")
            for ex in examples:
                print(_indent(ex, "     "))


def _pair(ours: Any, cc: Any) -> str:
    return f"  ours   {ours!r:.200}\n  cc_net {cc!r:.200}"


def _close(a: Any, b: Any, tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tol + 1e-9


def _indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line for line in text.split("\n"))


# ---------------------------------------------------------------------------------------------- edge cases

_PROSE = (
    "The river winds through the valley for many miles before it reaches the sea near the old harbour town.",
    "Farmers along its banks grow wheat and barley, and in the summer the fields turn a deep shade of gold.",
    "Every spring the snow melts in the mountains and the water rises quickly, flooding the lower meadows.",
    "Local people have built stone walls and small dams over the centuries to protect their homes and land.",
    "Visitors often come in the autumn to walk the long paths and to watch the birds gather before winter.",
    "The town library keeps old maps that show how the course of the river has changed over the years.",
)


def _prose(tag: str, n_lines: int = 4) -> list[str]:
    """English lines unique to `tag` (letters only: dedup maps digits to 0), good for LID and the LM."""
    return [f"{_PROSE[i % len(_PROSE)]} Note {tag}-{i}." for i in range(n_lines)]


def edge_case_pages() -> list[tuple[str, str]]:
    """(url, WET body) pages on the rules where cc_net's reader and dedup have corner cases. Bodies are
    written as CommonCrawl does: the body, then the record's closing CRLF CRLF."""
    shared = "This sentence is shared by two pages of the edge-case file and is removed from both of them."

    def exactly(n: int, tag: str) -> str:  # n characters of prose, not ending in a space
        text = "\n".join(_prose(tag))[:n].rstrip()
        return text + "x" * (n - len(text))

    pages = [
        # min_len on the text after the title: 299 and 300 characters, and 298 followed by blank lines
        ("http://edge.test/min-len-299", "A title\n" + exactly(299, "la")),
        ("http://edge.test/min-len-300", "A title\n" + exactly(300, "lb")),
        ("http://edge.test/min-len-298-blank-lines", "A title\n" + exactly(298, "lc") + "\n\n\n"),
        # a body line that reads like a record's first line
        ("http://edge.test/warc-line", "Title\n" + "\n".join(_prose("wa")) + "\nWARC/1.0\n" + "\n".join(_prose("wb"))),
        # old Mac line breaks, Unicode separators and control characters inside and around lines
        (
            "http://edge.test/carriage-returns",
            "Title\r" + "\r\n".join(_prose("cr")[:2]) + "\r" + "\r".join(_prose("cr")[2:]),
        ),
        (
            "http://edge.test/unicode-separators",
            "Title\u2028x\n" + "\n".join(f"\x0c{line}\u2028 \x85" for line in _prose("us")) + "\nA\x0bB\x1cC D\u2029E",
        ),
        ("http://edge.test/leading-blank-line", "\n" + "\n".join(_prose("lf"))),
        ("http://edge.test/blank-and-tab-lines", "Title\n\t\n" + "\n \t \n".join(_prose("bt")) + "\n\t" + shared[:20]),
        # line dedup: a line repeated inside a page, a line shared by two pages, a page made only of copies
        ("http://edge.test/repeat-inside", "Title\n" + "\n".join(_prose("ri") + _prose("ri")[:2] + _prose("ri")[:1])),
        ("http://edge.test/shared-a", "Title\n" + "\n".join(_prose("sa") + [shared])),
        ("http://edge.test/shared-b", "Title\n" + shared + "\n" + "\n".join(_prose("sb"))),
        ("http://edge.test/all-copies", "Title\n" + "\n".join(_prose("ac"))),
        ("http://edge.test/all-copies-twin", "Other title\n" + "\n".join(reversed(_prose("ac")))),
        # digits, case and Unicode punctuation that dedup normalises away: the same key as shared-a's first line
        (
            "http://edge.test/normalised-copy",
            "Title\n" + _prose("sa")[0].upper().replace("-0", "-7") + "…\n" + "\n".join(_prose("nc")),
        ),
    ]
    return pages


def write_edge_cases(path: Path) -> None:
    spec = importlib.util.spec_from_file_location("wet_fixture", os.path.join(REPO, "tests", "wet_fixture.py"))
    assert spec is not None and spec.loader is not None
    fixture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixture)
    fixture.write_wet(str(path), edge_case_pages(), start=900000)


# ---------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--ccnet", required=True, help="a cc_net checkout (the folder holding cc_net/)")
    ap.add_argument("--deps", action="append", default=[], help="extra import folder for cc_net's imports (repeatable)")
    ap.add_argument("--input", nargs="+", default=[DEFAULT_INPUT], help="WET files or globs (default: the samples)")
    ap.add_argument("--lm-dir", default=DEFAULT_LM_DIR)
    ap.add_argument("--cutoffs", default=DEFAULT_CUTOFFS)
    ap.add_argument("--lid-model", help="fastText LID model (default: ours, lid.176.ftz)")
    ap.add_argument("--langs", default="en")
    ap.add_argument("--keep-buckets", default="head,middle")
    ap.add_argument("--semantics", nargs="+", default=["ccnet", "paper"], choices=["ccnet", "paper"])
    ap.add_argument("--ours-args", default="--workers 1", help="extra arguments for our run (default: --workers 1)")
    ap.add_argument(
        "--edge-cases",
        action="store_true",
        help="add a generated WET file of corner cases (min_len boundary, a 'WARC/1.0' body line, line "
        "breaks and separators, line dedup cases) to the input",
    )
    ap.add_argument(
        "--check-meta",
        action="store_true",
        help="also fail on original_length, original_nlines and timestamp (cc_net's date_download)",
    )
    ap.add_argument("--verbose", action="store_true", help="show cc_net's own INFO logging")
    ap.add_argument("--examples", type=int, default=3, help="examples shown per kind of difference")
    ap.add_argument("--work-dir", help="keep cc_net's and our outputs here (default: a temporary folder)")
    args = ap.parse_args(argv)

    files = sorted({f for pattern in args.input for f in glob.glob(pattern)})
    if not files and not args.edge_cases:
        raise SystemExit(f"no input file matches {args.input}")
    if not all(".wet" in os.path.basename(f) for f in files):
        raise SystemExit("cc_net reads WET files only (conversion records): pass *.warc.wet.gz files")
    if args.lid_model is None:
        from filters.langid import default_lid_model_path

        args.lid_model = default_lid_model_path()
    langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    buckets = [x.strip() for x in args.keep_buckets.split(",") if x.strip()]

    cc = import_ccnet(args.ccnet, args.deps)
    if not args.verbose:  # jsonql's basicConfig logs every transformer's summary at INFO
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger().addFilter(lambda r: "apitools not found" not in r.getMessage())  # Beam's import noise
        warnings.filterwarnings("ignore", message="Module 'getpy' not found")
    tmp = None if args.work_dir else tempfile.TemporaryDirectory(prefix="check_ccnet_")
    work = Path(args.work_dir or tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    if args.edge_cases:
        edge = work / "edge_cases.warc.wet.gz"
        write_edge_cases(edge)
        files.append(str(edge))
    try:
        print(f"input: {len(files)} files: {', '.join(os.path.basename(f) for f in files)}")
        t0 = time.time()
        (work / "ccnet").mkdir(exist_ok=True)
        cc_docs, reached, trace, notes = run_ccnet(
            cc, files, work / "ccnet", args.lm_dir, args.cutoffs, args.lid_model, langs, buckets, MIN_LEN
        )
        print(f"cc_net: {len(cc_docs)} documents kept ({time.time() - t0:.1f}s)")
        results = []
        for semantics in args.semantics:
            t0 = time.time()
            out_dir = work / f"ours_{semantics}"
            ours, stats = run_ours(files, out_dir, semantics, args.lm_dir, args.cutoffs, args.ours_args.split())
            print(f"ours --semantics {semantics}: {len(ours)} documents kept ({time.time() - t0:.1f}s)")
            comp = Comparison(semantics, ours, cc_docs, args.examples, args.check_meta)
            comp.add_stages(stats, reached)
            comp.explain_missing(trace, notes, ours_read_lengths(files, semantics), MIN_LEN)
            results.append(comp)
        for comp in results:
            comp.report(contrast=comp.semantics != "ccnet")
    finally:
        if tmp is not None:
            tmp.cleanup()
    failed = any(c.differs() for c in results if c.semantics == "ccnet")
    checked = any(c.semantics == "ccnet" for c in results)
    if checked:
        print("\nccnet semantics " + ("DIFFERS from cc_net" if failed else "matches cc_net"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
