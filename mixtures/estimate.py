"""What a mixture build costs before it starts: the bytes it writes and its expected wall time.

The time comes from the writer speed that bench/bench_mixture.py measured per number of worker processes
(shipped with the package as mixtures/data/mixture.json, copied from bench/results/mixture.json by
bench/publish_results.py; `--speed-json PATH` reads another file), or from a stated default when there is
no such file; the message always says which. Shards are independent, so N workers write up to N shards at
once: a worker count the bench did not measure is extrapolated linearly from the nearest measured one and
capped at the disk speed measured in the same bench run (and at one worker per shard).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from mixtures.plan import Plan

# Package data, so that an installed copy finds it too (a checkout's bench/results/ is not installed).
DEFAULT_RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mixture.json")
# The fields of a bench_mixture.py result that this module and `llama-data capacity` read: the shape
# bench/publish_results.py copies into DEFAULT_RESULTS ("*": every key of a table, True: the value).
MEASURED_FIELDS = {
    "machine": True,
    "cpus": True,
    "date": True,
    "write_mb_per_s": True,
    "disk_mb_per_s": True,
    "mean_doc_bytes": True,
    "workers": {"*": {"write_mb_per_s": True}},
}
DEFAULT_MB_PER_S = 300.0  # per worker process, below the 380-530 MB/s one writer measured on the 2-core dev VM
SRC_BYTES_PER_DOC = 1  # .src: one source code per document


@dataclasses.dataclass(frozen=True)
class Speed:
    mb_per_s: float
    source: str  # where the figure came from, in words


@dataclasses.dataclass(frozen=True)
class Estimate:
    workers: int  # worker processes that can be busy (at most one per shard)
    bin_bytes: int
    index_bytes: int | None  # .idx + .src; None when the document count is unknown
    seconds: float
    speed: Speed
    capped_workers: bool  # asked for more workers than there are shards

    @property
    def total_bytes(self) -> int:
        return self.bin_bytes + (self.index_bytes or 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "bin_bytes": self.bin_bytes,
            "index_bytes_estimate": self.index_bytes,
            "total_bytes": self.total_bytes,
            "mb_per_s": self.speed.mb_per_s,
            "speed_source": self.speed.source,
            "seconds": self.seconds,
        }


def _measured(data: dict[str, Any]) -> dict[int, float]:
    """{workers: MB/s} from a bench result; files from before the per-worker table hold one process."""
    rows = {int(n): float(r["write_mb_per_s"]) for n, r in (data.get("workers") or {}).items()}
    if not rows and "write_mb_per_s" in data:
        rows[1] = float(data["write_mb_per_s"])
    return rows


def writer_speed(workers: int, results: str = DEFAULT_RESULTS) -> Speed:
    """The expected write rate of `workers` worker processes, and where the figure came from."""
    try:
        with open(results, encoding="utf-8") as f:
            data = json.load(f)
        measured = _measured(data)
    except (OSError, ValueError, KeyError, TypeError):
        data, measured = {}, {}
    if not measured:
        return Speed(
            DEFAULT_MB_PER_S * workers,
            f"assumed {DEFAULT_MB_PER_S:.0f} MB/s per worker: no writer speed in {_shown(results)} "
            f"(measure it with `python bench/bench_mixture.py --json {_shown(results)}`)",
        )
    where = f"{_shown(results)}, measured on {data.get('machine', '?')}"
    where += f" ({data['date']})" if data.get("date") else ""
    if data.get("mean_doc_bytes"):
        where += (
            f"; its documents average {data['mean_doc_bytes']:,.0f} bytes and the time per document "
            "dominates, so longer documents write faster"
        )
    if workers in measured:
        return Speed(measured[workers], f"measured with {workers} worker(s): {where}")
    base = max((n for n in measured if n <= workers), default=min(measured))
    rate = measured[base] * workers / base
    how = f"extrapolated from {measured[base]:.0f} MB/s measured with {base} worker(s), x{workers / base:g}"
    disk = data.get("disk_mb_per_s")
    if disk and rate > disk:
        rate, how = float(disk), how + f", capped at the disk speed measured there ({disk:.0f} MB/s)"
    return Speed(rate, f"{how}: {where}")


def estimate(plan: Plan, workers: int = 1, results: str = DEFAULT_RESULTS) -> Estimate:
    busy = max(1, min(workers, plan.num_shards))
    docs = plan.documents_estimate
    index = None if docs is None else (plan.idx_bytes_estimate or 0) + SRC_BYTES_PER_DOC * docs
    speed = writer_speed(busy, results)
    total = plan.bin_bytes + (index or 0)
    return Estimate(busy, plan.bin_bytes, index, total / 1e6 / speed.mb_per_s, speed, busy < workers)


def size(nbytes: float) -> str:
    """Decimal units, as disks are sold: 2.8e12 -> '2.80 TB'."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.2f} {unit}"
    return f"{nbytes:.0f} B"


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def format_estimate(e: Estimate) -> str:
    from tokenizer.indexed import IDX_BYTES_PER_SEQUENCE

    per_doc = IDX_BYTES_PER_SEQUENCE + SRC_BYTES_PER_DOC
    idx = (
        f" + .idx/.src ~{size(e.index_bytes)}"
        if e.index_bytes is not None
        else f" + .idx/.src {per_doc} bytes per document, count unknown here"
    )
    capped = " (one per shard)" if e.capped_workers else ""
    return (
        f"writes {size(e.total_bytes)} (.bin {size(e.bin_bytes)}{idx}); expected wall time with "
        f"{e.workers} worker(s){capped}: {duration(e.seconds)} at {e.speed.mb_per_s:.0f} MB/s\n"
        f"  writer speed: {e.speed.source}"
    )
