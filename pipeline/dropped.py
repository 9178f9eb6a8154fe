"""`--write-dropped [FRACTION]`: the documents a job dropped, with the step and the reason, so that a person
can see why a page disappeared (`llama-data inspect OUTPUT --dropped REASON`).

Each worker streams what it drops into its own shard, `OUTPUT/dropped/dropped-<unique>.parquet` (a DoFn's
bundle at a time, written atomically through pipeline/store.py's ShardWriter, local or remote). With a
fraction under 1, a document is written when a hash of its id falls under it: the same documents every
run, on every runner. Memory: one row group of dropped documents per open shard.
"""

from __future__ import annotations

import os
import uuid

from pipeline.document import Document, stable_hash64
from pipeline.store import ShardWriter

FOLDER = "dropped"
STEP = "dropped_step"
REASON = "dropped_reason"
META_KEYS = (STEP, REASON)


def sampled(doc_id: str, fraction: float) -> bool:
    return fraction >= 1.0 or stable_hash64("dropped", doc_id) < fraction * 2.0**64


class DroppedSink:
    def __init__(self, output: str, fraction: float = 1.0) -> None:
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"--write-dropped {fraction}: give a fraction in (0, 1]")
        self.output, self.fraction = output, fraction
        self._writer: ShardWriter | None = None

    def add(self, doc: Document, step: str, reason: str) -> None:
        if not sampled(doc.id, self.fraction):
            return
        if self._writer is None:
            # not `part-*`: readers of the output's documents never take these for kept ones
            name = f"dropped-{os.getpid()}-{uuid.uuid4().hex[:12]}.parquet"
            folder = self.output.rstrip("/") + "/" + FOLDER
            self._writer = ShardWriter(f"{folder}/{name}", META_KEYS)
        meta = {k: v for k, v in doc.meta.items() if not k.startswith("_")}
        self._writer.add(Document(doc.id, doc.source, doc.text, {**meta, STEP: step, REASON: reason}))

    def close(self) -> None:
        """End this bundle's shard (the next drop opens a new one)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def dropped_files(output: str) -> list[str]:
    import glob

    return sorted(glob.glob(os.path.join(output, FOLDER, "dropped-*.parquet")))


def read_dropped(output: str, reason: str | None = None):  # -> Iterator[Document]
    """The dropped documents of an output (written with --write-dropped), those of `reason` only if given
    (a reason such as `bucket_tail`, or `step/reason`)."""
    from pipeline.store import read_documents

    for path in dropped_files(output):
        for doc in read_documents(path):
            if reason is None or reason in (doc.meta.get(REASON), f"{doc.meta.get(STEP)}/{doc.meta.get(REASON)}"):
                yield doc
