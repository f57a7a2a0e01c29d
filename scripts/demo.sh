#!/usr/bin/env bash
# The main job: install, build, then take the reference model (models/fashion_mnist_cnn.onnx,
# a small CNN trained on Fashion-MNIST) through inspection, evaluation on Debian's Fashion-MNIST
# test split, int8 quantization (per channel, calibrated on the training split), quantization
# error analysis and a size / accuracy / latency table of the two.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh release edgebench  # the tool only; scripts/test.sh builds the tests
EB=./build/release/edgebench
DATA=fashion-mnist:/usr/share/datasets/fashion-mnist
MODEL=models/fashion_mnist_cnn.onnx
mkdir -p out/demo
$EB inspect "$MODEL"
$EB eval "$MODEL" --dataset "$DATA:test" --label float32 --no-db --quiet \
  --json out/demo/float32.json
$EB optimize "$MODEL" -o out/demo/int8.onnx --quantize int8 --per-channel \
  --calibration "$DATA:train" --calibration-limit 1000
$EB eval out/demo/int8.onnx --dataset "$DATA:test" --label int8 --reference "$MODEL" --no-db \
  --quiet --json out/demo/int8.json
$EB analyze out/demo/int8.onnx --reference "$MODEL" --dataset "$DATA:test" --limit 1000
$EB compare --variants out/demo/float32.json out/demo/int8.json
