#!/usr/bin/env bash
# The optimization study: what each `edgebench optimize` variant of the reference model
# (models/fashion_mnist_cnn.onnx) costs in quality on the Fashion-MNIST test split and gains in
# size and speed, as one table (`edgebench compare --variants`), then the int8 speed-up of
# MobileNetV2 on the native backend.
#   bash bench/optimize_study.sh [--limit N] [--threads N] [--rounds N] [--skip-mobilenet]
#                                [--skip-finetune] [--epochs N] [--skip-toolkits] [--skip-tfmot]
# --limit: test images per evaluation (default: all 10000). --rounds: latency rounds (default 3).
# Variants: float32; static int8 per channel, calibrated on 1000 training images with the
# percentile (99.99), entropy (KL) and mse methods; static int8 per tensor (minmax); int8 with
# float fallback of the most sensitive node; dynamic int8; float16 weights; 50% magnitude pruning
# (unstructured and 2:4) without retraining; with fine-tuning (--epochs, default 3, on the whole
# training split): quantization-aware int8, 50% unstructured, 2:4, and 80% in blocks of 4
# output channels x 1 input (81% of each hidden layer, the first convolution and the classifier
# trained dense: 80.4% of all weights; 2 more epochs); each is then checked against ONNX Runtime (tools/ort_agreement.py:
# the share of output elements within one quantization step).
# Other toolkits on the same model and data (unless --skip-toolkits), rows of the same table:
# ort_int8, ONNX Runtime's quantize_static (QDQ, uint8 activations, int8 per-channel weights,
# MinMax), and nncf_int8, NNCF's nncf.quantize (defaults), both calibrated on the same 1000
# training images by tools/toolkit_variants.py; NNCF comes from PyPI, pinned in
# tools/requirements-toolkits.txt, installed once into out/toolkits-venv (without it the study
# prints "NNCF: not available (reason)" and goes on). They run on the native backend like the
# others, and are checked against ONNX Runtime like the trained variants. The Keras twin of the
# model (models/fashion_mnist_cnn_keras*, tools/make_keras_models.py; other weights) gets its
# own table, table_keras.md: the files of TFLite's converter (float32, dynamic range, float16,
# full int8) on the tflite backend (the .venv's LiteRT); keras_qat_int8, TensorFlow Model
# Optimization's quantization-aware training (tools/keras_qat.py: quantize_model on the twin with
# the ONNX twin's weights, 2 epochs on the training split, seed 0) converted by TFLite's converter
# to full int8 (int8 input and output, like keras_int8), on the tflite backend too (unless
# --skip-tfmot); then its ONNX twin float32 and edgebench's int8 percentile variant of it on the
# native backend. TensorFlow, tf-keras and tensorflow-model-optimization come from PyPI, pinned in
# tools/requirements-tfmot.txt, installed once into out/tf-venv (without them the study prints
# "TFMOT: not available (reason)" and goes on). Measured 2026-12-07 (2 shared vCPUs, 1 thread,
# whole test split, 1 round): keras_float32 417.75 KiB 90.80% 0.0179 ms, keras_int8 111.26 KiB
# 90.86% 0.0086 ms, keras_qat_int8 109.59 KiB 90.84% 0.00841 ms.
# Quality and size come from `edgebench eval` (top-1 over the split, model file size); latency is
# `edgebench bench` single-stream p50 on the same thread count, measured after all evaluations.
# Outputs in out/optimize_study/: the models, one eval and one bench result JSON per variant,
# table.md, table_keras.md, toolkits.json (the toolkits' versions and settings),
# keras_qat_int8.json (TensorFlow's versions, the training settings and figures). MobileNetV2
# (tools/export_torchvision.py, random weights) is quantized with random calibration data: the
# speed-up does not depend on the weights' values.
# Exit 0 whatever the figures (it is a measurement); 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/optimize_study.sh [--limit N] [--threads N] [--rounds N] [--skip-mobilenet]" \
    "[--skip-finetune] [--epochs N] [--skip-toolkits] [--skip-tfmot]" >&2
  exit 2
}
limit=0
threads=1
rounds=3
mobilenet=1
finetune=1
epochs=3
toolkits=1
tfmot=1
agreement=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --limit|--threads|--rounds) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage ;;&
    --limit) limit="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --skip-mobilenet) mobilenet=0; shift ;;
    --skip-finetune) finetune=0; shift ;;
    --skip-toolkits) toolkits=0; shift ;;
    --skip-tfmot) tfmot=0; shift ;;
    --epochs) [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || usage; epochs="$2"; shift 2 ;;
    *) usage ;;
  esac
