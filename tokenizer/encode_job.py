"""`llama-data tokenizer encode` as a Beam job: parallel over input shards, the model loaded once per
worker in DoFn.setup(), a summary.json per source at the end. Reruns skip shards whose sidecar matches
the input shard (sha256) and the tokenizer (sha256)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.beam.transforms import NAMESPACE
from tokenizer.encode import ShardEncoder, plan, remove_stale, summarise, up_to_date, write_summary

log = logging.getLogger(__name__)


def read_model(path: str) -> bytes:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as f:
        return f.read()


class EncodeShard(beam.DoFn):
    """(source, shard, prefix) -> (source, sidecar); skips a shard already encoded with this tokenizer."""

    def __init__(
        self,
        model_path: str,
        model_sha256: str,
        num_threads: int,
        batch_bytes: int,
        config: dict[str, Any],
        force: bool = False,
    ) -> None:
        self.model_path, self.model_sha256 = model_path, model_sha256
        self.num_threads, self.batch_bytes = num_threads, batch_bytes
        self.config, self.force = config, force

    def setup(self) -> None:
        proto = read_model(self.model_path)
        if hashlib.sha256(proto).hexdigest() != self.model_sha256:
            raise RuntimeError(f"{self.model_path} changed since the job started (sha256 differs)")
        self.encoder = ShardEncoder(proto, self.num_threads, self.batch_bytes)
        self._encoded = Metrics.counter(NAMESPACE, "tokenizer.shards_encoded")
        self._skipped = Metrics.counter(NAMESPACE, "tokenizer.shards_skipped")
        self._docs = Metrics.counter(NAMESPACE, "tokenizer.documents")
        self._tokens = Metrics.counter(NAMESPACE, "tokenizer.tokens")

    def process(self, task: tuple[str, str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
        source, shard, prefix = task
        enc = self.encoder
        side = None if self.force else up_to_date(prefix, shard, enc.sha256, enc.vocab_size)
        if side is not None:
            self._skipped.inc()
            log.info("%s: up to date, skipped", prefix)
        else:
            t0 = time.time()
            side = enc.encode_shard(source, shard, prefix, self.config)
            secs = max(time.time() - t0, 1e-9)
            log.info(
                "%s: %d docs, %d tokens, %.2f MB/s",
                prefix,
                side["n_docs"],
                side["n_tokens"],
                side["text_bytes"] / 1e6 / secs,
            )
            self._encoded.inc()
            self._docs.inc(side["n_docs"])
            self._tokens.inc(side["n_tokens"])
        yield source, side


class WriteSummary(beam.DoFn):
    def __init__(self, output: str) -> None:
        self.output = output

    def process(self, item: tuple[str, Any]) -> Iterator[dict[str, Any]]:
        source, sidecars = item
        summary = summarise(source, list(sidecars))
        write_summary(os.path.join(self.output, source), summary)
        yield summary


def _counters(result: Any) -> dict[str, int]:
    from apache_beam.metrics.metric import MetricsFilter

    out: dict[str, int] = {}
    for c in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        value = c.committed if c.committed is not None else c.attempted
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + value
    return out


def run_encode(
    model_path: str,
    inputs: list[str],
    output: str,
    beam_args: list[str],
    num_threads: int = 0,
    batch_bytes: int = 8 << 20,
    force: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    from pipeline.beam.runner import make_pipeline, print_dry_run
    from tokenizer.sources import discover

    shards = discover(inputs)
    tasks = plan(shards, output)
    proto = read_model(model_path)
    sha = hashlib.sha256(proto).hexdigest()
    threads = num_threads or os.cpu_count() or 1
    config = {"tokenizer": model_path, "add_bos": True, "add_eos": True, "batch_bytes": batch_bytes}
    log.info(
        "encoding %d shards of %d sources with %s (sha256 %s…), %d threads per worker",
        len(tasks),
        len(shards),
        model_path,
        sha[:12],
        threads,
    )
    p = make_pipeline(beam_args, dry_run=dry_run)
    _ = (
        p
        | "ListShards" >> beam.Create(tasks)
        | "SpreadShards" >> beam.Reshuffle()
        | "Encode" >> beam.ParDo(EncodeShard(model_path, sha, threads, batch_bytes, config, force))
        | "BySource" >> beam.GroupByKey()
        | "WriteSummary" >> beam.ParDo(WriteSummary(output))
    )
    if dry_run:
        print_dry_run(beam_args, p)
        return {}
    for path in remove_stale(tasks, output):
        log.info("removed stale %s", path)
    t0 = time.time()
    result = p.run()
    result.wait_until_finish()
    stats = _counters(result)
    summaries = {}
    for src in shards:
        with open(os.path.join(output, src, "summary.json"), encoding="utf-8") as f:
            summaries[src] = json.load(f)
    return {
        "wall_seconds": round(time.time() - t0, 2),
        "counters": stats,
        "sources": summaries,
        "tokenizer_sha256": sha,
    }
