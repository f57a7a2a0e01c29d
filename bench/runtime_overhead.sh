#!/usr/bin/env bash
# Adapter overhead of the Python target: ONNX Runtime timed by the target against ONNX Runtime
# timed in-process by a plain Python loop, same model, same seeded input, same core, same run.
#  1. The ratio (the goal: within 3%): bench/runtime_overhead.py, interleaved. The target
#     (`python -m edgebench.target --runtime onnxruntime`, 1 thread, its clock around the
#     runtime's run call) and a plain loop (a session with the target's settings, input bound once
#     with IOBinding, each run_with_iobinding timed with time.perf_counter_ns) both stay up,
#     pinned to CORE, and take turns in blocks of 100 queries, 20 blocks each: the core's speed on
#     these VMs drifts by tens of percent over seconds, and blocks put both sides under the same
#     drift. Twice: the target as it runs by default, and with --warm-run (one untimed run before
#     each timed one), which separates what the protocol work between queries costs the next
#     inference (cold caches) from the adapter's own timing.
#  2. The transport overhead, through the real host: `edgebench bench MODEL --backend
#     onnxruntime?cpu=CORE --threads 1` (the host starts the target as its child, on --host-cpu);
#     the record's target p50 (timings.target_latency_ms.p50), round-trip p50
#     (timings.round_trip_ms.p50) and per-query transport overhead p50
#     (timings.transport_overhead_ms.p50: round trip - target time, query by query).
# Percentiles: nearest rank on the sorted latencies.
#   bash bench/runtime_overhead.sh [--models "FILES"] [--queries N] [--warmup N] [--rounds R]
#                                  [--cpu CORE] [--host-cpu CORE] [--busy-poll-us US] [--seed S]
#                                  [--work DIR]
# Defaults: models/fashion_mnist_cnn_keras.onnx and models/mobilenetv2_keras.onnx, 1000 queries
# and 3 rounds for part 2, 100 warm-up queries, the last core, the target's own busy polling
# (2000 us), seed 0, scratch in out/runtime_overhead.
# The target and the in-process loop run on core CORE; the host (the driver in part 1,
# edgebench in part 2) on --host-cpu (default: the other core), so that it neither shares the
# target's core nor takes its caches between queries (with --host-cpu CORE too, everything shares
# one core, as a one-core board would). EB=PATH picks the edgebench binary (default
# build/release/edgebench, built when missing); EDGEBENCH_PYTHON the Python (default
# .venv/bin/python, as the host). Exit 0 when every measurement completed (whatever the ratio),
# 1 when one failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() {
  echo "usage: bench/runtime_overhead.sh [--models \"FILES\"] [--queries N] [--warmup N]" \
       "[--rounds R] [--cpu CORE] [--host-cpu CORE] [--busy-poll-us US] [--seed S]" \
       "[--work DIR]" >&2
  exit 2
}
models="models/fashion_mnist_cnn_keras.onnx models/mobilenetv2_keras.onnx"
queries=1000
warmup=100
rounds=3
busy_poll=
cpu=$(($(nproc) - 1))
host_cpu=""
seed=0
work="out/runtime_overhead"
while [ $# -gt 0 ]; do
  case "$1" in
    --models|--queries|--warmup|--rounds|--cpu|--host-cpu|--busy-poll-us|--seed|--work)
      [ $# -ge 2 ] || usage ;;&
    --models) models="$2"; shift 2 ;;
    --queries) queries="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --cpu) cpu="$2"; shift 2 ;;
    --host-cpu) host_cpu="$2"; shift 2 ;;
    --busy-poll-us) busy_poll="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) usage ;;
  esac
done
for n in "$queries" "$rounds"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage; done
for n in "$warmup" "$cpu" "$seed"; do [[ "$n" =~ ^[0-9]+$ ]] || usage; done
[ -n "$host_cpu" ] || host_cpu=$(( cpu == 0 ? ($(nproc) > 1 ? 1 : 0) : 0 ))
[[ "$host_cpu" =~ ^[0-9]+$ ]] || usage
[ -z "$busy_poll" ] || [[ "$busy_poll" =~ ^[0-9]+$ ]] || usage
backend="onnxruntime?cpu=$cpu${busy_poll:+&busy-poll-us=$busy_poll}"
py="${EDGEBENCH_PYTHON:-.venv/bin/python}"
[ -x "$py" ] || command -v "$py" > /dev/null ||
  { echo "bench/runtime_overhead.sh: Python $py not found (set EDGEBENCH_PYTHON or make .venv)" >&2; exit 2; }
"$py" -c "import onnxruntime, numpy" 2> /dev/null ||
  { echo "bench/runtime_overhead.sh: $py lacks onnxruntime or numpy" >&2; exit 2; }
for m in $models; do
  [ -f "$m" ] || { echo "bench/runtime_overhead.sh: $m: no such model" >&2; exit 2; }
done
EB="${EB:-build/release/edgebench}"
[ "$EB" != build/release/edgebench ] || [ -x "$EB" ] || bash scripts/setup.sh release
[ -x "$EB" ] || { echo "bench/runtime_overhead.sh: EB=$EB is not an executable" >&2; exit 2; }
mkdir -p "$work"

