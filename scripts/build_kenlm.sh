#!/usr/bin/env bash
# Build KenLM's lmplz and build_binary from the kenlm sdist (it carries the full C++ source).
# Usage: build_kenlm.sh DEST   -> DEST/bin/{lmplz,build_binary}. Skipped when already built.
set -euo pipefail
dest=${1:?destination folder}
if [[ -x "$dest/bin/lmplz" && -x "$dest/bin/build_binary" ]]; then exit 0; fi
need=()
for pkg in libboost-program-options-dev libboost-thread-dev libboost-test-dev libboost-system-dev \
           zlib1g-dev libbz2-dev liblzma-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v cmake >/dev/null || need+=(cmake)
if (( ${#need[@]} )); then
  echo "installing build dependencies: ${need[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=$(command -v python3)
"$py" -m pip download -q --no-deps --no-binary kenlm kenlm==0.3.0 -d "$work"
tar -xzf "$work"/kenlm-0.3.0.tar.gz -C "$work"
src=$(find "$work" -maxdepth 1 -type d -name 'kenlm-*' | head -1)
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 >/dev/null
cmake --build "$work/build" --target lmplz build_binary -j "$(nproc)" >/dev/null
mkdir -p "$dest/bin"
cp "$work/build/bin/lmplz" "$work/build/bin/build_binary" "$dest/bin/"
echo "built $dest/bin/lmplz and build_binary"
