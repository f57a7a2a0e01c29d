#!/usr/bin/env bash
# Runs Debian's ONNX backend test data through `edgebench conformance` and fails if a test
# listed in expected_pass.txt no longer passes.
#   bash tests/conformance/run.sh EDGEBENCH_BINARY [OUT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
eb="$1"
out="${2:-$(mktemp -d)}"
data=/usr/share/libonnx-testdata/data
"$eb" conformance "$data/node" "$data/pytorch-converted" "$data/pytorch-operator" "$data/simple" \
  --quiet --expect "$here/expected_pass.txt" --json "$out/conformance.json" \
  --markdown "$out/conformance.md"
