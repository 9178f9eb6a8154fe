"""The contract of a cleaning step: plain Python, no Beam.

A step takes a Document and returns either a Document (kept, possibly changed) or a `Drop` with a
named reason. Every drop is counted under its reason by the Beam wrapper in `pipeline/beam/transforms.py`.
Steps that need a model load it in `setup()`, which the wrapper calls once per worker.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from pipeline.document import Document


def local_path(path: str) -> str:
    """A local copy of a model file. Remote paths (gs://, s3://) go through Beam's FileSystems; the
    import is lazy so that filters stay usable, and testable, without Beam."""
    if "://" not in path:
        return path
    from pipeline.files import localize

    return localize(path)


class Drop(NamedTuple):
    reason: str


StepResult = Document | Drop


class Step(Protocol):
    name: str

    def setup(self) -> None: ...

    def __call__(self, doc: Document) -> StepResult: ...


class SimpleStep:
    """Base class for steps without a model: subclasses set `name` and implement `__call__`."""

    name = "step"

    def setup(self) -> None:
        return None

    def note(self, name: str, n: int = 1) -> None:
        """A side count the Beam wrapper reports as a counter of its own (e.g. `no_gutenberg_markers`: a
        Gutenberg text kept as it is because it has no markers). Not a drop."""
        notes = self.__dict__.setdefault("_notes", {})
        notes[name] = notes.get(name, 0) + n


MIN_LENGTH = 300  # CCNet's min_len: characters a document needs


class MinLength(SimpleStep):
    """Drop documents shorter than `min_chars` characters (CCNet min_len = 300)."""

    name = "length"

    def __init__(self, min_chars: int = MIN_LENGTH) -> None:
        self.min_chars = min_chars

    def __call__(self, doc: Document) -> StepResult:
        return doc if len(doc.text) >= self.min_chars else Drop("too_short")
