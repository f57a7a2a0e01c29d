#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests, ONNX conformance (regression guard),
# differential checks against ONNX Runtime, formatting, an ASan+UBSan build of the tests, and
# bounded fuzzing runs of the ONNX importer and the remote protocol parser.
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

step "ONNX backend-test conformance (no regressions)"
bash tests/conformance/run.sh build/release/edgebench

if [ "${FAST:-0}" != 1 ]; then
  step "ASan + UBSan build and tests"
  cmake --preset asan > /dev/null
  cmake --build --preset asan
  ctest --preset asan -j2 --timeout 1800
  bash tests/conformance/run.sh build/asan/edgebench

  step "fuzzing the ONNX importer (60 s)"
  bash tests/fuzz/run_fuzz.sh 60

  step "fuzzing the remote protocol's frame and message parser (30 s)"
  bash tests/fuzz/run_fuzz.sh 30 remote_frame_fuzz
fi
step "all tests passed"
