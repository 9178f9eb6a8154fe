"""Mixture config: per-source sampling proportions with their provenance.

The numbers live in YAML (mixtures/llama1.yaml holds Table 1 of the LLaMA paper); this module loads
them into typed, validated dataclasses and parses token counts such as "1.4T".
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

from pipeline.document import SOURCES

DEFAULT_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llama1.yaml")
_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


class ConfigError(ValueError):
    """A mixture config that does not validate."""


@dataclasses.dataclass(frozen=True)
class SourceWeight:
    name: str  # one of pipeline.document.SOURCES
    proportion: float  # sampling proportion, a fraction (Table 1's percent / 100)
    epochs_at_reference: float  # Table 1's epochs column (at `reference_tokens`)
    disk_bytes: int  # Table 1's disk size (decimal units, as printed)
    paper_name: str = ""

    def paper_available_tokens(self, reference_tokens: int) -> int:
        """Tokens of this source implied by the paper: proportion x reference / epochs."""
        return round(self.proportion * reference_tokens / self.epochs_at_reference)


@dataclasses.dataclass(frozen=True)
class MixtureConfig:
    name: str
    reference_tokens: int
    sources: tuple[SourceWeight, ...]
    provenance: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [s.name for s in self.sources]
        unknown = [n for n in names if n not in SOURCES]
        if unknown:
            raise ConfigError(f"unknown source(s) {unknown}; expected names from {', '.join(SOURCES)}")
        if len(set(names)) != len(names):
            raise ConfigError(f"duplicate source in {names}")
        if not self.sources:
            raise ConfigError("a mixture needs at least one source")
        for s in self.sources:
            if not 0.0 < s.proportion <= 1.0:
                raise ConfigError(f"{s.name}: proportion {s.proportion} outside (0, 1]")
            if s.epochs_at_reference <= 0:
                raise ConfigError(f"{s.name}: epochs_at_reference must be > 0")
        total = sum(s.proportion for s in self.sources)
        if abs(total - 1.0) > 1e-9:
            raise ConfigError(f"proportions sum to {total!r}, not 1 (within 1e-9)")
        if self.reference_tokens <= 0:
            raise ConfigError("reference_tokens must be > 0")

    def by_name(self) -> dict[str, SourceWeight]:
        return {s.name: s for s in self.sources}


def parse_tokens(text: str | int) -> int:
    """'1.4T' -> 1_400_000_000_000; suffixes K, M, B (or G), T are powers of 1000; plain ints pass."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([KkMmBbGgTt]?)\s*", str(text))
    if not m:
        raise ValueError(f"cannot read a token count from {text!r} (use e.g. 300M, 1T, 1.4T, 2500000)")
    value = float(m.group(1)) * _SUFFIX[m.group(2).upper()]
    if value < 1:
        raise ValueError(f"token count {text!r} must be at least 1")
    return round(value)


def parse_bytes(text: str | int) -> int:
    """'3.3 TB' -> 3_300_000_000_000 (decimal units, as the paper prints them)."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?B)\s*", str(text).upper())
    if not m:
        raise ConfigError(f"cannot read a disk size from {text!r} (use e.g. 783 GB)")
    return round(float(m.group(1)) * _UNITS[m.group(2)])


def config_from_dict(raw: dict[str, Any]) -> MixtureConfig:
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), dict):
        raise ConfigError("a mixture config needs a mapping `sources: {name: {...}}`")
    sources = []
    for name, row in raw["sources"].items():
        if not isinstance(row, dict) or "proportion_percent" not in row:
            raise ConfigError(f"{name}: needs proportion_percent")
        sources.append(
            SourceWeight(
                name=str(name),
                proportion=float(row["proportion_percent"]) / 100.0,
                epochs_at_reference=float(row.get("epochs_at_reference", 1.0)),
                disk_bytes=parse_bytes(row.get("disk", 0)),
                paper_name=str(row.get("paper_name", name)),
            )
        )
    # Keep the pipeline's source order (SOURCES), whatever order the file lists them in.
    order = {n: i for i, n in enumerate(SOURCES)}
    sources.sort(key=lambda s: order.get(s.name, len(order)))
    return MixtureConfig(
        name=str(raw.get("name", "mixture")),
        reference_tokens=parse_tokens(raw.get("reference_tokens", 1_400_000_000_000)),
        sources=tuple(sources),
        provenance={str(k): str(v) for k, v in (raw.get("provenance") or {}).items()},
    )


def load_config(path: str | None = None) -> MixtureConfig:
    """Load a mixture config (YAML); the default is Table 1 (mixtures/llama1.yaml)."""
    import yaml

    path = path or DEFAULT_CONFIG
    try:
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: mixture config not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    try:
        return config_from_dict(raw)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
