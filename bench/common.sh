# shellcheck shell=bash
# Shared setup for the bench scripts; source it from the repository root:
#   cd "$(dirname "$0")/.." && . bench/common.sh
# Environment: EB, the edgebench binary (default build/release/edgebench, built with
# `scripts/setup.sh release` when missing; any other path must already exist).

# Sets EB and makes sure edgebench and onnxruntime-node are there.
bench_setup() {
  EB="${EB:-build/release/edgebench}"
  if [ "$EB" = build/release/edgebench ] && [ ! -x "$EB" ]; then
    bash scripts/setup.sh release
  fi
  if [ ! -x "$EB" ]; then
    echo "$(basename "$0"): EB=$EB is not an executable" >&2
    exit 2
  fi
  [ -d node_modules/onnxruntime-node ] ||
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
}

# Installs the Debian packages given (only the missing ones).
bench_need_packages() {
  local p sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" ||
      { $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$p" > /dev/null; }
  done
}

# MobileNetV2 and ResNet-18 for benchmarks: DIR/mobilenet_v2.onnx and DIR/resnet18.onnx
# (random seeded weights, BatchNorm statistics calibrated on 2 random batches), exported by
# tools/export_torchvision.py when missing.
bench_torchvision_models() {
  local dir="$1"
  if [ ! -f "$dir/mobilenet_v2.onnx" ] || [ ! -f "$dir/resnet18.onnx" ]; then
    bench_need_packages python3-torch python3-torchvision python3-onnx
    /usr/bin/python3 tools/export_torchvision.py --out "$dir" --calibrate-bn 2 > /dev/null
  fi
}

# QDQ version of a float model: bench_qdq_model FLOAT.onnx OUT_DIR uint8|int8 prints the path
# of OUT_DIR/<stem>_qdq_u8.onnx (or _qdq_s8), written by tools/export_qdq.py when missing or
# older than the float model.
bench_qdq_model() {
  local float="$1" dir="$2" act="$3" suffix
  [ "$act" = uint8 ] && suffix=u8 || suffix=s8
  local out
  out="$dir/$(basename "$float" .onnx)_qdq_$suffix.onnx"
  if [ ! -f "$out" ] || [ "$float" -nt "$out" ]; then
    bench_need_packages python3-onnx python3-numpy
    /usr/bin/python3 tools/export_qdq.py --out "$dir" --activation-type "$act" "$float" > /dev/null
  fi
  echo "$out"
}

# A virtual environment made once from a pinned requirements file, and again when that file
# changes: bench_pinned_venv DIR REQUIREMENTS LOG prints DIR/bin/python, or returns 1 with the
# reason on stderr (pip's output goes to LOG).
bench_pinned_venv() {
  local venv="$1" req="$2" log="$3" base stamp
  stamp="$venv/$(basename "$req")"
  if [ -x "$venv/bin/python" ] && cmp -s "$req" "$stamp"; then
    echo "$venv/bin/python"
    return 0
  fi
  base="$(command -v python3 || true)"
  if [ -z "$base" ] || ! "$base" -c 'import venv, ensurepip' 2> /dev/null; then
    echo "no python3 with venv and ensurepip on PATH" >&2
    return 1
  fi
  rm -rf "$venv"
  if ! "$base" -m venv "$venv" > "$log" 2>&1 ||
    ! "$venv/bin/pip" install --no-input --disable-pip-version-check -r "$req" >> "$log" 2>&1; then
    echo "pip install -r $req into $venv failed: $(grep -E 'ERROR|error' "$log" | tail -1)" \
      "(log: $log)" >&2
    rm -rf "$venv"
    return 1
  fi
  cp "$req" "$stamp"
  echo "$venv/bin/python"
}
