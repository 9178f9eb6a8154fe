"""The bytes of one mixture shard: gather its documents from the source token files, hash and write them.

The output is a Megatron indexed dataset in exactly the layout tokenizer/indexed.py's IndexedWriter
writes (same .bin, .idx and sidecar bytes; tests/test_mixtures_build.py checks this against a
document-by-document reference). This writer exists because filling a mixture shard is the hot loop of
a 1T / 1.4T build, and the generic path was a third of the disk's speed. Where the time goes, per GB on
the bench machine (about 800,000 documents of ~1.2 KB):

- Gather: one `preadv` per document straight into a reused buffer, documents of a chunk in file order,
  each landing at its shuffled place: about 2 us per document, nearly all of it the kernel's page-cache
  lookup, so ~1.7 s per GB is the floor of one process. Tokens are not read through memory maps: a
  mapped page counts as resident and the kernel maps whole large folios, so the resident set would grow
  to the size of the sources (measured: 0.5 GB even when the maps were dropped every 256 documents).
- Hash: SHA-256 of each chunk (0.6 s per GB) on a helper thread; hashlib releases the GIL.
- Write: O_DIRECT on another helper thread. Buffered writes on this kind of VM cost up to 3 CPU-s per
  GB (every page-cache page of a growing file is a fresh page to fault in) and left the flush to the end
  of the build; direct writes cost 0.05 CPU-s per GB, go to disk while the next chunk is gathered, and
  do not push the source files out of the page cache. O_DIRECT needs 4 KiB-aligned buffers, offsets and
  sizes, so each chunk writes its aligned part and carries the rest (< 4 KiB) to the front of the next
  buffer; the last block is written padded and the file truncated to its size. Where the filesystem
  refuses O_DIRECT the writer falls back to buffered writes (plus a writeback hint), same bytes.
- Index: sizes, offsets and the document index are built with numpy from the shard's lengths at once.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import struct
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from tokenizer.indexed import CODE_OF, MAGIC, VERSION, DatasetError

ALIGN = 4096  # O_DIRECT alignment of memory, file offsets and sizes (a multiple of any logical block size)
_O_DIRECT = getattr(os, "O_DIRECT", 0)  # 0 where the platform has none: plain buffered writes
_FADV_DONTNEED = getattr(os, "POSIX_FADV_DONTNEED", None)


def index_bytes(lengths: np.ndarray, dtype: np.dtype) -> bytes:
    """The .idx file for one sequence per document, sequences of `lengths` tokens back to back."""
    n = int(lengths.size)
    sizes = lengths.astype(np.int32)
    offsets = np.zeros(n, dtype=np.int64)
    if n > 1:
        np.cumsum(sizes[:-1].astype(np.int64) * dtype.itemsize, out=offsets[1:])
    doc_index = np.arange(n + 1, dtype=np.int64)
    head = MAGIC + struct.pack("<Q", VERSION) + struct.pack("<B", CODE_OF[dtype]) + struct.pack("<QQ", n, n + 1)
    return b"".join((head, sizes.tobytes(), offsets.tobytes(), doc_index.tobytes()))


def aligned_buffer(nbytes: int) -> np.ndarray:
    """A uint8 array of `nbytes` whose first byte is ALIGN-aligned."""
    raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
    skip = -raw.ctypes.data % ALIGN
    return raw[skip : skip + nbytes]


class WriterThreads:
    """The two helper threads of a builder, reused across its shards: one hashes chunks in order, one
    writes them. Each is a FIFO of one thread, so hash updates and writes keep the chunks' order."""

    def __init__(self) -> None:
        self.hash = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shard-hash")
        self.write = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shard-write")

    def shutdown(self) -> None:
        self.hash.shutdown()
        self.write.shutdown()


