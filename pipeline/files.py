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
