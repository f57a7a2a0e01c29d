#!/usr/bin/env bash
# Peak memory check: the process's peak RSS while `edgebench bench` runs a model must stay under
# 1.5 x (W + A + 64 MiB), W = weights (params_bytes of `edgebench inspect --json`), A = planned
# activation arena (activation_peak_bytes of the same), 64 MiB for code, runtime and allocator.
# Peak RSS is memory.peak_rss_bytes of the `edgebench bench --json` result (the whole process,
# model loading included).
#   bash bench/memory.sh [MODEL.onnx] [--name LABEL] [--threads N] [--check]
# Default model: ResNet-18 (out/fast_engine/models/resnet18.onnx, exported when missing).
# Prints e.g. "ResNet-18 peak RSS 143.5 MiB, budget 1.5*(W+A+64MiB) = 172.5 MiB: ok".
# Exit 0 (it is a measurement) unless --check is given and the budget is exceeded (exit 1);
# exit 2 on bad usage or when the figures cannot be measured.
# EB=PATH picks the edgebench binary (default build/release/edgebench, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/memory.sh [MODEL.onnx] [--name LABEL] [--threads N] [--check]" >&2
  exit 2
}
model=""
name=""
threads=1
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --name|--threads) [ $# -ge 2 ] || usage ;;&
    --name) name="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --check) check=1; shift ;;
    -*) usage ;;
    *) [ -z "$model" ] || usage; model="$1"; shift ;;
  esac
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || usage
bench_setup
if [ -z "$model" ]; then
  bench_torchvision_models out/fast_engine/models
  model=out/fast_engine/models/resnet18.onnx
fi
[ -f "$model" ] || { echo "bench/memory.sh: $model: no such model" >&2; exit 2; }
if [ -z "$name" ]; then
  case "$(basename "$model" .onnx)" in
    resnet18) name="ResNet-18" ;;
    resnet18_qdq_*) name="ResNet-18 int8" ;;
    mobilenet_v2) name="MobileNetV2" ;;
    mobilenet_v2_qdq_*) name="MobileNetV2 int8" ;;
    *) name="$(basename "$model" .onnx)" ;;
  esac
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
$EB inspect "$model" --json "$work/inspect.json" > /dev/null
# A few queries are enough: the arena and weights are allocated before the first one. Exit 1
# only flags the run as invalid for timing (too few queries); its memory figures stand.
$EB bench "$model" --threads "$threads" --warmup 1 --min-queries 3 --min-duration 0 --no-db \
  --quiet --json "$work/bench.json" > /dev/null 2> "$work/bench.err" || true
# shellcheck disable=SC2016  # JavaScript, not shell
node -e '
  const fs = require("fs");
  const [inspectFile, benchFile, benchErr, name, check] = process.argv.slice(1);
  const inspect = JSON.parse(fs.readFileSync(inspectFile, "utf8"));
  let rss;
  try {
    rss = JSON.parse(fs.readFileSync(benchFile, "utf8")).memory.peak_rss_bytes;
  } catch {
    process.stderr.write(`bench/memory.sh: edgebench bench failed: ${fs.readFileSync(benchErr, "utf8")}`);
    process.exit(2);
  }
  const MiB = 1024 * 1024;
  const w = inspect.params_bytes;
  const a = inspect.activation_peak_bytes;
  const budget = 1.5 * (w + a + 64 * MiB);
  const ok = rss <= budget;
  const mib = (x) => (x / MiB).toFixed(1);
  console.log(`${name} peak RSS ${mib(rss)} MiB, budget 1.5*(W+A+64MiB) = ${mib(budget)} MiB: ` +
              `${ok ? "ok" : "over"}`);
  console.log(`  (W = weights ${mib(w)} MiB, A = planned activation arena ${mib(a)} MiB)`);
  process.exit(!ok && check === "1" ? 1 : 0);
' "$work/inspect.json" "$work/bench.json" "$work/bench.err" "$name" "$check"
