"""Model and data files through Beam's FileSystems, so gs://, s3://, hdfs:// paths work on clusters.

Native libraries (fastText, KenLM, SentencePiece) need a local file: a remote path is copied once per
worker into a local cache folder and the local copy is used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile


def localize(path: str) -> str:
    if "://" not in path:
        return path
    from apache_beam.io.filesystems import FileSystems

    cache = os.path.join(tempfile.gettempdir(), "llama-data-models")
    os.makedirs(cache, exist_ok=True)
    local = os.path.join(cache, hashlib.sha1(path.encode()).hexdigest()[:16] + "-" + os.path.basename(path))
    if not os.path.exists(local):
        tmp = f"{local}.tmp-{os.getpid()}"
        with FileSystems.open(path) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        os.replace(tmp, local)
    return local


def write_bytes(path: str, data: bytes | memoryview) -> None:
    """Write a whole file to a local path (atomically: a temp name, then a rename, so a retried or killed
    worker never leaves half a file) or to any Beam filesystem (gs://, s3://: an object appears whole)."""
    if "://" in path:
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.create(path) as f:
            f.write(bytes(data))
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_bytes(path: str) -> bytes | None:
    """A whole file from a local path or any Beam filesystem; None when it does not exist."""
    if "://" in path:
        from apache_beam.io.filesystems import FileSystems

        if not FileSystems.exists(path):
            return None
        with FileSystems.open(path) as f:
            return f.read()
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()
