"""Decontamination: planted evaluation items are found (across a line break, whatever the case and
punctuation), an item sharing only n-1 words is not, and every count is exact; the command and the Beam
step over tiny outputs built here."""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.base import Drop
from filters.decontam import DecontamStep, EvalIndex, normalize
from filters.eval_sets import load_index, read_eval_items
from pipeline.beam.decontaminate import add_decontam_arguments, read_summary
from pipeline.document import Document
from pipeline.store import read_documents, read_stats, write_shard, write_stats

# three 20-word questions and a 5-word answer; only their words are planted below
Q1 = "Which river flows through the capital of Hungary and divides the city into two historic halves called Buda and Pest?"
Q2 = "In what year did the first crewed spacecraft land on the Moon, and which astronaut stepped out onto its surface first?"
Q3 = "What is the name of the process by which green plants turn sunlight, water and carbon dioxide into sugar and oxygen?"
A4 = "The Treaty of Westphalia signed"
FILLER = "Local news from the valley: the bakery opened early and the market was busy all morning long."


def eval_file(tmp_path, name: str = "quiz.jsonl") -> str:
    path = tmp_path / name
    rows = [
        {"id": "q1", "question": Q1, "answer": "The Danube"},
        {"id": "q2", "question": Q2, "answer": "1969, Neil Armstrong"},
        {"id": "q3", "question": Q3, "answer": "Photosynthesis"},
        {"id": "a4", "question": A4},
    ]
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
        f.write("not json at all\n")
    return str(path)


def docs() -> list[Document]:
    q2_words = Q2.split()
    q3_words = Q3.split()
    return [
        # the first 13 words of Q1, verbatim, inside a longer page
        Document("d-q1", "c4", f"{FILLER}\nHe asked: {' '.join(Q1.split()[:13])} nobody knew.\n{FILLER}"),
        # 13 words of Q2, upper-cased, punctuation changed, broken across a line break
        Document(
            "d-q2",
            "c4",
            f"{FILLER}\n" + " ".join(q2_words[2:9]).upper() + " --\n" + ", ".join(q2_words[9:15]) + "!!\nThe end.",
        ),
        # only 12 consecutive words of Q3 (n-1): not contaminated
        Document("d-q3", "c4", f"{FILLER}\n{' '.join(q3_words[3:15])}\n{FILLER}"),
        # the 5-word item whole, with other case and punctuation
        Document("d-a4", "c4", f"Chapter one.\nthe treaty of WESTPHALIA, signed in 1648.\n{FILLER}"),
        # 4 of the 5 words of the short item: not contaminated
        Document("d-a4-part", "c4", f"the treaty of Westphalia was long.\n{FILLER}"),
        Document("d-clean", "c4", f"{FILLER}\n{FILLER}"),
    ]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> EvalIndex:
    return load_index([eval_file(tmp_path_factory.mktemp("evals"))], n=13, fields=["question"])


def test_normalisation_case_punctuation_digits() -> None:
    assert normalize("Hello, World! It's 1969…").split() == ["hello", "world", "its", "0000"]
    assert normalize("a\nb") == "a\nb"  # lines kept, so removed lines map back to the text


def test_planted_items_found_and_near_misses_not(index: EvalIndex) -> None:
    step = DecontamStep(index)
    got = {d.id: step.scan(d) for d in docs()}
    assert isinstance(got["d-q1"].result, Drop)
    assert [(m.set_name, m.item_id) for m in got["d-q1"].matches] == [("quiz", "q1")]
    assert isinstance(got["d-q2"].result, Drop)
    assert {m.item_id for m in got["d-q2"].matches} == {"q2"}
    assert got["d-q2"].matches[0].ngram == " ".join(normalize(" ".join(Q2.split()[2:15])).split())
    assert {m.item_id for m in got["d-a4"].matches} == {"a4"}
    for kept in ("d-q3", "d-a4-part", "d-clean"):
        assert got[kept].matches == [] and isinstance(got[kept].result, Document), kept
    assert got["d-q1"].chars_removed == len(docs()[0].text)


