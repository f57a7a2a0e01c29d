#!/usr/bin/env bash
# Remote target across a network namespace pair with 20 ms of added delay (root only):
# edgebench-target runs in one namespace, `edgebench bench --backend tcp://...` in another,
# joined by a veth pair whose target end delays every packet by 20 ms (tc netem). The same
# bench also runs over loopback without delay. Checks:
#   - the target-side p50 is unaffected by the delay (within 25% or 0.2 ms of loopback's);
#   - the round trip p50 grows by the delay (by 18..30 ms over loopback's).
# Usage: bash tests/remote/netns_delay.sh [BUILD_DIR]   (default build/release)
# Exits 0 when both hold, 1 when a check fails, 2 when it cannot run (not root, no tools).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/release}"
eb="$build/edgebench"
target_bin="$build/edgebench-target"
model=models/fashion_mnist_cnn.onnx
if [ "$(id -u)" -ne 0 ]; then
  echo "netns_delay: needs root (ip netns, tc); run it as root" >&2
  exit 2
fi
for tool in ip tc python3; do
  command -v "$tool" > /dev/null || { echo "netns_delay: $tool is missing" >&2; exit 2; }
done
[ -x "$eb" ] && [ -x "$target_bin" ] || { echo "netns_delay: build $eb and $target_bin first" >&2; exit 2; }

tag="eb$$"
host_ns="${tag}h" target_ns="${tag}t"
out="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  ip netns del "$host_ns" 2> /dev/null || true
  ip netns del "$target_ns" 2> /dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

ip netns add "$host_ns"
ip netns add "$target_ns"
ip link add "${tag}a" type veth peer name "${tag}b"
ip link set "${tag}a" netns "$host_ns"
ip link set "${tag}b" netns "$target_ns"
ip -n "$host_ns" addr add 10.231.7.1/24 dev "${tag}a"
ip -n "$target_ns" addr add 10.231.7.2/24 dev "${tag}b"
for ns in "$host_ns" "$target_ns"; do ip -n "$ns" link set lo up; done
ip -n "$host_ns" link set "${tag}a" up
ip -n "$target_ns" link set "${tag}b" up
# Every packet the target sends waits 20 ms: each request/reply exchange takes 20 ms longer.
ip netns exec "$target_ns" tc qdisc add dev "${tag}b" root netem delay 20ms

start_target() {  # NS ADDRESS LOG
  ip netns exec "$1" "$target_bin" --listen "$2" > "$3" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "listening on" "$3" 2> /dev/null && return 0
    sleep 0.05
  done
  echo "netns_delay: edgebench-target did not start in $1" >&2
  exit 2
}
start_target "$target_ns" 10.231.7.2:47878 "$out/target_delay.log"
start_target "$host_ns" 127.0.0.1:47879 "$out/target_loop.log"

bench=(bench "$model" --no-db --quiet --threads 1 --warmup 3 --min-queries 40 --min-duration 0)
ip netns exec "$host_ns" "$eb" "${bench[@]}" --backend tcp://10.231.7.2:47878 \
  --json "$out/delay.json" > /dev/null || true
ip netns exec "$host_ns" "$eb" "${bench[@]}" --backend tcp://127.0.0.1:47879 \
  --json "$out/loop.json" > /dev/null || true

python3 - "$out" << 'PY'
import json, sys
out = sys.argv[1]
t = {k: json.load(open(f"{out}/{k}.json"))["timings"] for k in ("delay", "loop")}
tgt = {k: v["target_latency_ms"]["p50"] for k, v in t.items()}
trip = {k: v["round_trip_ms"]["p50"] for k, v in t.items()}
print(f"netns + netem 20 ms: target p50 {tgt['delay']:.3f} ms, round trip p50 {trip['delay']:.3f} ms")
print(f"loopback:            target p50 {tgt['loop']:.3f} ms, round trip p50 {trip['loop']:.3f} ms")
target_ok = abs(tgt["delay"] - tgt["loop"]) <= max(0.25 * tgt["loop"], 0.2)
growth = trip["delay"] - trip["loop"]
trip_ok = 18 <= growth <= 30
print(f"{'PASS' if target_ok else 'FAIL'}  target-side p50 unaffected by the delay "
      f"({tgt['delay'] - tgt['loop']:+.3f} ms)")
print(f"{'PASS' if trip_ok else 'FAIL'}  round trip grows by the delay ({growth:+.3f} ms, expected 18..30)")
sys.exit(0 if target_ok and trip_ok else 1)
PY
