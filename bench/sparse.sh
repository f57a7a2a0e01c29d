#!/usr/bin/env bash
# Does block sparsity pay on the native backend? MobileNetV2 (torchvision, seeded weights) with
# its 1x1 convolutions pruned to 80% in blocks of the sparse kernel's width (`optimize --prune
# 0.8 --prune-pattern block:16x1` on CPUs with AVX-512, block:8x1 on others; the first
# convolution and the classifier left dense) against the dense model, at
# 1 thread on one pinned CPU, measured in alternating rounds (`bench --baseline`) so that both
# see the same machine. A control runs the pruned model with the sparse kernel turned off
# (EDGEBENCH_SPARSE=off): the same zeros on the dense kernels. Goal: dense / sparse >= 1.5.
#   bash bench/sparse.sh [--cpu N] [--repeat K] [--sparsity S] [--block RxC] [--avx2]
# Defaults: the last CPU this process may use, 5 rounds, 0.8, the kernel's width x 1. --avx2
# measures both sides as on a CPU without AVX-512: oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA)
# and the sparse kernel at width 8 (EDGEBENCH_SPARSE=avx2), in 8x1 blocks.
# Exit 0 whatever the figures (it is a measurement); 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/sparse.sh [--cpu N] [--repeat K] [--sparsity S] [--block RxC] [--avx2]" >&2
  exit 2
}
cpu=""
repeat=5
sparsity=0.8
block=""
isa=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu|--repeat) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage ;;&
    --cpu) cpu="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --sparsity) [ $# -ge 2 ] && [[ "$2" =~ ^0?\.[0-9]+$ ]] || usage; sparsity="$2"; shift 2 ;;
    --block) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+x[0-9]+$ ]] || usage; block="$2"; shift 2 ;;
    --avx2) isa=(ONEDNN_MAX_CPU_ISA=AVX2 EDGEBENCH_SPARSE=avx2); shift ;;
    *) usage ;;
  esac
done
bench_setup
[ -x .venv/bin/python ] || bash scripts/setup.sh release
[ -n "$cpu" ] || cpu=$(.venv/bin/python -c 'import os; print(max(os.sched_getaffinity(0)))')
out=out/sparse
models="$out/models"
mkdir -p "$models"
bench_torchvision_models "$models"
dense="$models/mobilenet_v2.onnx"
if [ -z "$block" ]; then
  if [ "${#isa[@]}" -eq 0 ] && grep -qw avx512f /proc/cpuinfo; then block=16x1; else block=8x1; fi
fi
sparse="$out/mobilenet_v2_block${block}_${sparsity#0.}.onnx"

# Only the 1x1 convolutions: the stem convolution (3x3) and the classifier stay dense, and the
# depthwise convolutions are left dense by the pattern itself.
mapfile -t keep < <(.venv/bin/python - "$dense" <<'PY'
import sys, onnx
g = onnx.load(sys.argv[1], load_external_data=False).graph
for n in g.node:
    if n.op_type == "Conv":
        k = next((list(a.ints) for a in n.attribute if a.name == "kernel_shape"), [])
        if k != [1, 1]:
            print(n.name)
    elif n.op_type in ("Gemm", "MatMul"):
        print(n.name)
PY
)
exclude=()
for name in "${keep[@]}"; do exclude+=(--exclude "$name"); done
"$EB" optimize "$dense" -o "$sparse" --prune "$sparsity" --prune-pattern "block:$block" \
  "${exclude[@]}" > "$out/optimize.txt"
grep -m1 "^pruned" "$out/optimize.txt"
env "${isa[@]}" "$EB" inspect "$sparse" --json "$out/inspect.json" > /dev/null
.venv/bin/python - "$out/inspect.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
counts = doc.get("kernel_counts", {})
print("kernels of the pruned model: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
PY

side_by_side() {  # side_by_side LABEL CANDIDATE BASELINE [ENV...]
  local label="$1" candidate="$2" baseline="$3"
  shift 3
  env "$@" "$EB" bench "$candidate" --baseline "$baseline" --threads 1 --cpu "$cpu" \
    --repeat "$repeat" --min-duration 1 --quiet --no-db > "$out/$label.txt"
  local ratio
  ratio=$(grep -m1 "p50 ratio" "$out/$label.txt" | sed 's/^ *//')
  echo "$label: $ratio"
}
echo "MobileNetV2 1x224x224, $block blocks, 1 thread, CPU $cpu, $repeat alternating rounds${isa:+, as on an AVX2 CPU}:"
side_by_side sparse_vs_dense "$sparse" "$dense" "${isa[@]}"
side_by_side zeros_on_dense_kernels_vs_dense "$sparse" "$dense" "${isa[@]}" EDGEBENCH_SPARSE=off
.venv/bin/python - "$out/sparse_vs_dense.txt" <<'PY'
import re, sys
m = re.search(r"p50 ratio \(this / baseline\) ([0-9.]+)", open(sys.argv[1]).read())
if m:
    r = float(m.group(1))
    print(f"speed-up of the sparse kernel (dense p50 / sparse p50): {1 / r:.2f}x (goal >= 1.5x)")
PY
