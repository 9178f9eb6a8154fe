"""Drop reasons come from one place (filters/reasons.py): every reason the code drops for is there, with
its meaning, and every name there is in use."""

from __future__ import annotations

import os
import re

from filters.reasons import DROP_REASONS, DYNAMIC_PREFIXES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the ways the code names a drop reason: a step's Drop("..."), a Beam wrapper's .drop(doc, "..."),
# .dropped(doc, "..."), drop_from(index, "..."), CommonCrawl's tally.drop("step", doc, "..."), and the
# reasons C4's line rules return
PATTERNS = [
    re.compile(r'Drop\("([a-z_0-9]+)"\)'),
    re.compile(r'\.drop\([^,()]+, "([a-z_0-9]+)"'),
    re.compile(r'\.dropped\([^,()]+, "([a-z_0-9]+)"'),
    re.compile(r'drop_from\([^,()]+, "([a-z_0-9]+)"'),
    re.compile(r'tally\.drop\("[a-z_]+", [a-z]+, "([a-z_0-9]+)"'),
    re.compile(r'return "(lorem_ipsum|curly_bracket)"'),
    re.compile(r'DROP_REASON = "([a-z_]+)"'),
]
DYNAMIC = re.compile(r'Drop\(f"(' + "|".join(DYNAMIC_PREFIXES) + r")\{")


def _code() -> dict[str, str]:
    out = {}
    for pkg in ("pipeline", "filters"):
        for folder, _, files in os.walk(os.path.join(ROOT, pkg)):
            for name in files:
                if name.endswith(".py") and name != "reasons.py":
                    path = os.path.join(folder, name)
                    out[os.path.relpath(path, ROOT)] = open(path, encoding="utf-8").read()
    return out


def test_every_reason_the_code_drops_for_is_registered_and_every_registered_one_is_used() -> None:
    used: dict[str, str] = {}
    dynamic = set()
    for path, text in _code().items():
        for pattern in PATTERNS:
            for m in pattern.finditer(text):
                used.setdefault(m.group(1), path)
        dynamic |= {m.group(1) for m in DYNAMIC.finditer(text)}
    unregistered = {r: p for r, p in used.items() if r not in DROP_REASONS}
    assert not unregistered, f"add these to filters/reasons.py: {unregistered}"
    assert dynamic == set(DYNAMIC_PREFIXES)
    unused = {r for r in DROP_REASONS if r not in used and not r.startswith(DYNAMIC_PREFIXES)}
    assert not unused, f"not dropped for anywhere: {unused}"
    assert all(DROP_REASONS[r] for r in DROP_REASONS)


def test_one_name_per_meaning() -> None:
    # the language of a document not kept: one name for CommonCrawl, C4 and Wikipedia alike
    assert "language_not_selected" not in DROP_REASONS
    texts = "\n".join(_code().values())
    assert '"language_not_selected"' not in texts
