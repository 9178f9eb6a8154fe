"""GitHub sample: BigQuery `github_repos`-shaped JSONL (gzip) plus one local source tree.

Code comes from Debian golang/rust -dev packages (whole upstream repos; licence from the DEP-5
`copyright` or Cargo.toml), pywb (GPL-3.0, with vendored minified jQuery/Bootstrap) and the Python 3.11
standard library (PSF licence: BigQuery has no label for it, so it is honestly "other"). LLaMA keeps
only Apache/BSD/MIT code (Touvron et al. 2023, section 2), so the GPL and "other" rows give the licence
filter work. kr/pty also appears as its renamed fork creack/pty: exact duplicate files across repos.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pipeline.app.samples.fetch import deb_members, sdist_members
from pipeline.app.samples.util import gzip_bytes, jsonl_bytes

GO = {  # Debian package -> GitHub repo (from the copyright file's Source field)
    "golang-github-google-uuid-dev": "google/uuid",
    "golang-github-gorilla-mux-dev": "gorilla/mux",
    "golang-github-juju-ansiterm-dev": "juju/ansiterm",
    "golang-github-kr-pty-dev": "kr/pty",
    "golang-github-linuxdeepin-go-x11-client-dev": "linuxdeepin/go-x11-client",
    "golang-github-pkg-errors-dev": "pkg/errors",
    "golang-github-spf13-pflag-dev": "spf13/pflag",
}
RUST = {"librust-itoa-dev": "dtolnay/itoa", "librust-memchr-dev": "BurntSushi/memchr"}
TREE_PKG, TREE_REPO = "librust-hex-dev", "KokaKiwi/rust-hex"
FORKS = {"kr/pty": "creack/pty"}  # kr/pty moved to creack/pty: same files, two repos
STDLIB_BUDGET = 1_500_000
MAX_FILE = 1_000_000
# DEP-5 / SPDX names -> BigQuery github_repos.licenses labels
LICENSES = {
    "bsd-3-clause": "bsd-3-clause",
    "bsd-3-clause~google": "bsd-3-clause",
    "bsd-2-clause": "bsd-2-clause",
    "expat": "mit",
    "mit": "mit",
    "apache-2.0": "apache-2.0",
    "gpl-3+": "gpl-3.0",
    "gpl-3.0": "gpl-3.0",
    "gpl-2+": "gpl-2.0",
    "lgpl-3.0-with-exception": "lgpl-3.0",
    "lgpl-3+": "lgpl-3.0",
    "unlicense": "unlicense",
}


def git_blob_id(content: bytes) -> str:
    """BigQuery's file id is the git blob sha1, so identical files share it across repos."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _dep5_license(copyright_text: str) -> str:
    m = re.search(r"^Files:\s*\*\s*$.*?^License:\s*(\S+)", copyright_text, re.MULTILINE | re.DOTALL)
    if not m:
        raise ValueError("DEP-5 copyright without a 'Files: *' licence")
    return LICENSES[m.group(1).lower()]


def _cargo_license(cargo_toml: str) -> str:
    m = re.search(r'^license\s*=\s*"([^"]+)"', cargo_toml, re.MULTILINE)
    first = re.split(r"\s+OR\s+|/", m.group(1))[0] if m else ""
    return LICENSES[first.lower()]


def _row(repo: str, path: str, content: bytes, lic: str) -> dict | None:
    if len(content) > MAX_FILE:
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:  # BigQuery leaves binary content NULL; the sample leaves such files out
        return None
    if text.isspace() or not text:  # empty __init__.py and the like: no document to read
        return None
    return {
        "repo_name": repo,
        "path": path,
        "content": text,
        "license": lic,
        "size": len(content),
        "id": git_blob_id(content),
    }


def _go_rows() -> tuple[list[dict], list[str]]:
    rows, origins = [], []
    for pkg, repo in sorted(GO.items()):
        members, origin = deb_members(pkg, lambda n: n.startswith(("usr/share/gocode/src/", "usr/share/doc/")))
        lic = _dep5_license(members[f"usr/share/doc/{pkg}/copyright"].decode("utf-8"))
        prefix = f"usr/share/gocode/src/github.com/{repo}/"
        origins.append(f"{origin}:{prefix}**")
        for name in sorted(members):
            if name.startswith(prefix):
                for r in (repo, FORKS.get(repo)):
                    row = r and _row(r, name[len(prefix) :], members[name], lic)
                    if row:
                        rows.append(row)
    return rows, origins


def _crate(pkg: str) -> tuple[dict[str, bytes], str, str]:
    """(files relative to the crate root, licence label, origin) of a Debian librust-*-dev package."""
    members, origin = deb_members(pkg, lambda n: n.startswith("usr/share/cargo/registry/"))
    root = min(members, key=len).split("/")[:5]
    prefix = "/".join(root) + "/"
    files = {n[len(prefix) :]: b for n, b in sorted(members.items()) if n.startswith(prefix)}
    files = {n: b for n, b in files.items() if n != ".cargo_vcs_info.json" and n != ".cargo-checksum.json"}
    return files, _cargo_license(files["Cargo.toml"].decode("utf-8")), f"{origin}:{prefix}**"


def _other_rows() -> tuple[list[dict], list[str]]:
    rows, origins = [], []
    for pkg, repo in sorted(RUST.items()):
        files, lic, origin = _crate(pkg)
        origins.append(origin)
        rows += [r for n, b in files.items() if (r := _row(repo, n, b, lic))]
    members, origin = sdist_members(
        "pywb",
        lambda n: (
            n == "LICENSE"
            or (n.startswith("pywb/") and n.endswith((".py", ".js")) and "/test" not in n and "/vue/" not in n)
        ),
    )
    origins.append(f"{origin}:pywb/**.py, pywb/static/**.js, LICENSE")
    rows += [r for n, b in sorted(members.items()) if (r := _row("webrecorder/pywb", n, b, "gpl-3.0"))]
    members, origin = deb_members(
        "libpython3.11-stdlib",
        lambda n: (
            n.startswith("usr/lib/python3.11/") and n.endswith(".py") and "/test/" not in n and "/idle_test/" not in n
        ),
    )
    origins.append(f"{origin}:usr/lib/python3.11/**.py (first {STDLIB_BUDGET} bytes, sorted)")
    total = 0
    for name in sorted(members):
        r = _row("python/cpython", "Lib/" + name[len("usr/lib/python3.11/") :], members[name], "other")
        if r and total + r["size"] <= STDLIB_BUDGET:
            rows.append(r)
            total += r["size"]
    return rows, origins


def build(out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, (rows, origins) in (
        ("github-00000-of-00002.jsonl.gz", _go_rows()),
        ("github-00001-of-00002.jsonl.gz", _other_rows()),
    ):
        (out / name).write_bytes(gzip_bytes(jsonl_bytes(rows)))
        files.append(
            {
                "path": f"github/{name}",
                "origin": origins,
                "documents": len(rows),
                "wrapped": True,
                "synthetic": [],
            }
        )
    tree, lic, origin = _crate(TREE_PKG)
    root = out / "trees" / TREE_REPO
    for rel, data in tree.items():
        dest = root / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ValueError(f"unsafe path in {TREE_PKG}: {rel}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    files.append(
        {
            "path": f"github/trees/{TREE_REPO}",
            "origin": [origin],
            "documents": len(tree),
            "wrapped": False,
            "synthetic": [],
            "license": lic,
        }
    )
    return files
