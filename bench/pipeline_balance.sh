#!/usr/bin/env bash
# How well each segmentation strategy balances a pipeline of two native workers: the same model
# cut by balanced MACs (the default for CPU workers), by the Edge TPU device model's per-op times
# (latency), and by measured per-op times (a `bench --profile-ops` profile of the whole model),
# each run as `edgebench pipeline --workers native,native`, in alternating rounds.
#   bash bench/pipeline_balance.sh [--models "FILES"] [--rounds K] [--queries N]
# Per model and strategy: the two stages' mean service times, their imbalance (slower / faster),
# and the pipeline's throughput with 2 and 4 inputs in flight (median over the rounds), and the
# throughput ratio of measured to macs. Default models: MobileNetV2 and ResNet-18 (torchvision
# exports with seeded weights, made by tools/export_torchvision.py when missing).
# Exit 0 when every run completed (whatever the figures), 1 when one failed, 2 on bad usage.
# EB=PATH picks the edgebench binary (default build/release/edgebench, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/pipeline_balance.sh [--models \"FILES\"] [--rounds K] [--queries N]" >&2
  exit 2
}
models=""
rounds=3
queries=200
while [ $# -gt 0 ]; do
  case "$1" in
    --models|--rounds|--queries) [ $# -ge 2 ] || usage ;;&
    --models) models="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --queries) queries="$2"; shift 2 ;;
    *) usage ;;
  esac
done
for n in "$rounds" "$queries"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage; done
bench_setup
work=out/pipeline_balance
mkdir -p "$work"
if [ -z "$models" ]; then
  bench_torchvision_models "$work/models"
  models="$work/models/mobilenet_v2.onnx $work/models/resnet18.onnx"
fi
failed=0
rows="$work/rows.tsv"
: > "$rows"
for m in $models; do
  [ -f "$m" ] || { echo "bench/pipeline_balance.sh: $m: no such model" >&2; exit 2; }
  name="$(basename "$m" .onnx)"
  for ((r = 1; r <= rounds; r++)); do
    for strategy in macs latency measured; do
      out="$work/$name.$strategy.$r.json"
      if "$EB" pipeline "$m" --workers native,native --strategy "$strategy" --queries "$queries" \
           --warmup 20 --in-flight 2,4 --no-db --json "$out" > "$work/$name.$strategy.$r.log" 2>&1; then
        echo -e "$name\t$strategy\t$out" >> "$rows"
      else
        failed=1
        head -n 3 "$work/$name.$strategy.$r.log" | sed "s/^/    $name $strategy: /"
      fi
    done
  done
done
.venv/bin/python - "$rows" << 'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, strategy, path = line.rstrip("\n").split("\t")
    j = json.load(open(path))
    by_depth = {r["in_flight"]: r for r in j["runs"]}
    service = [s["service_mean_ms"] for s in by_depth[2]["stages"]]
    runs.setdefault((name, strategy), []).append(
        (by_depth[2]["throughput_per_s"], by_depth[4]["throughput_per_s"],
         max(service) / min(service), service))
print(f"{'model':<16} {'strategy':<9} {'stage ms (2 in flight)':>24} {'imbalance':>9} "
      f"{'inf/s @2':>9} {'inf/s @4':>9}")
for (name, strategy), rs in runs.items():
    med = lambda k: statistics.median(r[k] for r in rs)
    stages = " / ".join(f"{statistics.median(r[3][i] for r in rs):.2f}" for i in range(2))
    print(f"{name:<16} {strategy:<9} {stages:>24} {med(2):>9.2f} {med(0):>9.1f} {med(1):>9.1f}")
for name in sorted({n for n, _ in runs}):
    if (name, "macs") in runs and (name, "measured") in runs:
        t = lambda s, k: statistics.median(r[k] for r in runs[(name, s)])
        print(f"{name}: measured / macs throughput {t('measured', 0) / t('macs', 0):.3f} (2 in "
              f"flight), {t('measured', 1) / t('macs', 1):.3f} (4 in flight); imbalance "
              f"{t('macs', 2):.2f} -> {t('measured', 2):.2f}")
EOF
exit "$failed"
