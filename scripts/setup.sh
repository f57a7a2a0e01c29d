#!/usr/bin/env bash
# Installs what edgebench needs from Debian's packages (only what is missing; quiet), creates
# the project's Python environment (.venv, versions pinned in python/requirements.txt: the
# runtimes behind `--backend onnxruntime|tflite|openvino|tvm` and the Python test tools), then
# configures and builds a CMake preset.
#   bash scripts/setup.sh [PRESET [TARGET ...]]
#     PRESET: release (default), asan, fuzz, arm64, none (install only); TARGETs: build only
#     those (the main job builds just `edgebench`; default: everything, tests included).
#     arm64 cross-builds edgebench and edgebench-target for AArch64 boards: it adds Debian's
#     cross compiler and qemu-user-static, and unpacks the arm64 libraries into
#     build/arm64-sysroot (scripts/arm64_sysroot.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET="${1:-release}"

PACKAGES=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format ccache
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  libxnnpack-dev libpthreadpool-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libsqlite3-dev libssl-dev libpq-dev
  postgresql  # a throwaway server for the PostgreSQL store tests
  slurmd slurmctld slurm-client munge  # run-experiment --slurm, and its single-node test cluster
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libpng-dev libjpeg-dev dataset-fashion-mnist
  chromium fonts-dejavu-core
  ca-certificates
  python3-dev  # headers for the Python module when .venv comes from Debian's interpreter
  python3-torch python3-onnx  # optimize --finetune-epochs / --qat train in PyTorch (edgebench.finetune)
)
# oneDNN runs the float convolutions on x86 (src/kernels/dnnl_conv.h); XNNPACK elsewhere.
[ "$(dpkg --print-architecture)" != amd64 ] || PACKAGES+=(libdnnl-dev)
# Node.js (for the ONNX Runtime anchor) may come from another source; only add it when absent.
command -v node > /dev/null || PACKAGES+=(nodejs npm)
[ "$PRESET" != arm64 ] || PACKAGES+=(crossbuild-essential-arm64 qemu-user-static)

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

# The Python environment: made once, re-synced whenever python/requirements.txt changes.
VENV=.venv
REQ=python/requirements.txt
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2> /dev/null)" != "$want" ]; then
  base="$(command -v python3 || true)"
  if [ -z "$base" ] || ! "$base" -c 'import venv, ensurepip' 2> /dev/null; then
    # Debian's interpreter needs python3-venv for `-m venv`.
    dpkg-query -W -f='${Status}' python3-venv 2> /dev/null | grep -q "install ok installed" || {
      SUDO=""
      [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        python3-venv > /dev/null
    }
    base=/usr/bin/python3
  fi
  echo "setup: Python environment $VENV ($("$base" --version 2>&1)), packages from $REQ"
  [ -x "$VENV/bin/python" ] || "$base" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQ"
  echo "$want" > "$VENV/.requirements.sha256"
fi

[ "$PRESET" = none ] && exit 0
if [ "$PRESET" = arm64 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
  fi
  bash scripts/arm64_sysroot.sh
fi
cmake --preset "$PRESET" > /dev/null
TARGETS=("${@:2}")
if ((${#TARGETS[@]})); then
  cmake --build --preset "$PRESET" --target "${TARGETS[@]}"
else
  cmake --build --preset "$PRESET"
fi
