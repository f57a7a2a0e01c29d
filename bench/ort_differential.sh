#!/usr/bin/env bash
# Differential check of `edgebench run` against ONNX Runtime on MobileNetV2 and ResNet-18
# (torchvision architectures, random weights, opset 13), exported by tools/export_torchvision.py.
# Needs Debian's python3-torch and python3-torchvision (about 1 GB, so not in the default tests).
#   bash bench/ort_differential.sh [OUT_DIR]
# EB=PATH picks the edgebench binary (default build/release/edgebench, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
out="${1:-out/ort_differential}"
mkdir -p "$out"
bench_need_packages python3-torch python3-torchvision python3-onnx
bench_setup
status=0
# Plain random weights (BatchNorm statistics as initialized), and BatchNorm statistics
# calibrated on random batches so that outputs are not vanishingly small.
for variant in plain:0 calibrated:2; do
  name="${variant%%:*}"; bn="${variant##*:}"
  dir="$out/$name"
  /usr/bin/python3 tools/export_torchvision.py --out "$dir" --calibrate-bn "$bn" --reference > /dev/null
  for model in mobilenet_v2 resnet18; do
    rm -rf "$dir/$model.eb" "$dir/$model.ort"
    $EB inspect "$dir/$model.onnx" --json "$dir/$model.inspect.json" > /dev/null
    $EB run "$dir/$model.onnx" --input "input=$dir/$model.input.npy" --output-dir "$dir/$model.eb" > /dev/null
    node tests/ort/run_ort.js "$dir/$model.onnx" "$dir/$model.ort" "input=$dir/$model.input.npy" --threads 1
    echo -n "$name $model: "
    node tests/ort/compare_npy.js "$dir/$model.eb" "$dir/$model.ort" --max-rel 1e-4 || status=1
  done
done
exit $status
