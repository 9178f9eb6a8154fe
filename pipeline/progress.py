"""Progress of a long job, seen from the launching process whatever the runner.

Workers (in-process, DirectRunner subprocesses, a local worker pool) each write a tiny JSON file of
their running totals into a folder the launcher created; a thread in the launcher sums those files
every few seconds and logs one line: documents and MB read, docs/s, MB/s, the share of the input
done and an ETA from input bytes. Files rather than Beam counters because a DirectRunner run blocks in
`p.run()` and its counters are only visible at the end. On a cluster the folder does not exist on the
workers and reporting switches itself off (the runner's own UI shows progress there).

The same files carry each worker process's peak RSS, so the end-of-run summary can state the peak
memory of every process of the job, not only the launcher's.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import threading
import time

log = logging.getLogger("llama_data.progress")
WRITE_EVERY_S = 2.0


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ProgressFile:
    """A worker's running totals for one phase (e.g. "read", "hash", "clean"), written at most every
    WRITE_EVERY_S seconds and at the end of each input file. Cheap: a counter add per document."""

    def __init__(self, folder: str | None, phase: str) -> None:
        self.enabled = bool(folder) and os.path.isdir(folder)  # type: ignore[arg-type]
        self.path = os.path.join(folder or "", f"{phase}-{os.getpid()}-{id(self)}.json")
        self.phase = phase
        self.docs = self.text_bytes = self.input_done = self.text_done = self.files = 0
        self._next = 0.0
        self.started = 0.0  # wall clock of the first document, for the launcher's rates and ETA

    def doc(self, nchars: int) -> None:
        if not self.docs:
            self.started = time.time()
        self.docs += 1
        self.text_bytes += nchars
        if self.enabled and self.docs % 64 == 0 and time.monotonic() >= self._next:
            self.write()

    def file_done(self, input_bytes: int) -> None:
        self.files += 1
        self.input_done += input_bytes
        self.text_done = self.text_bytes
        if self.enabled:
            self.write()

    def write(self) -> None:
        self._next = time.monotonic() + WRITE_EVERY_S
        state = {
            "phase": self.phase,
            "pid": os.getpid(),
            "docs": self.docs,
            "text_bytes": self.text_bytes,
            "input_done": self.input_done,
            "text_done": self.text_done,
            "files": self.files,
            "started": self.started,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        tmp = f"{self.path}.tmp"
        try:
            with open(tmp, "w", encoding="ascii") as f:
                json.dump(state, f)
            os.replace(tmp, self.path)
        except OSError:  # progress is best effort: never fail a job over it
            self.enabled = False


def read_states(folder: str) -> list[dict]:
    out = []
    try:
        names = os.listdir(folder)
    except OSError:
        return out
    for name in names:
        if name.endswith(".json"):
            try:
                with open(os.path.join(folder, name), encoding="ascii") as f:
                    out.append(json.load(f))
            except (OSError, ValueError):
                continue
    return out


def _eta(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


def phase_elapsed(states: list[dict], now: float | None = None) -> dict[str, float]:
    """Seconds since each pass's first document (the earliest over the workers that report it)."""
    now = time.time() if now is None else now
    first: dict[str, float] = {}
    for st in states:
        if st.get("started"):
            first[st["phase"]] = min(first.get(st["phase"], now), st["started"])
    return {p: now - t for p, t in first.items()}


PHASE_ORDER = ("hash", "clean", "read")  # a two-pass job hashes, then cleans; a one-pass job reads


def summarize(states: list[dict], total_input: int, passes: int, phase_elapsed: dict[str, float]) -> str:
    """One progress line about the pass under way: its share of the input bytes (the part of a file not
    finished yet is estimated from its text read so far at the input/text ratio of finished files),
    its documents and MB of text, its rates, and the ETA of that pass (a pass-1 ETA says pass 2 follows)."""
    by_phase: dict[str, list[dict]] = {}
    for st in states:
        by_phase.setdefault(st["phase"], []).append(st)
    current = [p for p in PHASE_ORDER if p in by_phase]
    if not current:
        return "progress: starting (no input file opened yet)"
    phase = current[-1]
    ss = by_phase[phase]
    docs = sum(x["docs"] for x in ss)
    text = sum(x["text_bytes"] for x in ss)
    input_done = sum(x["input_done"] for x in ss)
    text_done = sum(x["text_done"] for x in ss)
    ratio = input_done / text_done if text_done else 0.0
    share = min(1.0, (input_done + ratio * (text - text_done)) / max(1, total_input))
    elapsed = max(phase_elapsed.get(phase, 0.0), 1e-9)
    number = PHASE_ORDER.index(phase) + 1 if passes > 1 else 1
    line = (
        f"progress: pass {number}/{passes} ({phase}) {100 * share:.0f}% of {total_input / 1e6:,.1f} MB input, "
        f"{docs:,} docs, {text / 1e6:,.1f} MB text, {docs / elapsed:,.0f} docs/s, {text / 1e6 / elapsed:.2f} MB/s"
    )
    if 0 < share < 1:
        line += f", ETA {_eta(elapsed * (1 - share) / share)}"
        if number < passes:
            line += f" for pass {number}, then pass {passes}"
    elif share == 0:
        line += ", ETA after the first file"
    return line


class ProgressMonitor:
    """Launcher side: a daemon thread that logs `summarize(...)` every `every_s` seconds."""

    def __init__(self, folder: str, total_input: int, passes: int = 1, every_s: float = 10.0) -> None:
        self.folder = folder
        self.total_input = total_input
        self.passes = passes
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="llama-data-progress", daemon=True)

    def __enter__(self) -> ProgressMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            states = read_states(self.folder)
            log.info(summarize(states, self.total_input, self.passes, phase_elapsed(states)))

    def peak_rss(self) -> dict[str, float]:
        """Peak RSS in MB: the launcher, every other process that reported, and their sum (an upper
        bound of the job's simultaneous peak)."""
        me = os.getpid()
        workers: dict[int, float] = {}
        for s in read_states(self.folder):
            if s["pid"] != me:
                workers[s["pid"]] = max(workers.get(s["pid"], 0.0), s["peak_rss_mb"])
        main = round(peak_rss_mb(), 1)
        return {
            "launcher_mb": main,
            "workers_mb": round(sum(workers.values()), 1),
            "worker_processes": len(workers),
            "total_mb": round(main + sum(workers.values()), 1),
        }
