"""Per-source budgets for a target token count.

budget_s = proportion_s x target; epochs_s = budget_s / available_s; taken as floor(epochs) whole passes
plus a fraction. With the paper's implied availability (proportion x 1.4T / Table 1 epochs) the epochs
at 1.4T reproduce Table 1 and the 1T run's follow; with a tokens folder they are this build's own.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from mixtures.config import MixtureConfig

DEFAULT_SHARD_TOKENS = 1_000_000_000  # 2 GB of uint16 per shard .bin
DEFAULT_MAX_EPOCHS = 4.0


@dataclasses.dataclass(frozen=True)
class SourcePlan:
    name: str
    proportion: float
    available_tokens: int  # 0: the source is missing
    budget_tokens: int
    available_documents: int | None = None
    paper_epochs_at_reference: float | None = None
    max_epochs: float = DEFAULT_MAX_EPOCHS

    @property
    def missing(self) -> bool:
        return self.available_tokens <= 0

    @property
    def epochs(self) -> float:
        return math.inf if self.missing else self.budget_tokens / self.available_tokens

    @property
    def whole_passes(self) -> int:
        # a budget that ends on a pass boundary is that many whole passes (integer test, no float noise)
        return 0 if self.missing else self.budget_tokens // self.available_tokens

    @property
    def fraction(self) -> float:
        if self.missing:
            return 0.0
        return (self.budget_tokens - self.whole_passes * self.available_tokens) / self.available_tokens

    @property
    def data_starved(self) -> bool:
        return self.epochs > self.max_epochs

    def to_json(self) -> dict[str, Any]:
        return {
            "proportion": self.proportion,
            "available_tokens": self.available_tokens,
            "available_documents": self.available_documents,
            "budget_tokens": self.budget_tokens,
            "epochs": None if self.missing else self.epochs,
            "whole_passes": self.whole_passes,
            "fraction": self.fraction,
            "data_starved": self.data_starved,
            "missing": self.missing,
            "paper_epochs_at_reference": self.paper_epochs_at_reference,
        }


@dataclasses.dataclass(frozen=True)
class Plan:
    target_tokens: int
    available_from: str  # "paper" or the tokens folder
    sources: tuple[SourcePlan, ...]
    shard_tokens: int
    dtype_bytes: int
    max_epochs: float
    reference_tokens: int

    @property
    def num_shards(self) -> int:
        return max(1, math.ceil(self.target_tokens / self.shard_tokens))

    @property
    def bin_bytes(self) -> int:
        return sum(s.budget_tokens for s in self.sources) * self.dtype_bytes

    @property
    def documents_estimate(self) -> int | None:
        if any(s.available_documents is None or s.missing for s in self.sources):
            return None
        return round(sum(s.budget_tokens / s.available_tokens * s.available_documents for s in self.sources))

    @property
    def idx_bytes_estimate(self) -> int | None:
        from tokenizer.indexed import IDX_BYTES_PER_FILE, IDX_BYTES_PER_SEQUENCE  # the format's own sizes

        docs = self.documents_estimate
        return None if docs is None else self.num_shards * IDX_BYTES_PER_FILE + IDX_BYTES_PER_SEQUENCE * docs

    def by_name(self) -> dict[str, SourcePlan]:
        return {s.name: s for s in self.sources}

    def to_json(self) -> dict[str, Any]:
        return {
            "target_tokens": self.target_tokens,
            "available_from": self.available_from,
            "reference_tokens": self.reference_tokens,
            "max_epochs": self.max_epochs,
            "num_shards": self.num_shards,
            "shard_tokens": self.shard_tokens,
            "bin_bytes": self.bin_bytes,
            "idx_bytes_estimate": self.idx_bytes_estimate,
            "data_starved": [s.name for s in self.sources if s.data_starved],
            "missing": [s.name for s in self.sources if s.missing],
            "sources": {s.name: s.to_json() for s in self.sources},
        }


def make_plan(
    config: MixtureConfig,
    target_tokens: int,
    available: dict[str, int] | None = None,
    documents: dict[str, int] | None = None,
    available_from: str = "paper",
    shard_tokens: int = DEFAULT_SHARD_TOKENS,
    dtype_bytes: int = 2,
    max_epochs: float = DEFAULT_MAX_EPOCHS,
) -> Plan:
    """`available=None` uses the paper's implied counts (proportion x reference / Table 1 epochs)."""
    if target_tokens <= 0:
        raise ValueError("target must be a positive token count")
    if shard_tokens <= 0:
        raise ValueError("--shard-tokens must be positive")
    rows = []
    for s in config.sources:
        if available is None:
            avail = s.paper_available_tokens(config.reference_tokens)
        else:
            avail = int(available.get(s.name, 0))
        rows.append(
            SourcePlan(
                name=s.name,
                proportion=s.proportion,
                available_tokens=avail,
                budget_tokens=round(s.proportion * target_tokens),
                available_documents=None if documents is None else documents.get(s.name),
                paper_epochs_at_reference=s.epochs_at_reference,
                max_epochs=max_epochs,
            )
        )
    return Plan(
        target_tokens=target_tokens,
        available_from=available_from,
        sources=tuple(rows),
        shard_tokens=shard_tokens,
        dtype_bytes=dtype_bytes,
        max_epochs=max_epochs,
        reference_tokens=config.reference_tokens,
    )