done
bench_setup
[ "$finetune" = 0 ] || bench_need_packages python3-torch python3-onnx python3-numpy

out=out/optimize_study
rm -rf "$out"
mkdir -p "$out"
model=models/fashion_mnist_cnn.onnx
data=fashion-mnist:/usr/share/datasets/fashion-mnist
calibration=(--calibration "$data:train" --calibration-limit 1000)
variants=(float32 int8_percentile int8_entropy int8_mse int8_per_tensor int8_fallback dynamic fp16
  prune50 prune50_2of4)
# Pruning with fine-tuning (PyTorch, Debian's python3-torch): gradual magnitude pruning while
# training $epochs epochs on the whole training split.
if [ "$finetune" = 1 ]; then variants+=(int8_qat prune50_ft prune50_2of4_ft block80_ft); fi
declare -A flags=(
  [int8_percentile]="--quantize int8 --per-channel --calibration-method percentile"
  [int8_entropy]="--quantize int8 --per-channel --calibration-method entropy"
  [int8_mse]="--quantize int8 --per-channel --calibration-method mse"
  [int8_per_tensor]="--quantize int8 --calibration-method minmax"
  [int8_fallback]="--quantize int8-fallback --per-channel --calibration-method percentile"
  [dynamic]="--quantize dynamic --per-channel"
  [fp16]="--quantize fp16"
  [prune50]="--prune 0.5"
  [prune50_2of4]="--prune 0.5 --prune-pattern 2:4"
  [int8_qat]="--quantize int8 --per-channel --qat --epochs $epochs"
  [prune50_ft]="--prune 0.5 --finetune-epochs $epochs"
  [prune50_2of4_ft]="--prune 0.5 --prune-pattern 2:4 --finetune-epochs $epochs"
  [block80_ft]="--prune 0.81 --prune-pattern block:4x1 --finetune-epochs $((epochs + 2))
    --exclude /0/Conv --exclude /11/Gemm"
)
cp "$model" "$out/float32.onnx"
for v in "${variants[@]:1}"; do
  echo "== optimize $v"
  extra=()
  case "$v" in
    int8_qat) extra=("${calibration[@]}" --train-dataset "$data:train") ;;
    int8*) extra=("${calibration[@]}") ;;
    *_ft) extra=(--train-dataset "$data:train") ;;
  esac
  # shellcheck disable=SC2086  # flags are words
  $EB optimize "$model" -o "$out/$v.onnx" ${flags[$v]} "${extra[@]}" --threads "$threads" |
    grep -v '^  ' || true
done

# The other toolkits' int8 variants, calibrated on the same images (tools/toolkit_variants.py
# reads them as the fashion-mnist dataset does: pixel / 255, the model's NCHW input).
toolkit_args=(--out "$out" --model "$model" --dataset "${data#fashion-mnist:}"
  --calibration-limit 1000)
# NNCF's interpreter: out/toolkits-venv, made once from tools/requirements-toolkits.txt (again
# when that file changes). Prints the interpreter, or returns 1 with the reason on stderr.
toolkits_python() {
  bench_pinned_venv out/toolkits-venv tools/requirements-toolkits.txt "$out/toolkits-pip.log"
}
if [ "$toolkits" = 1 ]; then
  echo "== toolkits: ONNX Runtime quantizer"
  if .venv/bin/python tools/toolkit_variants.py "${toolkit_args[@]}" --which ort; then
    variants+=(ort_int8)
  else
    echo "ONNX Runtime quantizer: not available (tools/toolkit_variants.py exit $?)"
  fi
  echo "== toolkits: NNCF"
  if nncf_python="$(toolkits_python 2> "$out/toolkits-venv.err")"; then
    # NNCF draws progress bars; the summary line and any error stay.
    "$nncf_python" tools/toolkit_variants.py "${toolkit_args[@]}" --which nncf 2>&1 |
      grep -v -E '(Statistics collection|Fast Bias correction)' || true
    if [ -f "$out/nncf_int8.onnx" ]; then
      variants+=(nncf_int8)
    else
      echo "NNCF: not available (tools/toolkit_variants.py --which nncf wrote no model)"
    fi
  else
    echo "NNCF: not available ($(cat "$out/toolkits-venv.err"))"
  fi
fi

