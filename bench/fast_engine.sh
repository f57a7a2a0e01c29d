#!/usr/bin/env bash
# The fast-engine benchmark: edgebench against ONNX Runtime on MobileNetV2, ResNet-18, generated
# conv stacks and dense stacks, float32 and int8 (QDQ), at 1 and 2 threads. Each row (printed by
# bench/anchor.sh) gives ONNX Runtime's median ms, edgebench's p50 ms, the ratio
# edgebench / ONNX Runtime (< 1: edgebench is faster) and edgebench's GFLOP/s (flops_total of
# `edgebench inspect`). Then, per dtype and thread count, the geometric mean of the ratios over
# MobileNetV2 and ResNet-18 (the headline) and over all models, and ResNet-18's peak RSS against
# its budget (bench/memory.sh).
#   bash bench/fast_engine.sh [--quick] [--threads "1 2"] [--dtypes "float32 int8"]
#                             [--models "FILES"] [--backend native]
# --quick: 5 timed runs per side instead of at least 30 (a smoke run).
# --dtypes: float32; int8 = QDQ models with uint8 activations and per-channel int8 weights
# (ONNX Runtime's default and fastest QDQ layout on x86); int8s8 = QDQ with int8 activations.
# --models: more float models (fixed input shapes) to add to the set; int8 runs quantize them.
# Models live in out/fast_engine/models: MobileNetV2 and ResNet-18 from
# tools/export_torchvision.py (random seeded weights, BatchNorm calibrated), conv and dense stacks
# from `edgebench generate` (dense with ReLU), QDQ versions from tools/export_qdq.py; each is made
# when missing. Needs Debian's python3-torch, python3-torchvision, python3-onnx (installed when
# missing) and node_modules (npm ci).
# Exit 0 whatever the ratios (it is a measurement); 2 on bad usage.
# EB=PATH picks the edgebench binary (default build/release/edgebench, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/fast_engine.sh [--quick] [--threads \"1 2\"] [--dtypes \"float32 int8\"]" \
       "[--models \"FILES\"] [--backend B]" >&2
  exit 2
}
quick=()
threads="1 2"
dtypes="float32 int8"
extra=""
backend="native"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads|--dtypes|--models|--backend) [ $# -ge 2 ] || usage ;;&
    --threads) threads="$2"; shift 2 ;;
    --dtypes) dtypes="$2"; shift 2 ;;
    --models) extra="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --quick) quick=(--quick); shift ;;
    *) usage ;;
  esac
done
for t in $threads; do [[ "$t" =~ ^[1-9][0-9]*$ ]] || usage; done
for d in $dtypes; do case "$d" in float32|int8|int8s8) ;; *) usage ;; esac; done
if [ -z "$threads" ] || [ -z "$dtypes" ]; then usage; fi
for m in $extra; do [ -f "$m" ] || { echo "bench/fast_engine.sh: $m: no such model" >&2; exit 2; }; done
bench_setup

dir=out/fast_engine/models
mkdir -p "$dir"
bench_torchvision_models "$dir"
float_models=("$dir/mobilenet_v2.onnx" "$dir/resnet18.onnx")
for spec in 32:5:64 64:3:56 128:2:28; do
  IFS=: read -r f l s <<< "$spec"
  m="$dir/conv_f${f}_l${l}_s${s}.onnx"
  [ -f "$m" ] || $EB generate conv --filters "$f" --layers "$l" --input "$s" -o "$m" > /dev/null
  float_models+=("$m")
done
for spec in 256:3 1024:4; do
  IFS=: read -r n l <<< "$spec"
  m="$dir/dense_n${n}_l${l}.onnx"
  [ -f "$m" ] || $EB generate dense --neurons "$n" --layers "$l" --activation relu -o "$m" > /dev/null
  float_models+=("$m")
done
for m in $extra; do float_models+=("$m"); done

tsv="$(mktemp)"
trap 'rm -f "$tsv"' EXIT
for dtype in $dtypes; do
  models=()
  if [ "$dtype" = float32 ]; then
    models=("${float_models[@]}")
  else
    [ "$dtype" = int8 ] && act=uint8 || act=int8
    for m in "${float_models[@]}"; do
      if q="$(bench_qdq_model "$m" "$dir" "$act")"; then
        models+=("$q")
      else
        echo "bench/fast_engine.sh: cannot quantize $m; left out of $dtype" >&2
      fi
    done
  fi
  bash bench/anchor.sh --no-default-models --models "${models[*]}" --threads "$threads" \
    --backend "$backend" --dtype "$dtype" --tsv "$tsv" --work out/fast_engine/runs "${quick[@]}"
  echo
done

# shellcheck disable=SC2016  # JavaScript, not shell
node -e '
  const fs = require("fs");
  const [tsvFile, dtypes, threads] = process.argv.slice(1);
  const rows = fs.readFileSync(tsvFile, "utf8").trim().split("\n").filter(Boolean)
    .map((l) => l.split("\t")).map(([dtype, t, model, , , ratio]) => ({ dtype, t, model, ratio: Number(ratio) }));
  const pretty = (model) => model.startsWith("mobilenet_v2") ? "MobileNetV2" :
                            model.startsWith("resnet18") ? "ResNet-18" : model;
  const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  const summary = (set, label) => {
    const bad = set.filter((r) => !(r.ratio > 0 && Number.isFinite(r.ratio)));
    if (set.length === 0) return "n/a (no models)";
    if (bad.length) return `n/a (failed: ${bad.map((r) => pretty(r.model)).join(", ")})`;
    return geomean(set.map((r) => r.ratio)).toFixed(2);
  };
  for (const dtype of dtypes.split(/\s+/).filter(Boolean)) {
    for (const t of threads.split(/\s+/).filter(Boolean)) {
      const set = rows.filter((r) => r.dtype === dtype && r.t === t);
      const head = set.filter((r) => ["MobileNetV2", "ResNet-18"].includes(pretty(r.model)));
      const tl = `${t} thread${t === "1" ? "" : "s"}`;
      console.log(`geomean edgebench/ORT ${dtype} ${tl} (MobileNetV2, ResNet-18): ${summary(head)}`);
      console.log(`geomean edgebench/ORT ${dtype} ${tl} (all ${set.length} models): ${summary(set)}`);
    }
  }
' "$tsv" "$dtypes" "$threads"
echo
bash bench/memory.sh "$dir/resnet18.onnx" || true
if [[ " $dtypes " == *" int8 "* ]] && [ -f "$dir/resnet18_qdq_u8.onnx" ]; then
  bash bench/memory.sh "$dir/resnet18_qdq_u8.onnx" || true
fi
exit 0
