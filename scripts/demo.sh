#!/usr/bin/env bash
# The main job: install, build, generate a conv model, inspect it and run it on seeded input.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh release
EB=./build/release/edgebench
mkdir -p out/demo
$EB generate conv --filters 32 --layers 5 --input 64 -o out/demo/conv.onnx
$EB inspect out/demo/conv.onnx --json out/demo/inspect.json
$EB run out/demo/conv.onnx --random-seed 1 --output-dir out/demo/outputs