run_target() {  # MODEL INPUT OUT.json ERR
  taskset -c "$host_cpu" "$EB" bench "$1" --backend "$backend" --threads 1 \
    --warmup "$warmup" \
    --min-queries "$queries" --min-duration 0 --input "$input_name=$2" --no-db --quiet \
    --json "$3" > /dev/null 2> "$4" || [ -s "$3" ]
}

failed=0
rows="$work/rows.tsv"
: > "$rows"
echo "ONNX Runtime, 1 thread, core $cpu (host on core $host_cpu), $queries queries after" \
  "$warmup warm-up per measurement; target busy polling ${busy_poll:-at its default} us"
echo "through edgebench (the host starts the target; whole runs of $queries queries):"
printf '%-30s %5s %12s %12s %14s\n' model round "target p50" "round trip" "transport/q"
for m in $models; do
  name="$(basename "$m" .onnx)"
  dir="$work/$name"
  mkdir -p "$dir"
  # One seeded input in the model's own shape (symbolic dims: 1), uniform [0, 1).
  input_name=$("$py" - "$m" "$dir/input.npy" "$seed" << 'EOF'
import sys
import numpy as np
import onnxruntime as ort
sess = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
(inp,) = sess.get_inputs()
if inp.type != "tensor(float)":
    sys.exit(f"{sys.argv[1]}: input {inp.name} is {inp.type}; this bench feeds float32")
shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
np.save(sys.argv[2], np.random.default_rng(int(sys.argv[3])).random(shape, dtype=np.float32))
print(inp.name)
EOF
  ) || { echo "bench/runtime_overhead.sh: $m: could not make its input" >&2; exit 2; }
  for warm in "" --warm-run; do
    "$py" bench/runtime_overhead.py "$m" "$dir/input.npy" --cpu "$cpu" --host-cpu "$host_cpu" \
      --warmup "$warmup" ${busy_poll:+--busy-poll-us "$busy_poll"} $warm \
      > "$dir/interleaved$warm.json" 2> "$dir/interleaved$warm.err" || {
        failed=1
        head -n 3 "$dir/interleaved$warm.err" | sed 's/^/    runtime_overhead.py: /'
      }
  done
  for ((r = 1; r <= rounds; r++)); do
    t="$dir/target_$r.json"
    rm -f "$t"
    run_target "$m" "$dir/input.npy" "$t" "$dir/target_$r.err" || true
    "$py" - "$t" "$name" "$r" "$rows" << 'EOF' || failed=1
import json, math, sys
tfile, name, rnd, rows = sys.argv[1:]
def read(get):
    try:
        with open(tfile) as f:
            return float(get(json.load(f)["timings"]))
    except Exception:
        return math.nan
target = read(lambda t: t["target_latency_ms"]["p50"])
host = read(lambda t: t["round_trip_ms"]["p50"])
transport = read(lambda t: t["transport_overhead_ms"]["p50"])
show = lambda x, d: f"{x:.{d}f}" if math.isfinite(x) else "failed"
print(f"{name:<30} {rnd:>5} {show(target, 4):>12} {show(host, 4):>12} "
      f"{show(transport * 1000, 1) + ' us':>14}")
with open(rows, "a") as f:
    f.write(f"{name}\t{rnd}\t{target}\t{host}\t{transport}\n")
sys.exit(0 if all(map(math.isfinite, (target, host, transport))) else 1)
EOF
    # Say why it failed (first lines of its messages).
    grep -q '"target_latency_ms"' "$t" 2> /dev/null ||
      head -n 3 "$dir/target_$r.err" | sed 's/^/    edgebench: /'
  done
done
"$py" - "$rows" "$work" << 'EOF'
import json, math, os, statistics, sys
per = {}
for line in open(sys.argv[1]):
    name, rnd, target, host, transport = line.rstrip("\n").split("\t")
    per.setdefault(name, []).append((float(target), float(transport)))
print("\ninterleaved (bench/runtime_overhead.py), 20 blocks x 100 queries a side:")
for name, rs in per.items():
    for warm, what in (("", "as served"), ("--warm-run", "--warm-run")):
        try:
            with open(os.path.join(sys.argv[2], name, f"interleaved{warm}.json")) as f:
                j = json.load(f)
        except (OSError, ValueError):
            print(f"{name} ({what}): failed")
            continue
        verdict = "met" if abs(j["ratio"] - 1) <= 0.03 else "NOT met"
        print(f"{name} ({what}): target p50 {j['target_p50_ms']:.4f} ms, in-process "
              f"{j['inprocess_p50_ms']:.4f} ms, ratio {j['ratio']:.3f} (median block pair "
              f"{j['median_block_ratio']:.3f}; goal within 3%: {verdict}); transport "
              f"{j['transport_overhead_p50_us']:.0f} us per query (Python client)")
    ok = [r for r in rs if all(map(math.isfinite, r))]
    if not ok:
        print(f"{name} through edgebench: no complete round")
        continue
    print(f"{name} through edgebench: target p50 {statistics.median(r[0] for r in ok):.4f} ms, "
          f"transport overhead p50 {statistics.median(r[1] for r in ok) * 1000:.1f} us per "
          "query (round trip - target time; median over the rounds)")
EOF
exit "$failed"
