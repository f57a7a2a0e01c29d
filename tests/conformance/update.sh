#!/usr/bin/env bash
# Regenerates the committed conformance grid (docs/conformance.md) and the regression list
# (tests/conformance/expected_pass.txt) from Debian's ONNX backend test data.
#   bash tests/conformance/update.sh [EDGEBENCH_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
eb="${1:-build/release/edgebench}"
data=/usr/share/libonnx-testdata/data
tmp="$(mktemp -d)"
"$eb" conformance "$data/node" "$data/pytorch-converted" "$data/pytorch-operator" "$data/simple" \
  --quiet --json "$tmp/conformance.json" --markdown docs/conformance.md
{
  echo "# ONNX backend tests that pass on the native backend; a regression fails CI."
  echo "# Regenerate with: bash tests/conformance/update.sh"
  /usr/bin/python3 -c 'import json,sys; [print(t["name"]) for t in json.load(open(sys.argv[1]))["tests"] if t["status"]=="pass"]' "$tmp/conformance.json"
} > tests/conformance/expected_pass.txt
echo "wrote docs/conformance.md and tests/conformance/expected_pass.txt ($(grep -vc '^#' tests/conformance/expected_pass.txt) passing tests)"
