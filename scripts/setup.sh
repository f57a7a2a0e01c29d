#!/usr/bin/env bash
# Installs what edgebench needs from Debian's packages (only what is missing; quiet), then
# configures and builds a CMake preset.
#   bash scripts/setup.sh [PRESET]       PRESET: release (default), asan, fuzz, none (install only)
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET="${1:-release}"

PACKAGES=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  libxnnpack-dev libpthreadpool-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libpng-dev libjpeg-dev dataset-fashion-mnist
  chromium fonts-dejavu-core
  ca-certificates
)
# Node.js (for the ONNX Runtime anchor) may come from another source; only add it when absent.
command -v node > /dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" > /dev/null
fi

[ "$PRESET" = none ] && exit 0
cmake --preset "$PRESET" > /dev/null
cmake --build --preset "$PRESET"