def test_index_layout_and_counts(index: EvalIndex) -> None:
    st = index.set_stats["quiz"]
    assert st["items"] == 4 and st["items_indexed"] == 4 and st["bad_records"] == 1
    # 20, 21 and 21 words give 8, 9 and 9 distinct 13-grams; the 5-word item is one whole-item key
    assert st["ngrams"] == 8 + 9 + 9 + 1 == len(index.keys)
    assert index.keys.dtype == np.uint64 and index.keys.nbytes == 8 * len(index.keys)
    assert np.all(index.keys[1:] > index.keys[:-1])
    assert index.lengths == (5, 13)


def test_step_survives_pickling(index: EvalIndex) -> None:
    """Workers get the step pickled: the keys travel, the 16 MiB prefilter is rebuilt, results agree."""
    import pickle

    step = DecontamStep(index)
    blob = pickle.dumps(step)
    assert len(blob) < 1 << 20
    again = pickle.loads(blob)
    assert np.array_equal(again.index.filter, index.filter)
    assert [again.scan(d).result for d in docs()] == [step.scan(d).result for d in docs()]
    # item texts mapped from a file instead of held: same results, and it still pickles
    spilled = pickle.loads(pickle.dumps(index))
    spilled.spill()
    assert type(spilled.blob).__name__ == "mmap" and bytes(spilled.blob) == index.blob
    assert [DecontamStep(spilled).scan(d).result for d in docs()] == [step.scan(d).result for d in docs()]
    assert pickle.loads(pickle.dumps(spilled)).blob == index.blob
    # what a worker does with the step it unpickles: setup() maps the texts, the results stay the same
    worker = pickle.loads(blob)
    worker.setup()
    assert type(worker.index.blob).__name__ == "mmap"
    assert [worker.scan(d).result for d in docs()] == [step.scan(d).result for d in docs()]


def test_collision_is_confirmed_not_trusted(index: EvalIndex) -> None:
    """A key whose hash matches a clean document's n-gram (as a collision would) must not drop it."""
    step = DecontamStep(index)
    clean = Document("c", "c4", " ".join(f"w{i}" for i in range(13)))
    h = step.hasher.ngrams(step.hasher.words(normalize(clean.text).split()), (13,))[13]
    mask = np.uint64((1 << index.item_bits) - 1)
    forged = EvalIndex(13)
    forged.__dict__.update(index.__dict__)
    forged.set_keys(np.concatenate([index.keys, (h & ~mask) | np.uint64(0)]))
    fstep = DecontamStep(forged)
    assert fstep.index.candidates(h) == [(0, 0)]  # the lookup does see a candidate
    assert fstep.scan(clean).result == clean  # and the exact check rejects it


def test_short_items_of_several_lengths() -> None:
    index = EvalIndex(13)
    index.add_set("short", [("s5", A4), ("s7", "Carbon dioxide into sugar and oxygen, again"), ("one", "Oxygen")])
    index.build()
    assert index.lengths == (1, 5, 7)
    text = "Photosynthesis turns CARBON DIOXIDE into sugar and oxygen again; the Treaty of Westphalia, signed."
    got = sorted((m.item_id, m.start, m.end, m.ngram) for m in DecontamStep(index).find(text)[1])
    assert got == [
        ("one", 7, 8, "oxygen"),  # a one-word item matches the word wherever it stands
        ("s5", 9, 14, "the treaty of westphalia signed"),
        ("s7", 2, 9, "carbon dioxide into sugar and oxygen again"),
    ]
    index2 = EvalIndex(13, min_item_words=2)
    index2.add_set("short", [("one", "Oxygen"), ("s5", A4)])
    index2.build()
    assert index2.set_stats["short"]["items_too_short"] == 1 and index2.lengths == (5,)