def human(n: float, unit: str = "") -> str:
    """1.4e12 -> '1.40T' (powers of 1000, as the paper's token counts)."""
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{suffix}{unit}"
    return f"{n:.0f}{unit}"


def format_table(plan: Plan) -> str:
    lines = [
        (
            f"target {human(plan.target_tokens)} tokens ({plan.target_tokens:,}); available tokens from "
            f"{plan.available_from}"
        ),
        (
            f"{'source':14s} {'prop %':>7s} {'available':>10s} {'budget':>10s} {'epochs':>7s} "
            f"{'passes':>6s} {'+frac':>6s} {'paper@' + human(plan.reference_tokens):>11s}  note"
        ),
    ]
    for s in plan.sources:
        note = "MISSING" if s.missing else (f"DATA-STARVED (> {plan.max_epochs:g} epochs)" if s.data_starved else "")
        epochs = "-" if s.missing else f"{s.epochs:.2f}"
        paper = "" if s.paper_epochs_at_reference is None else f"{s.paper_epochs_at_reference:.2f}"
        lines.append(
            f"{s.name:14s} {100 * s.proportion:7.1f} {human(s.available_tokens):>10s} "
            f"{human(s.budget_tokens):>10s} {epochs:>7s} {s.whole_passes:6d} {s.fraction:6.2f} "
            f"{paper:>11s}  {note}"
        )
    idx = plan.idx_bytes_estimate
    lines.append(
        f"output: {plan.num_shards} shard(s) of <= {human(plan.shard_tokens)} tokens; "
        f".bin {human(plan.bin_bytes, 'B')}"
        + ("" if idx is None else f", .idx ~{human(idx, 'B')}")
        + f" ({plan.dtype_bytes}-byte tokens)"
    )
    return "\n".join(lines)


def plan_for_tokens(
    config: MixtureConfig, tokens_dir: str, target: int, shard_tokens: int, max_epochs: float
) -> tuple[Plan, dict[str, Any]]:
    """The plan against the token datasets in `tokens_dir` (sidecars only), and their summaries."""
    from mixtures.inputs import summarize

    summaries = summarize(tokens_dir)
    ref = next(iter(summaries.values()))
    plan = make_plan(
        config,
        target,
        available={n: s.tokens for n, s in summaries.items()},
        documents={n: s.documents for n, s in summaries.items()},
        available_from=tokens_dir,
        shard_tokens=shard_tokens,
        dtype_bytes=2 if ref.dtype == "uint16" else 4,
        max_epochs=max_epochs,
    )
    return plan, summaries
