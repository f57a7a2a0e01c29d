#!/usr/bin/env bash
# How steady a pinned measurement is, and whether a co-running load is caught:
#   1. `bench MODEL --cpu CPU --repeat K` on a quiet CPU: the round-to-round p50 spread (the
#      record's conditions.spread_pct) and the noise verdict;
#   2. the same with a busy loop pinned to the same CPU: the verdict must say noisy.
#   bash bench/noise.sh [--cpu N] [--repeat K] [--model FILE]
# Defaults: the last CPU this process may use, 5 rounds, models/fashion_mnist_cnn.onnx.
# Run it on an otherwise idle machine: part 1 measures the machine as much as the tool.
# Exit 0 whatever the figures (it is a measurement); 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/noise.sh [--cpu N] [--repeat K] [--model FILE]" >&2
  exit 2
}
cpu=""
repeat=5
model=models/fashion_mnist_cnn.onnx
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu|--repeat) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage ;;&
    --cpu) cpu="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --model) [ $# -ge 2 ] || usage; model="$2"; shift 2 ;;
    *) usage ;;
  esac
done
bench_setup
[ -x .venv/bin/python ] || bash scripts/setup.sh release
[ -n "$cpu" ] || cpu=$(.venv/bin/python -c 'import os; print(max(os.sched_getaffinity(0)))')
out=out/noise
mkdir -p "$out"
run() {
  "$EB" bench "$model" --cpu "$cpu" --repeat "$repeat" --min-duration 1 --quiet --no-db \
    --json "$out/$1.json" > "$out/$1.txt"
  .venv/bin/python - "$out/$1.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["conditions"]
print(f"{sys.argv[2]:>6}: CPU {c['cpus']}, rounds p50 "
      + " ".join(f"{v:.4f}" for v in c["round_p50_ms"])
      + f" ms, spread {c['spread_pct']:.2f}%, other load {c['other_load_pct']:.0f}%, "
      + f"steal {c['steal_pct']:.1f}%: {'NOISY (' + '; '.join(c['noise_reasons']) + ')' if c['noisy'] else 'quiet'}")
PY
}
run quiet
.venv/bin/python -c "import os
os.sched_setaffinity(0, {$cpu})
while True: pass" &
load=$!
trap 'kill $load 2>/dev/null || true' EXIT
sleep 0.5
run loaded
