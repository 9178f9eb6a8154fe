"""Two-pass CCNet line dedup that never shuffles document text (CCNet's own shape: a hashes pass, then
a mining pass that reads the input again).

    pass 1: docs --HashLines--> (key, [(file, doc id)]) --GroupByKey--> FindDuplicatesByFile
            --> (file, (doc id, [hash8, ...]))    only for keys seen >= 2 times in the dedup group
    pass 2: {(file, path), marks by file} --CoGroupByKey--> RereadAndRemove: read the file again with
            its reader, re-apply the cheap pre-dedup steps, drop the marked lines

The one-pass `pipeline.dedup.DedupLines` shuffles every document's text to join it with its marks (about
1 byte per input byte); here the text stays where it was read and only marks move, grouped per input
file. Reading a WET file twice costs a few ms per MB (FastWARC parses ~150 MB/s), far less than moving
its text through a shuffle. Memory: one file's marks (ids and 8-byte hashes of its duplicated lines).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam

from filters.base import Drop, Step
from pipeline.dedup import MAX_BUFFERED_REFS, FindDuplicates, HashLines, _LineRemover
from pipeline.document import Document
from pipeline.sources import reader_for
from pipeline.transforms import INPUT_INDEX


class HashLinesWithFile(HashLines):
    """HashLines whose refs carry the document's input file: (file index, doc id)."""

    def _ref(self, doc: Document) -> tuple[int, str]:
        return int(doc.meta.get(INPUT_INDEX, 0)), doc.id

    @staticmethod
    def _ref_bytes(ref: tuple[int, str]) -> int:
        return 4 + len(ref[1])


class FindDuplicatesByFile(FindDuplicates):
    """Marks of duplicated line keys, grouped per input file: (file, (doc id, [hash8, ...]))."""

    @staticmethod
    def _emit(ref: tuple[int, str], hashes: list[bytes]) -> tuple[int, tuple[str, list[bytes]]]:
        return ref[0], (ref[1], hashes)

    @staticmethod
    def _ref_bytes(ref: tuple[int, str]) -> int:
        return 4 + len(ref[1])


def _ignore(reason: str, n: int = 1) -> None:
    """Pass 2 re-reads what pass 1 already counted: its skips and drops are not counted again."""


class RereadAndRemove(_LineRemover):
    def __init__(self, source: str, reader_options: dict[str, Any], pre_steps: list[Step]) -> None:
        self.source = source
        self.reader_options = reader_options
        self.pre_steps = pre_steps

    def setup(self) -> None:
        super().setup()
        self._read = reader_for(self.source)
        for step in self.pre_steps:
            step.setup()

    def process(self, element: tuple[int, dict[str, list]]) -> Iterator[Document]:
        file_index, grouped = element
        if not grouped["path"]:
            return
        path = grouped["path"][0]
        marks: dict[str, set[bytes]] = {}
        for doc_id, hashes in grouped["marks"]:
            marks.setdefault(doc_id, set()).update(hashes)
        for doc in self._read(path, _ignore, **self.reader_options):
            for step in self.pre_steps:
                out = step(doc)
                if isinstance(out, Drop):
                    break
                doc = out
            else:
                out = self._remove(doc, marks.get(doc.id, ()))
                if out is not None:
                    yield out


class DedupLinesByRereading(beam.PTransform):
    """Line dedup of `docs` (read from `files` by `source`'s reader, then `pre_steps`), re-reading the
    files instead of shuffling the documents. The output equals `DedupLines` on the same documents."""

    def __init__(
        self,
        files: beam.PCollection,
        source: str,
        reader_options: dict[str, Any],
        pre_steps: list[Step],
        group_files: int = 0,
        max_buffered: int = MAX_BUFFERED_REFS,
    ) -> None:
        super().__init__()
        self.files = files
        self.source = source
        self.reader_options = reader_options
        self.pre_steps = pre_steps
        self.group_files = group_files
        self.max_buffered = max_buffered

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        marks = (
            docs
            | "HashLines" >> beam.ParDo(HashLinesWithFile(self.group_files, self.max_buffered))
            | "GroupByLine" >> beam.GroupByKey()
            | "FindDuplicates" >> beam.ParDo(FindDuplicatesByFile(self.max_buffered))
        )
        return (
            {"path": self.files, "marks": marks}
            | "JoinMarksToFiles" >> beam.CoGroupByKey()
            | "RereadAndRemove" >> beam.ParDo(RereadAndRemove(self.source, self.reader_options, self.pre_steps))
        )
