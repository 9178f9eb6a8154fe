"""The house plan (docs/ARCHITECTURE.md): five floors, imports only downwards or sideways, and Beam only
on the jobs floor and above.

    5 app     pipeline/app/ and every package's cli.py: the command line, demo, report, capacity, samples
    4 jobs    pipeline/beam/, tokenizer/encode_job.py, mixtures/job.py: the Beam pipelines
    3 tools   tokenizer/, mixtures/, train_stub/: tokenizer training, mixing, the trainer (no Beam)
    2 steps   filters/: the cleaning rules as plain Python
    1 ground  pipeline/*.py and pipeline/sources/: the record, its store, file access, the readers
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("pipeline", "filters", "tokenizer", "mixtures", "train_stub")
FLOORS = (  # first match wins
    (5, "app", re.compile(r"^pipeline\.app(\.|$)|(^|\.)cli$")),
    (4, "jobs", re.compile(r"^pipeline\.beam(\.|$)|^tokenizer\.encode_job$|^mixtures\.job$")),
    (3, "tools", re.compile(r"^(tokenizer|mixtures|train_stub)(\.|$)")),
    (2, "steps", re.compile(r"^filters(\.|$)")),
    (1, "ground", re.compile(r"^pipeline(\.|$)")),
)


def modules() -> dict[str, str]:
    out = {}
    for pkg in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, pkg)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    mod = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                    out[mod.removesuffix(".__init__")] = path
    return out


def floor(mod: str) -> tuple[int, str]:
    for rank, name, pattern in FLOORS:
        if pattern.search(mod):
            return rank, name
    raise AssertionError(f"{mod}: on no floor")


def imported(path: str) -> list[tuple[str, int]]:
    """Every absolute import in the file, at any depth (function-level imports count too)."""
    out = []
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(f"{node.module}.{a.name}", node.lineno) for a in node.names] + [(node.module, node.lineno)]
    return out


def test_every_module_is_on_a_floor_and_imports_only_downwards() -> None:
    mods = modules()
    assert len(mods) > 100
    upward = []
    for mod, path in sorted(mods.items()):
        rank, name = floor(mod)
        for target, line in imported(path):
            while target and target not in mods:  # `from pkg.mod import name` -> pkg.mod
                target = target.rpartition(".")[0]
            if target and target != mod and floor(target)[0] > rank:
                upward.append(f"{os.path.relpath(path, ROOT)}:{line} ({name}) imports {target} ({floor(target)[1]})")
    assert not upward, "imports from a floor above:\n" + "\n".join(upward)


def test_the_floors_under_the_jobs_load_no_beam() -> None:
    below = sorted(m for m in modules() if floor(m)[0] <= 3)
    code = (
        "import importlib, sys\n"
        f"for m in {below!r}:\n"
        "    importlib.import_module(m)\n"
        "    assert 'apache_beam' not in sys.modules, m\n"
        "print(len(sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
