"""Megatron-LM's indexed dataset (`MMapIndexedDataset`, `.bin` + `.idx`), written and read here, plus
the JSON sidecar this project adds. The one place that knows the format.

`.idx` layout (the header's fields little-endian; the arrays, like `.bin`, in the machine's byte order,
which is little-endian on every platform the project runs on):
    b"MMIDIDX\\x00\\x00"  magic (9 bytes)
    <Q  version = 1
    <B  dtype code (8 = uint16, 4 = int32)
    <Q  sequence count N
    <Q  document count D   (length of the document index, which starts with 0: D = documents + 1)
    int32[N]  sequence lengths (tokens)
    int64[N]  sequence byte offsets into .bin
    int64[D]  document index: sequence ids where each document starts, plus N at the end
`.bin`: the token ids of all sequences back to back, in the dtype above.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Iterable
from typing import Any

import numpy as np

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
DTYPE_CODES: dict[int, type] = {
    1: np.uint8,
    2: np.int8,
    3: np.int16,
    4: np.int32,
    5: np.int64,
    6: np.float64,
    7: np.float32,
    8: np.uint16,
}
CODE_OF = {np.dtype(v): k for k, v in DTYPE_CODES.items()}
_HEADER_FIELDS = "<QBQQ"  # version, dtype code, sequence count, document count (after the magic)
HEADER_BYTES = len(MAGIC) + struct.calcsize(_HEADER_FIELDS)  # 34: the .idx bytes before the arrays
_HEADER = HEADER_BYTES
# the arrays after the header, for size estimates: per sequence an int32 length, an int64 offset and (one
# document per sequence, as this project writes) an int64 document index entry; per file the index's
# closing entry
IDX_BYTES_PER_SEQUENCE = np.dtype(np.int32).itemsize + 2 * np.dtype(np.int64).itemsize  # 20
IDX_BYTES_PER_FILE = HEADER_BYTES + np.dtype(np.int64).itemsize  # 42


class DatasetError(ValueError):
    """A token dataset that is corrupt, truncated, or does not match what the caller expects."""


def dtype_for_vocab(vocab_size: int) -> np.dtype:
    return np.dtype(np.uint16) if vocab_size <= 65536 else np.dtype(np.int32)


def sha256_file(path: str, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


class IndexedWriter:
    """Stream sequences to `prefix.bin`; `finalize()` writes `.idx` and the sidecar, all atomically
    (temp names, renamed at the end: a killed writer leaves no half dataset under the real name)."""

    def __init__(self, prefix: str, dtype: np.dtype) -> None:
        self.prefix = prefix
        self.dtype = np.dtype(dtype)
        if self.dtype not in CODE_OF:
            raise ValueError(f"unsupported dtype {self.dtype}")
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        self._tmp_bin = f"{prefix}.bin.tmp-{os.getpid()}"
        self._bin = open(self._tmp_bin, "wb")
        self._sha = hashlib.sha256()  # hashed as written: finalize need not read the .bin back
        self._lengths: list[int] = []
        self.tokens = 0

    def add(self, tokens: Iterable[int] | np.ndarray) -> None:
        arr = np.asarray(tokens, dtype=self.dtype)
        data = arr.tobytes(order="C")
        self._sha.update(data)
        self._bin.write(data)
        self._lengths.append(int(arr.size))
        self.tokens += int(arr.size)

    def add_many(self, arrays: Iterable[np.ndarray]) -> None:
        for a in arrays:
            self.add(a)

    def add_flat(self, tokens: np.ndarray, lengths: Iterable[int]) -> None:
        """Append many sequences at once: `tokens` holds them back to back, `lengths` their sizes
        (one write per batch instead of one per document)."""
        arr = np.ascontiguousarray(tokens, dtype=self.dtype)
        lens = [int(n) for n in lengths]
        if sum(lens) != arr.size or any(n < 0 for n in lens):
            raise ValueError(f"add_flat: lengths sum to {sum(lens)}, tokens hold {arr.size}")
        data = memoryview(arr.reshape(-1)).cast("B")  # no copy
        self._sha.update(data)
        self._bin.write(data)
        self._lengths.extend(lens)
        self.tokens += int(arr.size)

    def abort(self) -> None:
        """Drop a half-written dataset (its temp file); the real names are never touched."""
        self._bin.close()
        if os.path.exists(self._tmp_bin):
            os.remove(self._tmp_bin)

    @property
    def documents(self) -> int:
        return len(self._lengths)

    def finalize(self, sidecar: dict[str, Any]) -> dict[str, Any]:
        self._bin.close()
        n = len(self._lengths)
        lengths = np.asarray(self._lengths, dtype=np.int32)
        offsets = np.zeros(n, dtype=np.int64)
        if n > 1:
            np.cumsum(lengths[:-1].astype(np.int64) * self.dtype.itemsize, out=offsets[1:])
        doc_index = np.arange(n + 1, dtype=np.int64)  # one sequence per document
        tmp_idx = f"{self.prefix}.idx.tmp-{os.getpid()}"
        with open(tmp_idx, "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack("<Q", VERSION))
            f.write(struct.pack("<B", CODE_OF[self.dtype]))
            f.write(struct.pack("<Q", n))
            f.write(struct.pack("<Q", n + 1))
            f.write(lengths.tobytes())
            f.write(offsets.tobytes())
            f.write(doc_index.tobytes())
        os.replace(self._tmp_bin, self.prefix + ".bin")
        os.replace(tmp_idx, self.prefix + ".idx")
        side = dict(sidecar)
        side.update(
            dtype=self.dtype.name,
            n_tokens=self.tokens,
            n_docs=n,
            bin_sha256=self._sha.hexdigest(),
            idx_sha256=sha256_file(self.prefix + ".idx"),
        )
        tmp_json = self.prefix + ".json.tmp"
        with open(tmp_json, "w", encoding="utf-8") as f:
            json.dump(side, f, indent=2, sort_keys=True)
        os.replace(tmp_json, self.prefix + ".json")
        return side


class IndexedDataset:
    """Memory-mapped reader with Megatron's semantics; checks the index and the sidecar on open."""

    def __init__(self, prefix: str, expect: dict[str, Any] | None = None, check_sidecar: bool = True) -> None:
        self.prefix = prefix
        idx_path, bin_path = prefix + ".idx", prefix + ".bin"
        for p in (idx_path, bin_path):
            if not os.path.exists(p):
                raise DatasetError(f"{p}: missing")
        with open(idx_path, "rb") as f:
            head = f.read(_HEADER)
        if len(head) < _HEADER or head[: len(MAGIC)] != MAGIC:
            raise DatasetError(f"{idx_path}: not a Megatron indexed dataset (bad magic or truncated header)")
        version, code, n, d = struct.unpack(_HEADER_FIELDS, head[len(MAGIC) :])
        if version != VERSION:
            raise DatasetError(f"{idx_path}: unsupported version {version}")
        if code not in DTYPE_CODES:
            raise DatasetError(f"{idx_path}: unknown dtype code {code}")
        self.dtype = np.dtype(DTYPE_CODES[code])
        expected_size = _HEADER + 4 * n + 8 * n + 8 * d
        actual = os.path.getsize(idx_path)
        if actual != expected_size:
            raise DatasetError(f"{idx_path}: size {actual} != {expected_size} expected from its header (truncated?)")
        idx = np.memmap(idx_path, mode="r", dtype=np.uint8)
        self.sizes = np.frombuffer(idx, dtype=np.int32, count=n, offset=_HEADER)
        self.pointers = np.frombuffer(idx, dtype=np.int64, count=n, offset=_HEADER + 4 * n)
        self.doc_idx = np.frombuffer(idx, dtype=np.int64, count=d, offset=_HEADER + 12 * n)
        if n and (self.sizes.min() < 0):
            raise DatasetError(f"{idx_path}: negative sequence length")
        item = self.dtype.itemsize
        if n:
            expect_ptr = np.concatenate([[0], np.cumsum(self.sizes[:-1].astype(np.int64) * item)])
            if not np.array_equal(expect_ptr, self.pointers):
                raise DatasetError(f"{idx_path}: byte offsets inconsistent with sequence lengths")
        if d == 0 or self.doc_idx[0] != 0 or self.doc_idx[-1] != n or np.any(np.diff(self.doc_idx) < 0):
            raise DatasetError(f"{idx_path}: document index not monotone from 0 to {n}")
        self.n_tokens = int(self.sizes.astype(np.int64).sum())
        bin_size = os.path.getsize(bin_path)
        if bin_size != self.n_tokens * item:
            raise DatasetError(f"{bin_path}: size {bin_size} != {self.n_tokens * item} from the index (truncated?)")
        self.tokens = np.memmap(bin_path, mode="r", dtype=self.dtype) if self.n_tokens else np.zeros(0, self.dtype)
        self.sidecar: dict[str, Any] = {}
        if check_sidecar:
            self.sidecar = read_sidecar(prefix)
            for key, want in (("dtype", self.dtype.name), ("n_tokens", self.n_tokens), ("n_docs", n)):
                if self.sidecar.get(key) != want:
                    raise DatasetError(f"{prefix}.json: {key} {self.sidecar.get(key)!r} != {want!r} in the index")
        for key, want in (expect or {}).items():
            if self.sidecar.get(key) != want:
                raise DatasetError(f"{prefix}: {key} is {self.sidecar.get(key)!r}, expected {want!r}")

    def __len__(self) -> int:
        return int(self.sizes.size)

    def __getitem__(self, i: int) -> np.ndarray:
        start = int(self.pointers[i]) // self.dtype.itemsize
        return np.asarray(self.tokens[start : start + int(self.sizes[i])])

    def verify_hashes(self) -> None:
        for ext in ("bin", "idx"):
            want = self.sidecar.get(f"{ext}_sha256")
            if want and sha256_file(f"{self.prefix}.{ext}") != want:
                raise DatasetError(f"{self.prefix}.{ext}: sha256 differs from the sidecar (corrupt)")


def read_sidecar(prefix: str) -> dict[str, Any]:
    path = prefix + ".json"
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DatasetError(f"{path}: sidecar missing") from None
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}: sidecar is not valid JSON ({e})") from None
