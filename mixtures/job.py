"""`llama-data mixture build`: plan, run the shard writer as a Beam job over shard indices, write the
manifest (layout in mixtures/reader.py).

Shards are independent, so the job is Create(runs of consecutive shard indices) -> Reshuffle ->
ParDo(write each shard of the run in order): any Beam runner spreads the runs over workers, and within a
run consecutive shards reuse the epoch orders a worker has built (mixtures/stream.py). The sources are
memory-mapped, so workers need the tokens folder and
the output folder on a POSIX path (local disk or a shared mount). The manifest is written last, from the
shard sidecars, by the driver.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import re
import time
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter

from mixtures.build import BuildSpec, ShardBuilder, fingerprint, shard_name
from mixtures.config import MixtureConfig
from mixtures.estimate import DEFAULT_RESULTS, estimate, format_estimate
from mixtures.plan import Plan, plan_for_tokens
from mixtures.reader import FORMAT, MANIFEST
from pipeline.beam.runner import make_pipeline, print_dry_run
from pipeline.beam.transforms import NAMESPACE
from pipeline.document import SOURCES
from tokenizer.indexed import DatasetError, read_sidecar

log = logging.getLogger(__name__)
_SHARD_FILE = re.compile(r"^shard-(\d{5,})\.(bin|idx|json|src)$")


class WriteShard(beam.DoFn):
    """Writes (or keeps, when already identical) each shard of a (start, stop) run of indices."""

    def __init__(self, spec: BuildSpec) -> None:
        self.spec = spec
        self.builder: ShardBuilder | None = None
        self.built = Metrics.counter(NAMESPACE, "mixture.shards_built")
        self.kept = Metrics.counter(NAMESPACE, "mixture.shards_kept")
        self.tokens = Metrics.counter(NAMESPACE, "mixture.tokens_written")

    def setup(self) -> None:
        self.builder = ShardBuilder(self.spec)

    def teardown(self) -> None:
        if self.builder is not None:
            self.builder.close()

    def process(self, run: tuple[int, int]):
        assert self.builder is not None
        for k in range(*run):
            side = self.builder.build(k)
            if side["status"] == "built":
                self.built.inc()
                self.tokens.inc(side["n_tokens"])
                log.info(
                    "%s: %d tokens, %d docs in %.1f s",
                    shard_name(k),
                    side["n_tokens"],
                    side["n_docs"],
                    side["seconds"],
                )
            else:
                self.kept.inc()
            yield k


def shard_runs(num_shards: int, max_run: int = 16, min_runs: int = 64) -> list[tuple[int, int]]:
    """Consecutive shard indices in runs: at least `min_runs` runs (parallelism) where there are that
    many shards, at most `max_run` shards each (a retried bundle redoes little)."""
    size = max(1, min(max_run, num_shards // min_runs))
    return [(a, min(a + size, num_shards)) for a in range(0, num_shards, size)]


def workers_in(beam_args: list[str]) -> int:
    """The worker processes a Beam argument list asks for (--direct_num_workers, or a cluster's
    --num_workers / --max_num_workers); 1 when it names none."""
    n = 1
    for a in beam_args:
        key, _, value = a.partition("=")
        if key in ("--direct_num_workers", "--num_workers", "--max_num_workers") and value.isdigit():
            n = max(n, int(value))
    return n


def prepare_output(output: str, num_shards: int) -> None:
    """Remove what a killed or larger earlier build left: temp files, shards >= K, the old manifest
    (it is rewritten once every shard is in place)."""
    os.makedirs(output, exist_ok=True)
    for path in glob.glob(os.path.join(output, "*.tmp*")):
        os.remove(path)
    for name in os.listdir(output):
        m = _SHARD_FILE.match(name)
        if m and int(m.group(1)) >= num_shards:
            os.remove(os.path.join(output, name))
    if os.path.exists(os.path.join(output, MANIFEST)):
        os.remove(os.path.join(output, MANIFEST))


def make_spec(
    config: MixtureConfig,
    tokens_dir: str,
    output: str,
    target: int,
    seed: int = 0,
    shard_tokens: int = 1_000_000_000,
    max_epochs: float = 4.0,
    chunk_tokens: int | None = None,
    max_doc_tokens: int = 0,
) -> tuple[Plan, dict[str, Any], BuildSpec]:
    """The plan against `tokens_dir` and the spec every shard worker gets."""
    plan, summaries = plan_for_tokens(config, tokens_dir, target, shard_tokens, max_epochs)
    missing = [s.name for s in plan.sources if s.missing]
    if missing:
        raise DatasetError(
            f"{tokens_dir}: no token datasets for {', '.join(missing)} (the mixture needs every "
            f"source of {config.name}; see `llama-data mixture plan --available {tokens_dir}`)"
        )
    budgets = {s.name: s.budget_tokens for s in plan.sources}
    ref = next(iter(summaries.values()))
    spec = BuildSpec(
        tokens_dir=os.path.abspath(tokens_dir),
        output=os.path.abspath(output),
        seed=seed,
        num_shards=plan.num_shards,
        budgets=tuple(budgets.items()),
        fingerprint=fingerprint(summaries, budgets, seed, plan.num_shards, max_doc_tokens),
        max_doc_tokens=max_doc_tokens,
        vocab_size=ref.vocab_size,
        tokenizer_sha256=ref.tokenizer_sha256,
        **({"chunk_tokens": chunk_tokens} if chunk_tokens else {}),
    )
    return plan, summaries, spec


def build_mixture(
    config: MixtureConfig,
    tokens_dir: str,
    output: str,
    target: int,
    seed: int = 0,
    shard_tokens: int = 1_000_000_000,
    max_epochs: float = 4.0,
    beam_args: list[str] | None = None,
    dry_run: bool = False,
    chunk_tokens: int | None = None,
    max_doc_tokens: int = 0,
    speed_json: str = DEFAULT_RESULTS,
) -> dict[str, Any]:
    plan, summaries, spec = make_spec(
        config, tokens_dir, output, target, seed, shard_tokens, max_epochs, chunk_tokens, max_doc_tokens
    )
    for s in plan.sources:
        if s.data_starved:
            log.warning("%s is data-starved: %.2f epochs > %g", s.name, s.epochs, max_epochs)
    beam_args = list(beam_args or ["--runner=DirectRunner"])
    p = make_pipeline(beam_args, dry_run=dry_run)
    _ = (
        p
        | "ShardRuns" >> beam.Create(shard_runs(plan.num_shards))
        | "Spread" >> beam.Reshuffle()
        | "WriteShard" >> beam.ParDo(WriteShard(spec))
    )
    if dry_run:
        print(format_estimate(estimate(plan, workers_in(beam_args), speed_json)))
        print_dry_run(beam_args, p)
        return {}
    prepare_output(output, plan.num_shards)
    t0 = time.time()
    result = p.run()
    result.wait_until_finish()
    counters = {
        c.key.metric.name: (c.committed if c.committed is not None else c.attempted)
        for c in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]
    }
    manifest = write_manifest(config, plan, summaries, spec)
    return {
        "manifest": manifest,
        "seconds": time.time() - t0,
        "built": counters.get("mixture.shards_built", 0),
        "kept": counters.get("mixture.shards_kept", 0),
    }


def write_manifest(config: MixtureConfig, plan: Plan, summaries: dict[str, Any], spec: BuildSpec) -> dict[str, Any]:
    """manifest.json from the shard sidecars (reader.py documents the schema). No wall-clock values or
    absolute paths: the same inputs and seed give a byte-identical manifest."""
    shards: list[dict[str, Any]] = []
    taken = {n: 0 for n, _ in spec.budgets}
    docs_taken = {n: 0 for n, _ in spec.budgets}
    skipped: dict[str, int] = {}
    for k in range(spec.num_shards):
        side = read_sidecar(os.path.join(spec.output, shard_name(k)))
        if side.get("mixture_fingerprint") != spec.fingerprint:
            raise DatasetError(f"{shard_name(k)}: not written by this build (fingerprint differs)")
        for n, t in side["source_tokens"].items():
            taken[n] += t
            docs_taken[n] += side["source_documents"][n]
        skipped = side.get("skipped_empty_documents", {})
        shards.append(
            {
                "name": shard_name(k),
                "tokens": side["n_tokens"],
                "documents": side["n_docs"],
                "source_tokens": side["source_tokens"],
                "source_documents": side["source_documents"],
                "planned_source_tokens": side["planned_source_tokens"],
                "sha256": {"bin": side["bin_sha256"], "idx": side["idx_sha256"], "src": side["src_sha256"]},
            }
        )
    total = sum(taken.values())
    ref = next(iter(summaries.values()))
    manifest = {
        "format": FORMAT,
        "name": config.name,
        "provenance": config.provenance,
        "target_tokens": plan.target_tokens,
        "seed": spec.seed,
        "shard_tokens": plan.shard_tokens,
        "num_shards": spec.num_shards,
        "total_tokens": total,
        "total_documents": sum(docs_taken.values()),
        "tokenizer_sha256": spec.tokenizer_sha256,
        "vocab_size": spec.vocab_size,
        "dtype": ref.dtype,
        "bos_id": 1,
        "eos_id": 2,
        "fingerprint": spec.fingerprint,
        "source_codes": {n: i for i, n in enumerate(SOURCES)},
        "sources": {
            s.name: {
                **s.to_json(),
                "tokens_taken": taken[s.name],
                "documents_taken": docs_taken[s.name],
                "share": taken[s.name] / total if total else 0.0,
                "skipped_empty_documents": skipped.get(s.name, 0),
                "inputs": [dict(p) for p in summaries[s.name].parts],
            }
            for s in plan.sources
        },
        "shards": shards,
    }
    path = os.path.join(spec.output, MANIFEST)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return manifest