def test_remove_lines_mode_exact(index: EvalIndex) -> None:
    step = DecontamStep(index, "remove-lines")
    d = docs()[1]  # the Q2 match spans lines 1 and 2 of 4
    r = step.scan(d)
    lines = d.text.split("\n")
    assert isinstance(r.result, Document)
    assert r.result.text == "\n".join([lines[0], lines[3]])
    assert r.chars_removed == len(d.text) - len(r.result.text) == len(lines[1]) + len(lines[2]) + 2
    only = Document("o", "c4", " ".join(Q1.split()[:13]))
    assert step.scan(only).result == Drop("contaminated")  # nothing left: dropped


def test_eval_formats(tmp_path) -> None:
    pq.write_table(pa.table({"id": [7, 8], "prompt": [Q1, Q2], "other": ["x", "y"]}), tmp_path / "p.parquet")
    assert list(read_eval_items(str(tmp_path / "p.parquet"), ["prompt"])) == [("7", Q1), ("8", Q2)]
    (tmp_path / "t.txt").write_text(f"{Q1}\n\n{Q2}\n", encoding="utf-8")
    assert list(read_eval_items(str(tmp_path / "t.txt"))) == [("1", Q1), ("3", Q2)]
    with pytest.raises(ValueError, match="no column nope"):
        list(read_eval_items(str(tmp_path / "p.parquet"), ["nope"]))
    with pytest.raises(FileNotFoundError):
        list(read_eval_items(str(tmp_path / "missing.jsonl")))
    # two sets at once, each under its own name
    idx = load_index([f"first={tmp_path / 'p.parquet'}", str(tmp_path / "t.txt")], fields=["prompt"])
    assert idx.set_names == ["first", "t"]
    found = DecontamStep(idx).scan(Document("x", "c4", Q2))
    assert len(found.matches) == 2 * 9  # every 13-gram of Q2, in each set
    assert sorted({(m.set_name, m.item_id) for m in found.matches}) == [("first", "8"), ("t", "3")]


def _tiny_output(folder) -> None:
    ds = docs()
    write_shard(ds[:3], os.path.join(folder, "part-00000-of-00002.parquet"), ["url"])
    write_shard(ds[3:], os.path.join(folder, "part-00001-of-00002.parquet"), ["url"])
    write_stats(str(folder), {"read": 10, "kept": 6, "dropped": {"too_short": 4}, "source": "c4"})


def test_command_over_a_finished_output(tmp_path) -> None:
    from pipeline.app.cli import main

    src, out = tmp_path / "clean", tmp_path / "decon"
    _tiny_output(src)
    evals = eval_file(tmp_path)
    rc = main(["decontaminate", "--evals", f"quiz={evals}", "--eval-fields", "question"]
              + ["--input", str(src), "--output", str(out), "--workers", "2"])  # fmt: skip
    assert rc == 0
    kept = sorted(d.id for d in read_documents(os.path.join(out, "part-*.parquet")))
    assert kept == ["d-a4-part", "d-clean", "d-q3"]
    assert sorted(os.listdir(out)) == ["decontamination", "part-00000-of-00002.parquet", "part-00001-of-00002.parquet", "stats.json"]  # fmt: skip
    s = read_summary(str(out))
    removed = [d for d in docs() if d.id in ("d-q1", "d-q2", "d-a4")]
    assert s["documents_scanned"] == 6 and s["documents_removed"] == 3
    assert s["characters_removed"] == sum(len(d.text) for d in removed)
    q = s["eval_sets"]["quiz"]
    assert (q["items"], q["items_found"], q["documents_removed"]) == (4, 3, 3)
    assert q["characters_removed"] == s["characters_removed"]
    rows = pq.read_table(out / "decontamination" / "matches.parquet").to_pylist()
    assert [(r["document_id"], r["item_id"], r["eval_set"], r["source"]) for r in rows] == [
        ("d-a4", "a4", "quiz", "c4"),
        ("d-q1", "q1", "quiz", "c4"),
        ("d-q2", "q2", "quiz", "c4"),
    ]  # sorted by set, item, document
    assert rows[0]["ngram"] == "the treaty of westphalia signed"
    stats = read_stats(str(out))
    assert stats["kept"] == 3 and stats["dropped"] == {"too_short": 4, "contaminated": 3}
    # the report finds the summary under any output folder and shows its table
    from pipeline.app.report import _decontamination, write_html

    facts = {"out": str(tmp_path), "sources": {}, "decontamination": _decontamination(str(tmp_path))}
    page = open(write_html(facts, str(tmp_path / "report.html")), encoding="utf-8").read()
    assert "<h2>Decontamination against evaluation sets</h2>" in page
    chars = sum(len(d.text) for d in removed)
    assert f"<tr><td>decon</td><td>quiz</td><td>4</td><td>3</td><td>3</td><td>{chars}</td></tr>" in page


