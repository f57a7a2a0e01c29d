#!/bin/sh
# ONNX Runtime timings for the anchor side of a side-by-side benchmark: one JSON line per model
# and thread count (see tests/ort/run_ort.js for the fields).
#
#   bench/ort/bench_ort.sh [--threads "1 2 4"] [--repeat N] [--warmup N] MODEL.onnx...
#
# Inputs are seeded random values (--random-seed 0), so every model input needs a fixed shape.
# Outputs of the first run go to a temporary folder and are discarded.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
run_ort="$here/../../tests/ort/run_ort.js"
threads="1"
repeat=50
warmup=5
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    --*) echo "bench_ort.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "usage: bench_ort.sh [--threads \"1 2 4\"] [--repeat N] [--warmup N] MODEL.onnx..." >&2
  exit 2
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for model in "$@"; do
  for t in $threads; do
    node "$run_ort" "$model" "$scratch/out" --random-seed 0 --threads "$t" \
      --warmup "$warmup" --repeat "$repeat"
  done
done
