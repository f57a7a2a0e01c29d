#!/usr/bin/env bash
# How far is each float32 engine from the exact answer? For zoo models, the outputs of edgebench
# (native and native-ref), ONNX Runtime and PyTorch's own float32 run, each against the same
# network run by PyTorch in float64 (tools/float64_reference.py), on one seeded input; and the
# engines against each other. This tells an engine's error apart from the model's own
# sensitivity to float32 rounding: where PyTorch and ONNX Runtime disagree by more than a bound,
# no float32 engine can be held to agree with either within it.
#   bash bench/float64_reference.sh [--models "NAMES"] [--seed S] [--work DIR]
# Default models: fcn_resnet50 and retinanet_resnet50_fpn_backbone (the two whose edgebench and
# ONNX Runtime outputs differ by more than 1e-4 relative in bench/zoo.sh); any plain zoo model
# works. Errors are max|test - ref| / max|ref| over all outputs (bench/ort/zoo_ort.py compare).
# Models are exported when missing (tools/export_zoo.py, Debian's python3-torch). PyTorch's
# float64 run of a ResNet-50 takes about two minutes here.
# Exit 0 when every run completed (whatever the errors), 1 when one failed, 2 on bad usage.
# EB=PATH picks the edgebench binary (default build/release/edgebench, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/float64_reference.sh [--models \"NAMES\"] [--seed S] [--work DIR]" >&2
  exit 2
}
models="fcn_resnet50 retinanet_resnet50_fpn_backbone"
seed=1
work="out/float64_reference"
while [ $# -gt 0 ]; do
  case "$1" in
    --models|--seed|--work) [ $# -ge 2 ] || usage ;;&
    --models) models="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$seed" =~ ^[0-9]+$ ]] && [ -n "$models" ] || usage
bench_setup
PY=.venv/bin/python
ORT=(bench/ort/zoo_ort.py)
dir="out/zoo/models"
bench_need_packages python3-torch python3-torchvision python3-onnx
for m in $models; do
  [ -f "$dir/$m.onnx" ] || /usr/bin/python3 tools/export_zoo.py --out "$dir" --models "$m" ||
    { echo "bench/float64_reference.sh: $m: not a zoo model that exports" >&2; exit 2; }
done

failed=0
engines="native native-ref onnxruntime torch_f32"
printf '%-34s %12s %12s %12s %12s   %s\n' "max rel error vs float64" $engines "ORT vs torch_f32 / vs native"
for m in $models; do
  run="$work/$m"
  rm -rf "$run"
  mkdir -p "$run"
  shape="$(awk -F'\t' -v m="$m" '$1 == m { print $7 }' "$dir/manifest.tsv")"
  input="$(awk -F'\t' -v m="$m" '$1 == m { print $6 }' "$dir/manifest.tsv")"
  "$PY" "${ORT[@]}" input "$shape" "$seed" "$run/input.npy"
  ok=1
  /usr/bin/python3 tools/float64_reference.py "$m" "$run/input.npy" "$run" 2> "$run/torch.err" ||
    { ok=0; head -n 3 "$run/torch.err" | sed 's/^/    float64_reference.py: /'; }
  for backend in native native-ref onnxruntime; do
    "$EB" run "$dir/$m.onnx" --backend "$backend" --input "$input=$run/input.npy" \
      --output-dir "$run/$backend" > /dev/null 2> "$run/$backend.err" ||
      { ok=0; head -n 3 "$run/$backend.err" | sed "s/^/    $backend: /"; }
  done
  row=()
  for e in $engines; do
    row+=("$("$PY" "${ORT[@]}" compare "$run/f64" "$run/$e" 2> /dev/null || echo failed)")
  done
  cross="$("$PY" "${ORT[@]}" compare "$run/onnxruntime" "$run/torch_f32" 2> /dev/null || echo failed)"
  cross+=" / $("$PY" "${ORT[@]}" compare "$run/onnxruntime" "$run/native" 2> /dev/null || echo failed)"
  printf '%-34s %12s %12s %12s %12s   %s\n' "$m" "${row[@]}" "$cross"
  [ "$ok" = 1 ] && [[ " ${row[*]} $cross " != *failed* ]] || failed=1
done
exit "$failed"