def test_command_errors_are_one_line(tmp_path, capsys) -> None:
    from pipeline.app.cli import main

    _tiny_output(tmp_path / "clean")
    assert main(["decontaminate", "--evals", str(tmp_path / "nope.jsonl"), "--input", str(tmp_path / "clean"),
                 "--output", str(tmp_path / "o")]) == 1  # fmt: skip
    assert "nope.jsonl: no such file" in capsys.readouterr().err
    assert main(["decontaminate", "--evals", eval_file(tmp_path), "--input", str(tmp_path / "empty"),
                 "--output", str(tmp_path / "o")]) == 1  # fmt: skip
    assert "no part-*.parquet shards" in capsys.readouterr().err


def test_beam_step_in_a_pipeline(tmp_path) -> None:
    import apache_beam as beam

    from pipeline.beam.decontaminate import apply_decontamination

    parser = argparse.ArgumentParser()
    add_decontam_arguments(parser)
    evals = eval_file(tmp_path)
    args = parser.parse_args(["--decontaminate", evals, "--eval-fields", "question", "--decontam-mode", "remove-lines"])
    kept_path = tmp_path / "kept.jsonl"
    with beam.Pipeline() as p:
        out = apply_decontamination(p | beam.Create(docs()), args, str(tmp_path / "out"))
        _ = out | beam.Map(lambda d: d.to_json()) | beam.io.WriteToText(str(kept_path), shard_name_template="")
    kept = {d.id: d.text for d in map(Document.from_json, kept_path.read_text().splitlines())}
    # remove-lines: the Q1 and A4 lines and the two Q2 lines go, the documents stay
    assert sorted(kept) == sorted(d.id for d in docs())
    assert kept["d-q1"] == f"{FILLER}\n{FILLER}" and kept["d-a4"] == f"Chapter one.\n{FILLER}"
    s = read_summary(str(tmp_path / "out"))
    assert s["documents_scanned"] == 6 and s["documents_changed"] == 3 and s["documents_removed"] == 0
    total = sum(len(d.text) for d in docs()) - sum(len(t) for t in kept.values())
    assert s["characters_removed"] == total and s["eval_sets"]["quiz"]["items_found"] == 3

    # drop-document (the default): the three contaminated documents go, counted as drop.contaminated
    args = parser.parse_args(["--decontaminate", f"quiz={evals}", "--eval-fields", "question"])
    p = beam.Pipeline()
    out = apply_decontamination(p | beam.Create(docs()), args, str(tmp_path / "out2"))
    _ = out | beam.Map(lambda d: d.id) | beam.io.WriteToText(str(tmp_path / "ids.txt"), shard_name_template="")
    result = p.run()
    result.wait_until_finish()
    assert sorted((tmp_path / "ids.txt").read_text().split()) == ["d-a4-part", "d-clean", "d-q3"]
    dropped = [c.committed for c in result.metrics().query()["counters"] if c.key.metric.name == "drop.contaminated"]
    assert sum(dropped) == 3
    s2 = read_summary(str(tmp_path / "out2"))
    assert (s2["documents_removed"], s2["eval_sets"]["quiz"]["documents_removed"]) == (3, 3)