limit_flag=()
[ "$limit" -gt 0 ] && limit_flag=(--limit "$limit")
for v in "${variants[@]}"; do
  echo "== eval $v"
  $EB eval "$out/$v.onnx" --dataset "$data:test" "${limit_flag[@]}" --threads "$threads" \
    --no-db --quiet --label "$v" --reference "$model" --json "$out/$v.eval.json" |
    grep -E '^ *(top-1|relative)' || true
done
# The Keras twin: TFLite's converter output on the tflite backend, the ONNX twin and edgebench's
# int8 of it on the native backend. No --reference: the TFLite files take NHWC (the int8 ones
# int8) input, the ONNX twin NCHW. A row whose evaluation fails (no LiteRT in .venv) is left out.
keras=models/fashion_mnist_cnn_keras
keras_variants=()
declare -A keras_backend=(
  [keras_float32]=tflite [keras_dynamic]=tflite [keras_float16]=tflite [keras_int8]=tflite
  [keras_qat_int8]=tflite [keras_onnx_float32]=native [keras_onnx_int8_percentile]=native
)
keras_file() {
  if [ "${keras_backend[$1]}" = tflite ]; then echo "$out/$1.tflite"; else echo "$out/$1.onnx"; fi
}
# TensorFlow Model Optimization's interpreter: out/tf-venv, made once from
# tools/requirements-tfmot.txt (again when that file changes). Prints the interpreter, or returns
# 1 with the reason on stderr.
tfmot_python() {
  bench_pinned_venv out/tf-venv tools/requirements-tfmot.txt "$out/tf-venv-pip.log"
}
if [ "$toolkits" = 1 ]; then
  for k in float32 dynamic float16 int8; do cp "${keras}_$k.tflite" "$out/keras_$k.tflite"; done
  keras_rows=(keras_float32 keras_dynamic keras_float16 keras_int8)
  if [ "$tfmot" = 1 ]; then
    # Quantization-aware training (tfmot.quantization.keras.quantize_model, 2 epochs on the whole
    # training split) from the ONNX twin's weights, then TFLite's converter to full int8.
    echo "== toolkits: TensorFlow Model Optimization (keras_qat_int8)"
    if tf_python="$(tfmot_python 2> "$out/tf-venv.err")"; then
      # TensorFlow's log lines go to keras_qat.log; the script's figures are printed.
      "$tf_python" tools/keras_qat.py --out "$out/keras_qat_int8.tflite" \
        --json "$out/keras_qat_int8.json" 2> "$out/keras_qat.log" || true
      if [ -f "$out/keras_qat_int8.tflite" ]; then
        keras_rows+=(keras_qat_int8)
      else
        echo "TFMOT: not available (tools/keras_qat.py wrote no model:" \
          "$(grep -v -E '^(W|I|E)[0-9]{4} |^WARNING' "$out/keras_qat.log" | tail -1); log:" \
          "$out/keras_qat.log)"
      fi
    else
      echo "TFMOT: not available ($(cat "$out/tf-venv.err"))"
    fi
  fi
  cp "$keras.onnx" "$out/keras_onnx_float32.onnx"
  echo "== optimize keras_onnx_int8_percentile"
  # shellcheck disable=SC2086  # flags are words
  $EB optimize "$keras.onnx" -o "$out/keras_onnx_int8_percentile.onnx" \
    ${flags[int8_percentile]} "${calibration[@]}" --threads "$threads" | grep -v '^  ' || true
  for v in "${keras_rows[@]}" keras_onnx_float32 keras_onnx_int8_percentile; do
    echo "== eval $v (${keras_backend[$v]})"
    $EB eval "$(keras_file "$v")" --backend "${keras_backend[$v]}" --dataset "$data:test" \
      "${limit_flag[@]}" --threads "$threads" --no-db --quiet --label "$v" \
      --json "$out/$v.eval.json" | grep -E '^ *top-1' || true
    if [ -f "$out/$v.eval.json" ]; then
      keras_variants+=("$v")
    else
      echo "$v: not available (edgebench eval --backend ${keras_backend[$v]} failed)"
    fi
  done
fi
# Latency on its own pass (evaluation timing includes the reference model's runs between
# inferences, which disturbs caches): $rounds rounds over all variants in turn, so that a
# disturbance on a shared machine hits every variant alike; each variant keeps the bench result
# with the median p50. Quality and size come from the evaluation.
echo "== bench ($rounds rounds)"
for r in $(seq 1 "$rounds"); do
  for v in "${variants[@]}"; do
    $EB bench "$out/$v.onnx" --threads "$threads" --min-duration 2 --no-db --quiet \
      --json "$out/$v.bench.$r.json" > /dev/null
  done
  for v in "${keras_variants[@]}"; do
    $EB bench "$(keras_file "$v")" --backend "${keras_backend[$v]}" --threads "$threads" \
      --min-duration 2 --no-db --quiet --json "$out/$v.bench.$r.json" > /dev/null
  done
