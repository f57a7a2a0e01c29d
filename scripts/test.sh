#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests, the Python package's tests (pytest, in the
# project's .venv), ONNX conformance (regression guard), differential checks against ONNX
# Runtime, formatting, an ASan+UBSan build of the tests, and
# bounded fuzzing runs of the ONNX importer, the remote protocol parser, the TFLite reader and the
# data-file readers (.npy, .npz, PNG/JPEG images, device JSON, run-experiment JSON).
#   bash scripts/test.sh            everything
#   FAST=1 bash scripts/test.sh     skip the sanitizer build and the fuzzing run
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s ===\n' "$*"; }

step "install and build (release)"
bash scripts/setup.sh release

step "ONNX Runtime anchor (npm, --ignore-scripts)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

step "formatting (clang-format, src/ and tests/)"
bash scripts/check_format.sh

step "unit and integration tests (release)"
ctest --preset release -j2 --timeout 900

# The remote target across a network namespace pair with 20 ms of netem delay needs root (and
# a kernel with sch_netem); it fails loudly rather than skipping when it runs.
if [ "$(id -u)" -eq 0 ]; then
  probe="ebnetem$$"
  if ip netns add "$probe" 2> /dev/null && ip netns exec "$probe" ip link set lo up &&
     ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2> /dev/null; then
    ip netns del "$probe"
    step "remote target across network namespaces with 20 ms delay (root)"
    bash tests/remote/netns_delay.sh build/release
  else
    ip netns del "$probe" 2> /dev/null || true
    printf '\n=== remote netns delay test NOT RUN: this kernel offers no tc netem qdisc ===\n'
  fi
fi

step "Python package and target tests (pytest, .venv)"
EDGEBENCH_BUILD_DIR=build/release .venv/bin/python -m pytest -q -p no:cacheprovider tests/python

step "ONNX backend-test conformance (no regressions)"
bash tests/conformance/run.sh build/release/edgebench

if [ "${FAST:-0}" != 1 ]; then
  step "ASan + UBSan build and tests"
  cmake --preset asan > /dev/null
  cmake --build --preset asan
  ctest --preset asan -j2 --timeout 1800
  bash tests/conformance/run.sh build/asan/edgebench

  # Seconds, libFuzzer target (tests/fuzz/run_fuzz.sh), what it parses.
  while read -r seconds target what; do
    step "fuzzing $what ($seconds s)"
    bash tests/fuzz/run_fuzz.sh "$seconds" "$target" < /dev/null
  done << 'EOF'
60 onnx_import_fuzz the ONNX importer
30 remote_frame_fuzz the remote protocol's frame and message parser
30 tflite_reader_fuzz the TFLite reader
10 npy_reader_fuzz the .npy reader
10 npz_reader_fuzz the .npz reader: zip directory, deflate, members
10 image_reader_fuzz the image dataset's PNG and JPEG decoding
10 device_json_fuzz the device JSON reader
10 experiment_json_fuzz the run-experiment file parser
EOF
fi
step "all tests passed"
