#!/usr/bin/env bash
# Harness overhead: `edgebench bench --backend null` does no work per query, so its latencies
# are the harness's own cost (two clock reads, one virtual call, one store). Prints the median
# per query in microseconds; the goal is under 2 us.
#   bash bench/harness_overhead.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-2}"
[ -x build/release/edgebench ] || bash scripts/setup.sh release
out="$(mktemp -d)"
build/release/edgebench generate dense --neurons 16 --layers 1 -o "$out/m.onnx" > /dev/null
for scenario in single-stream multi-stream offline; do
  build/release/edgebench bench "$out/m.onnx" --backend null --scenario "$scenario" \
    --min-duration "$seconds" --no-db --quiet --json "$out/$scenario.json" > /dev/null
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const l = r.timings.latency_ms;
    const us = (ms) => (ms * 1000).toFixed(3);
    console.log(`${r.scenario.name.padEnd(14)} null backend: ${l.count} queries, ` +
                `p50 ${us(l.p50)} us, mean ${us(l.mean)} us, p99 ${us(l.p99)} us per query ` +
                `(goal: median < 2 us: ${l.p50 * 1000 < 2 ? "met" : "NOT met"})`);' "$out/$scenario.json"
done
rm -rf "$out"