done
for v in "${variants[@]}" "${keras_variants[@]}"; do
  node -e '
    const fs = require("fs");
    const [evalPath, ...benchPaths] = process.argv.slice(1);
    const e = JSON.parse(fs.readFileSync(evalPath));
    const runs = benchPaths.map((f) => JSON.parse(fs.readFileSync(f)))
      .sort((a, b) => a.timings.latency_ms.p50 - b.timings.latency_ms.p50);
    e.timings.latency_ms = runs[Math.floor((runs.length - 1) / 2)].timings.latency_ms;
    fs.writeFileSync(evalPath, JSON.stringify(e, null, 2));
  ' "$out/$v.eval.json" "$out/$v".bench.*.json
done
files=()
for v in "${variants[@]}"; do files+=("$out/$v.eval.json"); done
echo
echo "reference model on the Fashion-MNIST test split, $threads thread(s):"
$EB compare --variants "${files[@]}" --markdown "$out/table.md"
if [ "${#keras_variants[@]}" -gt 0 ]; then
  files=()
  for v in "${keras_variants[@]}"; do files+=("$out/$v.eval.json"); done
  echo
  echo "Keras twin on the Fashion-MNIST test split, $threads thread(s); keras_float32 .. keras_int8:" \
    "TFLite's converter on the tflite backend, keras_qat_int8: TensorFlow Model Optimization's" \
    "quantization-aware training and TFLite's converter, keras_onnx_*: the ONNX twin on the" \
    "native backend:"
  $EB compare --variants "${files[@]}" --markdown "$out/table_keras.md"
fi
toolkit_models=()
for v in ort_int8 nncf_int8; do
  [ -f "$out/$v.onnx" ] && toolkit_models+=("$out/$v.onnx")
done
if [ "${#toolkit_models[@]}" -gt 0 ]; then
  echo
  echo "other toolkits' variants, ONNX Runtime against the native backend (first $agreement test" \
    "images):"
  .venv/bin/python tools/ort_agreement.py --limit "$agreement" "${toolkit_models[@]}"
fi
if [ "$finetune" = 1 ]; then
  echo
  echo "trained variants, ONNX Runtime against the native backend (first $agreement test images):"
  .venv/bin/python tools/ort_agreement.py --limit "$agreement" "$out"/int8_qat.onnx \
    "$out"/prune50_ft.onnx "$out"/prune50_2of4_ft.onnx "$out"/block80_ft.onnx
fi

if [ "$mobilenet" = 1 ]; then
  dir=out/fast_engine/models
  mkdir -p "$dir"
  bench_torchvision_models "$dir"
  $EB optimize "$dir/mobilenet_v2.onnx" -o "$out/mobilenet_v2_int8.onnx" --quantize int8 \
    --per-channel --calibration random:1 --calibration-limit 16 --threads "$threads" |
    grep -v '^  ' || true
  echo
  echo "MobileNetV2 on the native backend, $threads thread(s), single-stream p50:"
  for r in $(seq 1 "$rounds"); do
    for m in "$dir/mobilenet_v2.onnx" "$out/mobilenet_v2_int8.onnx"; do
      $EB bench "$m" --threads "$threads" --min-duration 3 --no-db --quiet \
        --json "$out/$(basename "$m" .onnx).bench.$r.json" > /dev/null
    done
  done
  node -e '
    const fs = require("fs");
    const median = (files) => {
      const v = files.map((f) => JSON.parse(fs.readFileSync(f)).timings.latency_ms.p50).sort((a, b) => a - b);
      return v[Math.floor((v.length - 1) / 2)];
    };
    const n = (process.argv.length - 1) / 2;
    const f = median(process.argv.slice(1, 1 + n)), q = median(process.argv.slice(1 + n));
    console.log(`  float32 ${f.toFixed(3)} ms, int8 ${q.toFixed(3)} ms, speed-up ${(f / q).toFixed(2)}x (median of ${n} rounds)`);
  ' "$out"/mobilenet_v2.bench.*.json "$out"/mobilenet_v2_int8.bench.*.json
fi
