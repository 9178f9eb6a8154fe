"""The Megatron indexed dataset (.bin/.idx) written by tokenizer/indexed.py, checked byte for byte against
the format as Megatron-LM's `_IndexWriter`/`_IndexReader` define it, and refused when corrupt."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

from tokenizer.indexed import DatasetError, IndexedDataset, IndexedWriter, dtype_for_vocab

SEQS = [[1, 5, 9, 2], [1, 2], [1, 300, 301, 302, 303, 2], [1, 7, 2]]


def _write(prefix: str, seqs: list[list[int]], dtype: np.dtype, flat: bool = False) -> dict:
    w = IndexedWriter(prefix, dtype)
    if flat:
        w.add_flat(np.concatenate([np.asarray(s) for s in seqs]), [len(s) for s in seqs])
    else:
        for s in seqs:
            w.add(s)
    return w.finalize({"source": "books", "vocab_size": 32000})


def _expected_idx(seqs: list[list[int]], code: int, itemsize: int) -> bytes:
    """The .idx exactly as the Megatron format describes it, built here independently of indexed.py."""
    n = len(seqs)
    out = b"MMIDIDX\x00\x00" + struct.pack("<Q", 1) + struct.pack("<B", code)
    out += struct.pack("<Q", n) + struct.pack("<Q", n + 1)
    out += b"".join(struct.pack("<i", len(s)) for s in seqs)
    offset = 0
    for s in seqs:
        out += struct.pack("<q", offset)
        offset += len(s) * itemsize
    out += b"".join(struct.pack("<q", i) for i in range(n + 1))
    return out


@pytest.mark.parametrize(("dtype", "code", "fmt"), [(np.uint16, 8, "<H"), (np.int32, 4, "<i")])
@pytest.mark.parametrize("flat", [False, True])
def test_idx_and_bin_byte_for_byte(tmp_path, dtype, code, fmt, flat):
    prefix = str(tmp_path / "ds")
    _write(prefix, SEQS, np.dtype(dtype), flat=flat)
    with open(prefix + ".idx", "rb") as f:
        assert f.read() == _expected_idx(SEQS, code, np.dtype(dtype).itemsize)
    with open(prefix + ".bin", "rb") as f:
        assert f.read() == b"".join(struct.pack(fmt, t) for s in SEQS for t in s)


def _megatron_read(prefix: str) -> list[np.ndarray]:
    """Megatron's reader semantics: header, then lengths/pointers/doc index; sequence i is `lengths[i]`
    items of the dtype starting at byte `pointers[i]` of the .bin."""
    with open(prefix + ".idx", "rb") as f:
        buf = f.read()
    assert buf[:9] == b"MMIDIDX\x00\x00"
    (version,) = struct.unpack("<Q", buf[9:17])
    (code,) = struct.unpack("<B", buf[17:18])
    n, d = struct.unpack("<QQ", buf[18:34])
    dtype = {4: np.int32, 8: np.uint16}[code]
    lengths = np.frombuffer(buf, np.int32, n, 34)
    pointers = np.frombuffer(buf, np.int64, n, 34 + 4 * n)
    docs = np.frombuffer(buf, np.int64, d, 34 + 12 * n)
    assert version == 1 and docs[0] == 0 and docs[-1] == n
    data = np.memmap(prefix + ".bin", dtype=np.uint8, mode="r")
    return [np.frombuffer(data, dtype, int(lengths[i]), int(pointers[i])) for i in range(n)]


def test_reader_matches_megatron_semantics_and_sidecar(tmp_path):
    prefix = str(tmp_path / "ds")
    side = _write(prefix, SEQS, dtype_for_vocab(32000))
    assert [s.tolist() for s in _megatron_read(prefix)] == SEQS
    ds = IndexedDataset(prefix)
    assert len(ds) == 4 and [ds[i].tolist() for i in range(4)] == SEQS
    assert ds.n_tokens == side["n_tokens"] == sum(map(len, SEQS)) and side["n_docs"] == 4
    assert side["dtype"] == "uint16" and ds.sidecar["source"] == "books"
    ds.verify_hashes()


def test_dtype_for_vocab():
    assert dtype_for_vocab(32000) == np.uint16 and dtype_for_vocab(65536) == np.uint16
    assert dtype_for_vocab(65537) == np.int32 and dtype_for_vocab(128256) == np.int32


def test_empty_dataset(tmp_path):
    prefix = str(tmp_path / "empty")
    _write(prefix, [], np.dtype(np.uint16))
    assert len(IndexedDataset(prefix)) == 0


def test_add_flat_rejects_wrong_lengths(tmp_path):
    w = IndexedWriter(str(tmp_path / "x"), np.dtype(np.uint16))
    with pytest.raises(ValueError, match="lengths sum"):
        w.add_flat(np.arange(5), [2, 2])
    w.abort()
    assert os.listdir(tmp_path) == []  # abort leaves nothing behind


def _corrupt(path: str, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def _append(path: str, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def _patch_sidecar(prefix: str, **changes: object) -> None:
    with open(prefix + ".json") as f:
        side = json.load(f)
    with open(prefix + ".json", "w") as f:
        json.dump({**side, **changes}, f)


CORRUPTIONS = {
    "truncated idx": lambda p: os.truncate(p + ".idx", os.path.getsize(p + ".idx") - 8),
    "truncated header": lambda p: os.truncate(p + ".idx", 20),
    "truncated bin": lambda p: os.truncate(p + ".bin", os.path.getsize(p + ".bin") - 2),
    "extra bin bytes": lambda p: _append(p + ".bin", b"\x00\x00"),
    "bad magic": lambda p: _corrupt(p + ".idx", 0, b"XXIDIDX"),
    "bad version": lambda p: _corrupt(p + ".idx", 9, struct.pack("<Q", 2)),
    "bad dtype code": lambda p: _corrupt(p + ".idx", 17, b"\x63"),
    "negative length": lambda p: _corrupt(p + ".idx", 34, struct.pack("<i", -1)),
    "bad offset": lambda p: _corrupt(p + ".idx", 34 + 16 + 8, struct.pack("<q", 3)),
    "doc index not monotone": lambda p: _corrupt(p + ".idx", 34 + 48 + 8, struct.pack("<q", 9)),
    "missing bin": lambda p: os.remove(p + ".bin"),
    "missing sidecar": lambda p: os.remove(p + ".json"),
    "sidecar not json": lambda p: _append(p + ".json", b"{oops"),
    "sidecar token count": lambda p: _patch_sidecar(p, n_tokens=1),
    "sidecar dtype": lambda p: _patch_sidecar(p, dtype="int32"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupt_or_truncated_refused(tmp_path, name):
    prefix = str(tmp_path / "ds")
    _write(prefix, SEQS, np.dtype(np.uint16))
    IndexedDataset(prefix)  # fine before
    CORRUPTIONS[name](prefix)
    with pytest.raises(DatasetError):
        IndexedDataset(prefix)


def test_flipped_token_caught_by_hash(tmp_path):
    prefix = str(tmp_path / "ds")
    _write(prefix, SEQS, np.dtype(np.uint16))
    _corrupt(prefix + ".bin", 2, b"\xff\xff")  # same size, different content
    ds = IndexedDataset(prefix)
    with pytest.raises(DatasetError, match="sha256"):
        ds.verify_hashes()


def test_expectations_checked(tmp_path):
    prefix = str(tmp_path / "ds")
    _write(prefix, SEQS, np.dtype(np.uint16))
    with pytest.raises(DatasetError, match="vocab_size"):
        IndexedDataset(prefix, expect={"vocab_size": 1000})
