#!/usr/bin/env bash
# Validates the accelerator planner's device model against measured Edge TPU data:
#   - the thesis's dense sweep on 1 Edge TPU (64 -> 4 x Dense(N) -> Dense(10), N = 100..2620):
#     on-chip / off-chip parameter bytes, the spill point, latency (device edgetpu-thesis);
#   - the thesis's conv sweep (64x64x3 -> 5 x Conv(F, 3x3), F = 32..202): latency (reported);
#   - the co-compilation study's MobileNetV2 pair on a USB 2.0 accelerator (edgetpu-usb2):
#     warm latencies co-compiled and alternating separately compiled.
# First the latency model's leave-one-out cross-validation (tools/fit_device_model.py): every
# point of the dense and conv sweeps and of the 2-, 3- and 4-TPU pipelines predicted by a model
# fitted without it (measured, predicted, error %) and the cross-validated MAPE of each; then
# the memory split, the co-compilation check and the full fit's errors (plan_validation.mjs).
# Exits 1 when an acceptance bound is missed.
#
#   EB=build-dbg/edgebench bash bench/plan_validation.sh
#   FIT=1 bash bench/plan_validation.sh   # refit: write the fitted figures into devices/*.json,
#                                         # then plan again with them and validate
# Environment: EB (default build/release/edgebench), DATA (the measured data folder, default
# ../shared/data/edgetpu beside the repository), WORK (scratch folder for generated models and
# plans, default build/plan-validation; delete WORK/plans to plan again), PYTHON (with numpy,
# default .venv/bin/python), FIT (1: refit the device files first).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
EB="${EB:-build/release/edgebench}"
if [ "$EB" = build/release/edgebench ] && [ ! -x "$EB" ]; then bash scripts/setup.sh release; fi
[ -x "$EB" ] || { echo "plan_validation: EB=$EB is not an executable" >&2; exit 2; }
DATA="${DATA:-$(cd .. && pwd)/shared/data/edgetpu}"
[ -f "$DATA/dense_1tpu.csv" ] || { echo "plan_validation: no dense_1tpu.csv in DATA=$DATA" >&2; exit 2; }
WORK="${WORK:-build/plan-validation}"
mkdir -p "$WORK/plans"

# Sweeps: generate, plan, delete (the largest dense model holds 80 MB of float32 weights).
for ((n = 100; n <= 2620; n += 40)); do
  out="$WORK/plans/dense_$n.json"
  [ -f "$out" ] && continue
  "$EB" generate dense --neurons "$n" --layers 4 --inputs 64 --outputs 10 --activation tanh \
    -o "$WORK/dense.onnx" > /dev/null
  "$EB" plan "$WORK/dense.onnx" --device edgetpu-thesis --json "$out" > /dev/null
done
for ((f = 32; f <= 202; f += 10)); do
  out="$WORK/plans/conv_$f.json"
  [ -f "$out" ] && continue
  "$EB" generate conv --filters "$f" --layers 5 --input 64 --kernel 3 --activation relu \
    -o "$WORK/conv.onnx" > /dev/null
  "$EB" plan "$WORK/conv.onnx" --device edgetpu-thesis --json "$out" > /dev/null
done
rm -f "$WORK/dense.onnx" "$WORK/conv.onnx"

# The multi-TPU pipelines: every dense model cut between layers (before Dense 1, 2, 3 or 4:
# nodes 2, 4, 6, 8) into 2, 3 and 4 segments, each planned on its own Edge TPU; the comparison
# picks the cut the measured per-TPU memory shows (the thesis split by hand or by timing).
CUTS_2=("2" "4" "6" "8")
CUTS_3=("2 4" "2 6" "2 8" "4 6" "4 8" "6 8")
CUTS_4=("2 4 6" "2 4 8" "2 6 8" "4 6 8")
for ((n = 100; n <= 2620; n += 40)); do
  [ -f "$WORK/plans/multi_${n}_4_4-6-8.json" ] && continue
  "$EB" generate dense --neurons "$n" --layers 4 --inputs 64 --outputs 10 --activation tanh \
    -o "$WORK/dense.onnx" > /dev/null
  for k in 2 3 4; do
    declare -n cuts="CUTS_$k"
    for c in "${cuts[@]}"; do
      "$EB" plan "$WORK/dense.onnx" --device edgetpu-thesis --segments "$k" --cuts $c \
        --json "$WORK/plans/multi_${n}_${k}_${c// /-}.json" > /dev/null
    done
    unset -n cuts
  done
done
rm -f "$WORK/dense.onnx"

# The study's MobileNetV2 pair (iNat bird, 965 classes; iNat plant, 2102 classes).
if [ ! -f "$WORK/plans/pair.json" ]; then
  if [ ! -f "$WORK/mobilenet_v2_inat_plant.onnx" ]; then
    bench_need_packages python3-torch python3-torchvision python3-onnx
    /usr/bin/python3 tools/export_inat_mobilenets.py --out "$WORK" > /dev/null
  fi
  "$EB" plan "$WORK/mobilenet_v2_inat_bird.onnx" --device edgetpu-usb2 \
    --json "$WORK/plans/bird.json" > /dev/null
  "$EB" plan "$WORK/mobilenet_v2_inat_bird.onnx" "$WORK/mobilenet_v2_inat_plant.onnx" \
    --device edgetpu-usb2 --trace "A B A B A B" --json "$WORK/plans/pair.json" > /dev/null
fi

PYTHON="${PYTHON:-.venv/bin/python}"
if [ "${FIT:-0}" = 1 ]; then
  "$PYTHON" tools/fit_device_model.py --data "$DATA" --plans "$WORK/plans" --write \
    --usb2-anchor "$WORK/plans/bird.json" > /dev/null
  rm -rf "$WORK/plans"
  EB="$EB" DATA="$DATA" WORK="$WORK" PYTHON="$PYTHON" FIT=0 exec bash bench/plan_validation.sh
fi
status=0
"$PYTHON" tools/fit_device_model.py --data "$DATA" --plans "$WORK/plans" --bounds || status=$?
[ "$status" -le 1 ] || exit "$status"
echo
node bench/plan_validation.mjs "$DATA" "$WORK/plans" || status=$?
exit "$status"
