#!/usr/bin/env bash
# The anchor benchmark: in one run, times ONNX Runtime (onnxruntime-node, same thread count) and
# edgebench on the same models and prints latency ratios edgebench / ONNX Runtime (< 1: faster)
# and edgebench's GFLOP/s (flops_total of `edgebench inspect` over its p50).
# ONNX Runtime's figure is the median of --repeat runs after warm-up; edgebench's is the
# single-stream p50 of `edgebench bench`.
#   bash bench/anchor.sh [--threads "1 2"] [--models "FILES"] [--backend native] [--quick]
#                        [--no-default-models] [--dtype LABEL] [--tsv FILE] [--work DIR]
# Models: generated conv and dense models, plus MobileNetV2 and ResNet-18 when
# out/ort_differential/plain/*.onnx exist (bash bench/ort_differential.sh exports them), plus
# --models; --no-default-models keeps only --models.
# --quick: 5 timed runs after 1 warm-up on each side instead of at least 30 (and 1 s) after 5.
# --dtype: label printed in the dtype column (default float32). --tsv FILE: also append one
# tab-separated line per row: dtype, threads, model, ORT ms, edgebench ms, ratio, GFLOP/s
# ("nan" where a side failed). --work: scratch folder (default out/anchor).
# A run that fails on one side prints "failed" in its row; the script still exits 0.
# EB=PATH picks the edgebench binary (default build/release/edgebench, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/anchor.sh [--threads \"1 2\"] [--backend B] [--models \"FILES\"] [--quick]" \
       "[--no-default-models] [--dtype LABEL] [--tsv FILE] [--work DIR]" >&2
  exit 2
}
threads="1 2"
backend="native"
extra=""
defaults=1
quick=0
dtype="float32"
tsv=""
work="out/anchor"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads|--backend|--models|--dtype|--tsv|--work) [ $# -ge 2 ] || usage ;;&
    --threads) threads="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --models) extra="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --tsv) tsv="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --no-default-models) defaults=0; shift ;;
    --quick) quick=1; shift ;;
    *) usage ;;
  esac
done
for t in $threads; do [[ "$t" =~ ^[1-9][0-9]*$ ]] || usage; done
bench_setup
mkdir -p "$work"
models=()
if [ "$defaults" = 1 ]; then
  $EB generate conv --filters 32 --layers 5 --input 64 -o "$work/conv_f32_l5_s64.onnx" > /dev/null
  $EB generate conv --filters 64 --layers 3 --input 32 -o "$work/conv_f64_l3_s32.onnx" > /dev/null
  $EB generate dense --neurons 1024 --layers 4 -o "$work/dense_n1024_l4.onnx" > /dev/null
  models=("$work"/conv_f32_l5_s64.onnx "$work"/conv_f64_l3_s32.onnx "$work"/dense_n1024_l4.onnx)
  for m in out/ort_differential/plain/mobilenet_v2.onnx out/ort_differential/plain/resnet18.onnx; do
    [ -f "$m" ] && models+=("$m")
  done
fi
for m in $extra; do
  [ -f "$m" ] || { echo "bench/anchor.sh: $m: no such model" >&2; exit 2; }
  models+=("$m")
done
[ ${#models[@]} -gt 0 ] || { echo "bench/anchor.sh: no models" >&2; exit 2; }
if [ "$quick" = 1 ]; then
  ort_runs=(--warmup 1 --repeat 5)
  eb_runs=(--warmup 1 --min-queries 5 --min-duration 0)
else
  ort_runs=(--warmup 5 --repeat 30)
  eb_runs=(--warmup 5 --min-queries 30 --min-duration 1)
fi

printf '%-26s %-8s %7s %12s %12s %9s %10s\n' model dtype threads "ORT ms" "edgebench" ratio "GFLOP/s"
for t in $threads; do
  for m in "${models[@]}"; do
    name="$(basename "$m" .onnx)"
    in="$work/$name.runs"
    rm -rf "$in" && mkdir -p "$in"
    [ -f "$work/$name.inspect.json" ] && [ "$work/$name.inspect.json" -nt "$m" ] ||
      $EB inspect "$m" --json "$work/$name.inspect.json" > /dev/null 2>&1 || true
    node tests/ort/run_ort.js "$m" "$in/ort_out" --random-seed 1 --threads "$t" "${ort_runs[@]}" \
      > "$in/ort.json" 2> "$in/ort.err" || true
    # Exit 1 is a run that completed but is flagged invalid (too few queries for the early-stopping
    # estimate in --quick mode); its latencies are still measured.
    $EB bench "$m" --backend "$backend" --threads "$t" "${eb_runs[@]}" --no-db --quiet \
      --json "$in/eb.json" > /dev/null 2> "$in/eb.err" || true
    node -e '
      const fs = require("fs");
      const [ortFile, ebFile, inspectFile, name, dtype, threads, tsv] = process.argv.slice(1);
      const read = (f, get) => { try { return get(JSON.parse(fs.readFileSync(f, "utf8"))); } catch { return NaN; } };
      const ortMs = read(ortFile, (j) => j.median_ms);
      const ebMs = read(ebFile, (j) => j.timings.latency_ms.p50);
      const flops = read(inspectFile, (j) => j.flops_total);
      const ratio = ebMs / ortMs;
      const gflops = flops / ebMs / 1e6;
      const show = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : "failed");
      console.log(name.padEnd(26) + " " + dtype.padEnd(8) + threads.padStart(8) +
                  show(ortMs, 3).padStart(13) + show(ebMs, 3).padStart(13) +
                  show(ratio, 2).padStart(9) + show(gflops, 2).padStart(11));
      if (tsv) {
        const cell = (x) => (Number.isFinite(x) ? String(x) : "nan");
        fs.appendFileSync(tsv, [dtype, threads, name, cell(ortMs), cell(ebMs), cell(ratio),
                                cell(gflops)].join("\t") + "\n");
      }
    ' "$in/ort.json" "$in/eb.json" "$work/$name.inspect.json" "$name" "$dtype" "$t" "$tsv"
    # Say why a side failed (first lines of its messages).
    [ -s "$in/ort.json" ] || head -n 3 "$in/ort.err" | sed 's/^/    ONNX Runtime: /'
    grep -q '"p50"' "$in/eb.json" 2> /dev/null || head -n 3 "$in/eb.err" | sed 's/^/    edgebench: /'
  done
done
exit 0