def test_common_crawl_job_decontaminates_file_by_file(tmp_path) -> None:
    """CommonCrawl writes shard i from input file i itself: each file's pages are scanned where they are
    cleaned, the drop is booked to that file (the accounting balances), and the files' matches are merged
    into OUTPUT/decontamination/ at the end."""
    from wet_fixture import write_wet

    from pipeline.app.cli import main

    filler = "This sentence is only here so that the page passes the minimum length of the job. " * 4
    question = "Which planet in our solar system has the most moons according to the latest count"
    paths = [str(tmp_path / "a.warc.wet.gz"), str(tmp_path / "b.warc.wet.gz")]
    write_wet(paths[0], [("https://a/1", f"Title one\nFirst page text.\n{filler}one")])
    write_wet(paths[1], [("https://b/1", f"Title\nThey asked: {question.upper()}? Nobody knew.\n{filler}")], start=9)
    evals = tmp_path / "quiz.jsonl"
    evals.write_text(json.dumps({"id": "q7", "question": question}) + "\n")
    out = tmp_path / "cc"
    argv = ["run", "common_crawl", "--input", *paths, "--output", str(out), "--stop-after", "dedup"]
    assert main([*argv, "--decontaminate", f"quiz={evals}"]) == 0
    assert [d.meta["url"] for d in read_documents(str(out))] == ["https://a/1"]  # matches.parquet is no shard
    stats = read_stats(str(out))
    assert stats["dropped"] == {"contaminated": 1} and stats["accounting"] == "balanced"
    assert stats["per_file"][paths[1]]["dropped"] == {"contaminated": 1}
    summary = read_summary(str(out))
    assert (summary["documents_scanned"], summary["documents_removed"]) == (2, 1)
    assert summary["eval_sets"]["quiz"]["items_found"] == 1
    (row,) = pq.read_table(out / "decontamination" / "matches.parquet").to_pylist()
    assert (row["source"], row["eval_set"], row["item_id"]) == ("common_crawl", "quiz", "q7")
    assert row["ngram"].startswith("which planet in our solar system")
    # a rerun without the option leaves no stale report
    assert main(argv) == 0 and read_summary(str(out)) is None


def test_a_cleaning_job_decontaminates_as_its_last_step(tmp_path) -> None:
    """Any job: `--decontaminate` drops the contaminated book, books it to its file, writes the report."""
    from pipeline.app.cli import main

    question = "Which planet in our solar system has the most moons according to the latest count"
    (tmp_path / "pg1.txt").write_text("A quiet book about gardens and rain.\n" * 20, encoding="utf-8")
    (tmp_path / "pg2.txt").write_text(f"Chapter one.\n{question}? Nobody knew.\n" * 3, encoding="utf-8")
    (tmp_path / "evals").mkdir()
    evals = tmp_path / "evals" / "quiz.txt"
    evals.write_text(question + "\n", encoding="utf-8")
    out = tmp_path / "books"
    argv = ["run", "books", "--input", str(tmp_path / "*.txt"), "--output", str(out), "--decontaminate", str(evals)]
    assert main(argv) == 0
    assert [d.id for d in read_documents(str(out))] == ["gutenberg:pg1"]
    stats = read_stats(str(out))
    assert stats["dropped"] == {"contaminated": 1} and stats["accounting"] == "balanced"
    assert stats["per_file"][str(tmp_path / "pg2.txt")]["dropped"] == {"contaminated": 1}
    summary = read_summary(str(out))
    assert summary["documents_removed"] == 1 and summary["eval_sets"]["quiz"]["items_found"] == 1
