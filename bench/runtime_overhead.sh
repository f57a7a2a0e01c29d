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
#     (timings.transport_overhead_ms.p50: round trip - target time, query by query), next to a
#     whole-process in-process run, alternating rounds.
# Percentiles: nearest rank on the sorted latencies.
#   bash bench/runtime_overhead.sh [--models "FILES"] [--queries N] [--warmup N] [--rounds R]
#                                  [--cpu CORE] [--host-cpu CORE] [--busy-poll-us US] [--seed S]
#                                  [--work DIR]
# Defaults: models/fashion_mnist_cnn_keras.onnx and models/mobilenetv2_keras.onnx, 1000 queries
# and 3 rounds for part 2, 100 warm-up queries, the last core, the target's own busy polling
# (2000 us), seed 0, scratch in out/runtime_overhead.
# Both measured sides run on core CORE: the in-process loop under `taskset -c CORE`, the target
# pinned by `--backend onnxruntime?cpu=CORE`. The host runs on --host-cpu (default: the other
# core), so that it neither shares the target's core nor takes its caches between queries
# (with --host-cpu CORE too, everything shares one core, as a one-core board would). EB=PATH picks the edgebench binary (default
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

# The in-process loop: MODEL INPUT.npy QUERIES WARMUP -> JSON with p50_ms, mean_ms, count.
inprocess='
import json, math, sys, time
import numpy as np
import onnxruntime as ort
model, npy, queries, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
so = ort.SessionOptions()
so.intra_op_num_threads = 1
so.inter_op_num_threads = 1
so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
so.log_severity_level = 3
sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
x = np.load(npy)
binding = sess.io_binding()
binding.bind_cpu_input(sess.get_inputs()[0].name, x)
for o in sess.get_outputs():
    binding.bind_output(o.name, "cpu")
for _ in range(warmup):
    sess.run_with_iobinding(binding)
ns = []
clock = time.perf_counter_ns
run = sess.run_with_iobinding
for _ in range(queries):
    t0 = clock()
    run(binding)
    ns.append(clock() - t0)
ns.sort()
p50 = ns[max(math.ceil(0.5 * len(ns)), 1) - 1]
print(json.dumps({"p50_ms": p50 / 1e6, "mean_ms": sum(ns) / len(ns) / 1e6, "count": len(ns),
                  "onnxruntime": ort.__version__}))
'

run_target() {  # MODEL INPUT OUT.json ERR
  taskset -c "$host_cpu" "$EB" bench "$1" --backend "$backend" --threads 1 \
    --warmup "$warmup" \
    --min-queries "$queries" --min-duration 0 --input "$input_name=$2" --no-db --quiet \
    --json "$3" > /dev/null 2> "$4" || [ -s "$3" ]
}
run_inprocess() {  # MODEL INPUT OUT.json ERR
  taskset -c "$cpu" "$py" -c "$inprocess" "$1" "$2" "$queries" "$warmup" > "$3" 2> "$4"
}

failed=0
rows="$work/rows.tsv"
: > "$rows"
echo "ONNX Runtime, 1 thread, core $cpu (host on core $host_cpu), $queries queries after" \
  "$warmup warm-up per measurement; target busy polling ${busy_poll:-at its default} us"
printf '%-30s %5s %12s %12s %8s %12s %14s\n' model round "target p50" "in-proc p50" ratio \
  "round trip" "transport/q"
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
    p="$dir/inprocess_$r.json"
    rm -f "$t" "$p"
    if ((r % 2 == 1)); then
      run_target "$m" "$dir/input.npy" "$t" "$dir/target_$r.err" || true
      run_inprocess "$m" "$dir/input.npy" "$p" "$dir/inprocess_$r.err" || true
    else
      run_inprocess "$m" "$dir/input.npy" "$p" "$dir/inprocess_$r.err" || true
      run_target "$m" "$dir/input.npy" "$t" "$dir/target_$r.err" || true
    fi
    "$py" - "$t" "$p" "$name" "$r" "$rows" << 'EOF' || failed=1
import json, math, sys
tfile, pfile, name, rnd, rows = sys.argv[1:]
def read(path, get):
    try:
        with open(path) as f:
            return float(get(json.load(f)))
    except Exception:
        return math.nan
target = read(tfile, lambda j: j["timings"]["target_latency_ms"]["p50"])
host = read(tfile, lambda j: j["timings"]["round_trip_ms"]["p50"])
transport = read(tfile, lambda j: j["timings"]["transport_overhead_ms"]["p50"])
inproc = read(pfile, lambda j: j["p50_ms"])
ratio = target / inproc
show = lambda x, d: f"{x:.{d}f}" if math.isfinite(x) else "failed"
print(f"{name:<30} {rnd:>5} {show(target, 4):>12} {show(inproc, 4):>12} {show(ratio, 3):>8} "
      f"{show(host, 4):>12} {show(transport * 1000, 1) + ' us':>14}")
with open(rows, "a") as f:
    f.write(f"{name}\t{rnd}\t{target}\t{inproc}\t{ratio}\t{host}\t{transport}\n")
sys.exit(0 if all(map(math.isfinite, (target, host, transport, inproc))) else 1)
EOF
    # Say why a side failed (first lines of its messages).
    grep -q '"target_latency_ms"' "$t" 2> /dev/null ||
      head -n 3 "$dir/target_$r.err" | sed 's/^/    edgebench: /'
    [ -s "$p" ] || head -n 3 "$dir/inprocess_$r.err" | sed 's/^/    in-process: /'
  done
done
"$py" - "$rows" "$work" << 'EOF'
import json, math, os, statistics, sys
per = {}
for line in open(sys.argv[1]):
    name, rnd, target, inproc, ratio, host, transport = line.rstrip("\n").split("\t")
    per.setdefault(name, []).append((float(ratio), float(transport), float(target)))
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
    transport = statistics.median(r[1] for r in ok)
    print(f"{name} through edgebench (whole runs, alternating): median ratio "
          f"{statistics.median(r[0] for r in ok):.3f}, transport overhead p50 "
          f"{transport * 1000:.1f} us per query (round trip - target time)")
EOF
exit "$failed"