class ShardWriter:
    """Gathers documents from open token files into `prefix.bin`; `finalize()` writes the .idx and the
    sidecar. Everything stays under temp names until finalize renames it (a killed writer leaves no half
    shard under the real name). `buffers` (one per chunk in flight, grown in place for a document larger
    than a chunk) and `threads` belong to the caller and are reused across shards: fresh buffers would
    cost a page fault per page on every shard."""

    def __init__(self, prefix: str, dtype: np.dtype, buffers: list[np.ndarray], threads: WriterThreads) -> None:
        self.prefix = prefix
        self.dtype = np.dtype(dtype)
        self.buffers = buffers
        self.threads = threads
        self._tmp_bin = f"{prefix}.bin.tmp-{os.getpid()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        self.direct = bool(_O_DIRECT)  # cleared (by the write thread) where the filesystem refuses it
        try:
            self._fd = os.open(self._tmp_bin, flags | _O_DIRECT, 0o666)
        except OSError as e:  # a filesystem without O_DIRECT (tmpfs before Linux 6.6, some FUSE mounts)
            if e.errno != errno.EINVAL:
                raise
            self._fd = os.open(self._tmp_bin, flags, 0o666)
            self.direct = False
        self._sha = hashlib.sha256()
        self._written = 0  # bytes of .bin written so far (helper write thread only)
        self._pending: list[tuple[Future, Future] | None] = [None] * len(buffers)
        self._carry = 0  # bytes gathered but not yet written (< ALIGN), at the front of the next buffer
        self._last: tuple[int, int] | None = None  # (slot, offset) of those bytes in the previous buffer
        self.lengths = np.zeros(0, dtype=np.int64)

    def write(self, fds: list[int], file: np.ndarray, start: np.ndarray, length: np.ndarray, chunk: int) -> None:
        """Append the documents (token file number, first token, length), in this order, one sequence
        each; chunks of about `chunk` tokens are gathered while the previous one is hashed and written."""
        item = self.dtype.itemsize
        ends = np.cumsum(length, dtype=np.int64)
        fd_of = np.asarray(fds, dtype=np.int64)
        n, i0 = int(length.size), 0
        slot = 0 if self._last is None else (self._last[0] + 1) % len(self.buffers)
        while i0 < n:
            base = int(ends[i0 - 1]) if i0 else 0
            i1 = max(i0 + 1, int(np.searchsorted(ends, base + chunk, side="right")))
            size = (int(ends[i1 - 1]) - base) * item
            self._wait(slot)  # the buffer's previous chunk is hashed and written
            head = self._carry
            if head:  # a view taken before _buffer may replace an array: it keeps the old one alive
                last, at = self._last  # type: ignore[misc]
                carried = self.buffers[last][at : at + head]
            buf = self._buffer(slot, head + size)
            if head:
                buf[:head] = carried
            view = memoryview(buf)
            # read in file order (sequential where documents are neighbours), each to its shuffled place
            by_file = np.lexsort((start[i0:i1], file[i0:i1]))
            dst_end = head + (ends[i0:i1] - base) * item
            dst = dst_end - length[i0:i1] * item
            got = 0
            preadv = os.preadv
            for fd, off, a, b in zip(
                fd_of[file[i0:i1][by_file]].tolist(),
                (start[i0:i1][by_file] * item).tolist(),
                dst[by_file].tolist(),
                dst_end[by_file].tolist(),
            ):
                got += preadv(fd, (view[a:b],), off)
            if got != size:  # each read returns at most what it asked for: a shortfall is a short read
                raise DatasetError(f"{self.prefix}: short read from a token file (truncated while building?)")
            cut = (head + size) // ALIGN * ALIGN
            self._pending[slot] = (
                self.threads.hash.submit(self._sha.update, view[head : head + size]),
                self.threads.write.submit(self._write_out, view[:cut]),
            )
            self._carry, self._last = head + size - cut, (slot, cut)
            slot = (slot + 1) % len(self.buffers)
            i0 = i1
        self.lengths = np.concatenate([self.lengths, length.astype(np.int64)])

    def _buffer(self, slot: int, size: int) -> np.ndarray:
        if self.buffers[slot].size < size + ALIGN:  # + ALIGN: room to pad the last block
            self.buffers[slot] = aligned_buffer(size + ALIGN)
        return self.buffers[slot]

    def _write_out(self, data: memoryview) -> None:
        """Write thread: append whole ALIGN blocks (only finalize's last one is cut back)."""
        while data:
            try:
                n = os.write(self._fd, data)
            except OSError as e:  # the filesystem took O_DIRECT at open but refuses it for I/O
                if e.errno != errno.EINVAL or not self.direct:
                    raise
                fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~_O_DIRECT)
                self.direct = False
                continue
            if not self.direct and _FADV_DONTNEED is not None:
                # buffered: start writeback of what was just written instead of leaving it dirty until
                # the end (a whole shard of dirty pages, then one long flush)
                os.posix_fadvise(self._fd, self._written, n, _FADV_DONTNEED)
            self._written += n
            data = data[n:]

    def _wait(self, slot: int) -> None:
        p, self._pending[slot] = self._pending[slot], None
        if p is not None:
            for f in p:
                f.result()

    def _drain(self) -> None:
        for slot in range(len(self._pending)):
            self._wait(slot)

    def abort(self) -> None:
        """Drop the half-written shard (its temp file); the real names are never touched."""
        for slot in range(len(self._pending)):
            try:
                self._wait(slot)
            except BaseException:  # noqa: BLE001 - the error that matters is the caller's
                pass
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if os.path.exists(self._tmp_bin):
            os.remove(self._tmp_bin)

    def finalize(self, sidecar: dict[str, Any]) -> dict[str, Any]:
        """Write the last block and the .idx, rename .bin and .idx into place, then the sidecar (the
        shard's commit mark)."""
        self._drain()
        if self._carry:  # the last partial block (already hashed): written zero-padded, then cut to size
            slot, at = self._last  # type: ignore[misc]
            block = self.buffers[slot][at : at + ALIGN]
            block[self._carry :] = 0
            size = self._written + self._carry
            self._write_out(memoryview(block))
            os.ftruncate(self._fd, size)
            self._written, self._carry = size, 0
        n_tokens = int(self.lengths.sum())
        if self._written != n_tokens * self.dtype.itemsize:
            raise DatasetError(f"{self.prefix}: wrote {self._written} bytes for {n_tokens} tokens")
        os.close(self._fd)
        self._fd = -1
        idx = index_bytes(self.lengths, self.dtype)
        tmp_idx = f"{self.prefix}.idx.tmp-{os.getpid()}"
        with open(tmp_idx, "wb") as f:
            f.write(idx)
        os.replace(self._tmp_bin, self.prefix + ".bin")
        os.replace(tmp_idx, self.prefix + ".idx")
        side = dict(sidecar)
        side.update(
            dtype=self.dtype.name,
            n_tokens=n_tokens,
            n_docs=int(self.lengths.size),
            bin_sha256=self._sha.hexdigest(),
            idx_sha256=hashlib.sha256(idx).hexdigest(),
        )
        tmp_json = self.prefix + ".json.tmp"
        with open(tmp_json, "w", encoding="utf-8") as f:
            json.dump(side, f, indent=2, sort_keys=True)
        os.replace(tmp_json, self.prefix + ".json")
        return side
