"""CCNet line dedup as a Beam shuffle that scales on a cluster (no in-memory hash set in one worker).

    docs --HashLines--> (group|hash8, doc id)        one ref per hashed line occurrence
         --GroupByKey--> per line key: every doc that has it
         --FindDuplicates--> (doc id, hash8)          only for keys seen >= 2 times in the group
    {docs by id, marks by id} --CoGroupByKey--> RemoveDuplicateLines

Why refs rather than a separate capped-count combine: the join back needs every (line, doc) ref shuffled
anyway, and the count falls out of that same grouping; a second, combiner-lifted count shuffle would
only add bytes. Keys are fixed width: one group byte-string prefix plus 8 hash bytes.
The dedup group is the whole run by default, or N consecutive input files (CCNet: 50 of 1600 shards).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from filters.dedup import doc_line_keys, remove_lines
from filters.normalize import warm_up
from pipeline.document import Document, Meta
from pipeline.transforms import INPUT_INDEX, NAMESPACE


def _group_prefix(doc: Document, group_files: int) -> bytes:
    if group_files <= 0:
        return b""
    return (int(doc.meta.get(INPUT_INDEX, 0)) // group_files).to_bytes(4, "little")


class HashLines(beam.DoFn):
    def __init__(self, group_files: int) -> None:
        self.group_files = group_files

    def setup(self) -> None:
        warm_up()
        self._bytes = Metrics.counter(NAMESPACE, "dedup.shuffle_bytes_refs")

    def process(self, doc: Document) -> Iterator[tuple[bytes, str]]:
        prefix = _group_prefix(doc, self.group_files)
        n = 0
        for key in doc_line_keys(doc.text):
            n += 1
            yield prefix + key, doc.id
        self._bytes.inc(n * (len(prefix) + 8 + len(doc.id)))


class KeyById(beam.DoFn):
    """(doc id, doc) for the join; counts the bytes of text this shuffle moves."""

    def setup(self) -> None:
        self._bytes = Metrics.counter(NAMESPACE, "dedup.shuffle_bytes_docs")

    def process(self, doc: Document) -> Iterator[tuple[str, Document]]:
        self._bytes.inc(len(doc.id) + len(doc.text.encode("utf-8")))
        yield doc.id, doc


class FindDuplicates(beam.DoFn):
    """For a line key seen more than once, mark it for removal in every document that has it."""

    def setup(self) -> None:
        self._dup_keys = Metrics.counter(NAMESPACE, "dedup.duplicated_line_keys")
        self._keys = Metrics.counter(NAMESPACE, "dedup.line_keys")
        self._bytes = Metrics.counter(NAMESPACE, "dedup.shuffle_bytes_marks")

    def process(self, element: tuple[bytes, Iterable[str]]) -> Iterator[tuple[str, bytes]]:
        key, doc_ids = element
        self._keys.inc()
        first = None
        seen: set[str] | None = None
        for doc_id in doc_ids:
            if first is None:
                first = doc_id
                continue
            if seen is None:  # the second occurrence: the line is duplicated, all copies go
                self._dup_keys.inc()
                seen = {first}
                self._bytes.inc(len(first) + 8)
                yield first, key[-8:]
            if doc_id not in seen:
                seen.add(doc_id)
                self._bytes.inc(len(doc_id) + 8)
                yield doc_id, key[-8:]


class RemoveDuplicateLines(beam.DoFn):
    def setup(self) -> None:
        warm_up()
        self._chars_in = Metrics.counter(NAMESPACE, "dedup.chars_in")
        self._chars_removed = Metrics.counter(NAMESPACE, "dedup.chars_removed")
        self._empty = Metrics.counter(NAMESPACE, "drop.dedup_empty")
        self._id_clash = Metrics.counter(NAMESPACE, "drop.duplicate_document_id")

    def process(self, element: tuple[str, dict[str, list]]) -> Iterator[Document]:
        _, grouped = element
        docs, marks = grouped["doc"], grouped["dup"]
        if not docs:
            return
        if len(docs) > 1:  # ids are unique per source; a clash means the same record read twice
            self._id_clash.inc(len(docs) - 1)
        doc = docs[0]
        text, removed = remove_lines(doc.text, set(marks))
        self._chars_in.inc(len(doc.text))
        self._chars_removed.inc(removed)
        if not text.strip():
            self._empty.inc()
            return
        meta = {k: v for k, v in doc.meta.items() if k != INPUT_INDEX}
        meta[Meta.ORIGINAL_LENGTH] = len(doc.text)
        meta[Meta.ORIGINAL_NLINES] = doc.text.count("\n") + 1
        yield Document(doc.id, doc.source, text, meta)


class DedupLines(beam.PTransform):
    """CCNet line dedup over the whole input (`group_files=0`) or groups of N input files."""

    def __init__(self, group_files: int = 0) -> None:
        super().__init__()
        self.group_files = group_files

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        marks = (
            docs
            | "HashLines" >> beam.ParDo(HashLines(self.group_files))
            | "GroupByLine" >> beam.GroupByKey()
            | "FindDuplicates" >> beam.ParDo(FindDuplicates())
        )
        by_id = docs | "KeyById" >> beam.ParDo(KeyById())
        return (
            {"doc": by_id, "dup": marks}
            | "JoinMarks" >> beam.CoGroupByKey()
            | "RemoveDuplicateLines" >> beam.ParDo(RemoveDuplicateLines())
        )
