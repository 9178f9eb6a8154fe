"""Copy the measured figures the product reads at run time from bench results into the package data.

    .venv/bin/python bench/publish_results.py [--from bench/results] [--check]

`llama-data capacity` reads pipeline/data/measured/*.json and `llama-data mixture plan/build` read
mixtures/data/mixture.json: package data, so an installed copy works without a checkout. Only the
fields those modules read are copied (their MEASURED_FIELDS), so the shipped files stay small and a bench
run changes what the product reports only once it is published. A result file that is not there is
skipped with a note; the published copy of it, if any, is left as it is. `--check` writes nothing and
exits 1 when a published file differs from what a publish would write.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mixtures import estimate
from pipeline.app import capacity


def pick(data: Any, shape: Any) -> Any:
    """The part of `data` that `shape` names: True keeps a value, a dict keeps its keys (`"*"`: every
    key), a one-item list applies its item to each row. Keys the data lacks are left out."""
    if shape is True:
        return data
    if isinstance(shape, list):
        return [pick(row, shape[0]) for row in data]
    if "*" in shape:
        return {k: pick(v, shape["*"]) for k, v in data.items()}
    return {k: pick(data[k], sub) for k, sub in shape.items() if k in data}


def targets() -> list[tuple[str, str, dict[str, Any]]]:
    """(result file stem, published path, fields) for every figure the product reads."""
    out = [(s, os.path.join(capacity.MEASURED_DIR, f"{s}.json"), f) for s, f in capacity.MEASURED_FIELDS.items()]
    return out + [("mixture", estimate.DEFAULT_RESULTS, estimate.MEASURED_FIELDS)]


def render(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", default=os.path.join(ROOT, "bench", "results"), help="bench results folder")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a published file is stale")
    args = ap.parse_args(argv)
    stale = 0
    for stem, dest, fields in targets():
        src = os.path.join(args.src, f"{stem}.json")
        if not os.path.exists(src):
            print(f"{stem}: no {os.path.relpath(src)}, skipped")
            continue
        with open(src, encoding="utf-8") as f:
            text = render(pick(json.load(f), fields))
        old = open(dest, encoding="utf-8").read() if os.path.exists(dest) else None
        if text == old:
            print(f"{stem}: {os.path.relpath(dest)} up to date")
        elif args.check:
            print(f"{stem}: {os.path.relpath(dest)} differs from {os.path.relpath(src)}")
            stale += 1
        else:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"{stem}: wrote {os.path.relpath(dest)} ({len(text)} bytes)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
