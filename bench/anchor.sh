#!/usr/bin/env bash
# The anchor benchmark: in one run, times ONNX Runtime (onnxruntime-node, same thread count) and
# edgebench on the same models and prints latency ratios edgebench / ONNX Runtime (< 1: faster).
# ONNX Runtime's figure is the median of --repeat runs after warm-up; edgebench's is the
# single-stream p50 of `edgebench bench`.
#   bash bench/anchor.sh [--threads "1 2"] [--models "DIR_OR_FILES"] [--backend native]
# Models: generated conv and dense models, plus MobileNetV2 and ResNet-18 when
# out/ort_differential/plain/*.onnx exist (bash bench/ort_differential.sh exports them).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="1 2"
backend="native"
extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --models) extra="$2"; shift 2 ;;
    *) echo "usage: bench/anchor.sh [--threads \"1 2\"] [--backend B] [--models \"FILES\"]" >&2; exit 2 ;;
  esac
done
[ -x build/release/edgebench ] || bash scripts/setup.sh release
[ -d node_modules/onnxruntime-node ] || npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
EB=build/release/edgebench
work="out/anchor"
mkdir -p "$work"
$EB generate conv --filters 32 --layers 5 --input 64 -o "$work/conv_f32_l5_s64.onnx" > /dev/null
$EB generate conv --filters 64 --layers 3 --input 32 -o "$work/conv_f64_l3_s32.onnx" > /dev/null
$EB generate dense --neurons 1024 --layers 4 -o "$work/dense_n1024_l4.onnx" > /dev/null
models=("$work"/conv_f32_l5_s64.onnx "$work"/conv_f64_l3_s32.onnx "$work"/dense_n1024_l4.onnx)
for m in out/ort_differential/plain/mobilenet_v2.onnx out/ort_differential/plain/resnet18.onnx $extra; do
  [ -f "$m" ] && models+=("$m")
done

printf '%-22s %7s %12s %12s %9s %10s\n' model threads "ORT ms" "edgebench" ratio "GFLOP/s"
for t in $threads; do
  for m in "${models[@]}"; do
    name="$(basename "$m" .onnx)"
    in="$work/$name.inputs"
    rm -rf "$in" && mkdir -p "$in"
    ort_json="$(node tests/ort/run_ort.js "$m" "$in/ort_out" --random-seed 1 --threads "$t" \
                --warmup 5 --repeat 30)"
    $EB bench "$m" --backend "$backend" --threads "$t" --min-queries 30 --min-duration 1 \
      --warmup 5 --no-db --quiet --json "$in/eb.json" > /dev/null || true
    $EB inspect "$m" --json "$in/inspect.json" > /dev/null
    node -e '
      const fs = require("fs");
      const ort = JSON.parse(process.argv[1]);
      const eb = JSON.parse(fs.readFileSync(process.argv[2]));
      const flops = JSON.parse(fs.readFileSync(process.argv[3])).flops_total;
      const ortMs = ort.median_ms;
      const ebMs = eb.timings.latency_ms.p50;
      console.log(process.argv[4].padEnd(22) + String(process.argv[5]).padStart(8) +
                  ortMs.toFixed(3).padStart(13) + ebMs.toFixed(3).padStart(13) +
                  (ebMs / ortMs).toFixed(2).padStart(9) + (flops / ebMs / 1e6).toFixed(2).padStart(11));
    ' "$ort_json" "$in/eb.json" "$in/inspect.json" "$name" "$t"
  done
done
