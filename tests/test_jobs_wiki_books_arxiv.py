"""The wikipedia, books and arxiv jobs end to end through `pipeline.beam.job.run_job` on small fixture files in
the readers' formats, in-process and with the multi-process DirectRunner (same output)."""

from __future__ import annotations

import argparse
import glob
import json
import os
from pathlib import Path
from xml.sax.saxutils import escape

from test_filters_arxiv import PAPER
from test_filters_books import GUTENBERG, HALF_COPY, NEAR_COPY, ORIGINAL, book
from test_filters_wikipedia import ARTICLE, EXPECTED

from pipeline.beam.jobs import job_for

MULTI = ["--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"]
INPROC = ["--runner=DirectRunner"]


def _run(source: str, inputs: list[str], out: str, argv: list[str], beam_args: list[str]):
    from pipeline.beam.job import run_job
    from pipeline.store import read_documents

    parser = argparse.ArgumentParser()
    job_for(source).add_arguments(parser)
    args = parser.parse_args(argv)
    args.num_shards = 1
    stats = run_job(source, inputs, out, args, beam_args, num_shards=1)
    docs = sorted(read_documents(out), key=lambda d: d.id)
    return docs, stats


def _same(a, b) -> None:
    assert [(d.id, d.text, d.meta) for d in a[0]] == [(d.id, d.text, d.meta) for d in b[0]]
    assert a[1]["dropped"] == b[1]["dropped"]


def _page(pid: int, title: str, text: str, ns: int = 0, redirect: str | None = None) -> str:
    red = f'<redirect title="{escape(redirect)}" />' if redirect else ""
    return (
        f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>{pid}</id>{red}<revision><id>{pid}00</id>"
        f'<text xml:space="preserve">{escape(text)}</text></revision></page>\n'
    )


def _dump(path: str, dbname: str, pages: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">\n'
            f"<siteinfo><sitename>Wikipedia</sitename><dbname>{dbname}</dbname></siteinfo>\n"
        )
        f.write("".join(pages) + "</mediawiki>\n")


def test_wikipedia_job_end_to_end(tmp_path) -> None:
    en, ja = str(tmp_path / "enwiki-20220701-pages-articles.xml"), str(tmp_path / "jawiki-20220701-pages.xml")
    _dump(
        en,
        "enwiki",
        [
            _page(1, "Paris", ARTICLE),
            _page(2, "Mercury", "'''Mercury''' may refer to:\n* [[Mercury (planet)]]\n{{disambiguation}}"),
            _page(3, "Lutetia", "", redirect="Paris"),
            _page(4, "Talk:Paris", "Is the population right? [http://talk.example.org x]", ns=1),
            _page(5, "Stub", "{{Infobox person|name=X}}\n[[Category:People]]"),
        ],
    )
    _dump(ja, "jawiki", [_page(7, "パリ", "'''パリ'''はフランスの首都。<ref>[https://ja.example.jp 出典]</ref>")])
    a = _run("wikipedia", [str(tmp_path / "*.xml")], str(tmp_path / "a"), [], INPROC)
    docs, stats = a
    assert [(d.id, d.text, d.meta["title"], d.meta["lang"]) for d in docs] == [("en:1", EXPECTED, "Paris", "en")]
    assert stats["dropped"] == {"disambiguation": 1, "empty": 1, "lang_not_selected": 1}
    shards = glob.glob(str(tmp_path / "a/external_links/links-*-of-*.txt"))
    links = sorted(line for p in shards for line in Path(p).read_text(encoding="utf-8").split())
    assert links == sorted(
        [
            "https://www.insee.fr/fr/statistiques/1405599",
            "http://www.paris.culture.fr",
            "https://www.paris.fr",
            "http://www.parisinfo.com",
        ]
    )
    _same(a, _run("wikipedia", [str(tmp_path / "*.xml")], str(tmp_path / "b"), [], MULTI))
    ja_too = _run("wikipedia", [str(tmp_path / "*.xml")], str(tmp_path / "c"), ["--langs", "en,ja"], INPROC)
    assert [d.id for d in ja_too[0]] == ["en:1", "ja:7"]


def _gutenberg(number: int, body: str) -> str:
    return GUTENBERG.replace("[EBook #11581]", f"[EBook #{number}]").replace("CHAPTER I.", body)


def test_books_job_end_to_end(tmp_path) -> None:
    (tmp_path / "pg9.txt").write_text(_gutenberg(9, book(ORIGINAL)), encoding="utf-8")
    (tmp_path / "pg10.txt").write_text(_gutenberg(10, book(NEAR_COPY)), encoding="utf-8")  # 95%: removed
    (tmp_path / "pg12.txt").write_text("A plain text with no Gutenberg markers at all.\n", encoding="utf-8")
    with open(tmp_path / "books3-part.jsonl", "w", encoding="utf-8") as f:
        f.writelines(
            json.dumps({"text": text, "meta": {"title": title}}) + "\n"
            for text, title in [(book(ORIGINAL), "Same Book"), (book(HALF_COPY), "Half Book")]
        )
    inputs = [str(tmp_path / "*.txt"), str(tmp_path / "*.jsonl")]
    a = _run("books", inputs, str(tmp_path / "a"), [], INPROC)
    docs, stats = a
    ids = [d.id for d in docs]
    assert "gutenberg:9" in ids and "gutenberg:10" not in ids and "gutenberg:pg12" in ids  # id from the stem
    assert len([i for i in ids if i.startswith("books3:")]) == 1  # the copy of pg9 removed, the 50% one kept
    assert stats["dropped"] == {"near_duplicate": 2}
    assert stats["no_gutenberg_markers"] == 1
    # each removed copy is booked to the file it was read from
    per_file = {os.path.basename(p): f for p, f in stats["per_file"].items()}
    assert per_file["pg10.txt"]["dropped"] == {"near_duplicate": 1} and per_file["pg10.txt"]["kept"] == 0
    assert per_file["books3-part.jsonl"] == {
        "index": 0,
        "read": 2,
        "skipped": {},
        "kept": 1,
        "dropped": {"near_duplicate": 1},
    }
    assert per_file["pg9.txt"]["kept"] == 1 and "dropped" not in per_file["pg9.txt"]
    assert stats["accounting"] == "balanced"
    pg9 = next(d for d in docs if d.id == "gutenberg:9")
    assert "PROJECT GUTENBERG" not in pg9.text and pg9.text.startswith("The ")
    _same(a, _run("books", inputs, str(tmp_path / "b"), [], MULTI))


def test_arxiv_job_end_to_end(tmp_path) -> None:
    (tmp_path / "2101.00001.tex").write_text(PAPER, encoding="utf-8")
    (tmp_path / "2101.00002.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\nNo sections.\n\\end{document}\n", encoding="utf-8"
    )
    a = _run("arxiv", [str(tmp_path / "*.tex")], str(tmp_path / "a"), [], INPROC)
    docs, stats = a
    assert len(docs) == 1 and docs[0].text.startswith("\\section{Introduction}")
    assert "\\newcommand" not in docs[0].text and "\\mathbb{R}^d" in docs[0].text
    assert stats["dropped"] == {"no_section": 1}
    per_file = {os.path.basename(p): (f["read"], f["kept"], f.get("dropped")) for p, f in stats["per_file"].items()}
    assert per_file == {"2101.00001.tex": (1, 1, None), "2101.00002.tex": (1, 0, {"no_section": 1})}
    assert os.path.exists(tmp_path / "a" / "stats.json")
    _same(a, _run("arxiv", [str(tmp_path / "*.tex")], str(tmp_path / "b"), [], MULTI))


def test_an_unreadable_books_file_is_counted_with_its_offset_and_the_rest_balances(tmp_path, monkeypatch) -> None:
    import pipeline.sources.books as reader

    real = reader.read

    def fails_after_one(path, skip, **kw):  # noqa: ANN001, ANN202
        for i, doc in enumerate(real(path, skip, **kw)):
            if path.endswith("b.jsonl") and i == 1:
                raise MemoryError("the disk cache said no")
            yield doc

    monkeypatch.setattr(reader, "read", fails_after_one)
    texts = [book(ORIGINAL), book(HALF_COPY), "Short and good.", " "]
    for name, part in (("a.jsonl", texts[:2]), ("b.jsonl", texts[2:] + texts[2:3])):
        with open(tmp_path / name, "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"text": t, "meta": {"title": name}}) + "\n" for t in part)
    docs, stats = _run("books", [str(tmp_path / "*.jsonl")], str(tmp_path / "out"), [], INPROC)
    assert sorted(len(d.text) for d in docs) == sorted(len(t) for t in texts[:3])
    per_file = {os.path.basename(p): f for p, f in stats["per_file"].items()}
    b = per_file["b.jsonl"]
    assert (b["read"], b["kept"], b["skipped"]) == (1, 1, {"empty": 1, "unreadable_file": 1})
    (err,) = b["errors"]
    assert err["error"] == "MemoryError" and err["after_records"] == 1
    assert 0 < err["byte_offset"] <= os.path.getsize(tmp_path / "b.jsonl")
    assert per_file["a.jsonl"]["read"] == per_file["a.jsonl"]["kept"] == 2
    assert stats["accounting"] == "balanced"
