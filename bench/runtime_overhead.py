"""Adapter overhead of the Python target, interleaved: ONNX Runtime timed by the target against
ONNX Runtime timed by a plain in-process Python loop, in alternating blocks on the same core.

    .venv/bin/python bench/runtime_overhead.py MODEL INPUT.npy [--cpu CORE] [--host-cpu CORE]
        [--blocks B] [--block-queries N] [--warmup N] [--busy-poll-us US] [--warm-run]

Both sides stay alive for the whole run, pinned to core CORE: the target
(`python -m edgebench.target --runtime onnxruntime --cpu CORE`, driven over loopback by this
script's client on the host core) and a worker process that runs the plain loop (an ONNX Runtime
session with the target's settings: 1 intra-op thread, sequential, graph optimization "all",
CPU provider; the input bound once with IOBinding; each `run_with_iobinding` timed with
`time.perf_counter_ns`). The driver gives each side N queries in turn, B blocks each, the first
side alternating block by block, and sleeps while the worker runs. On these VMs a core's speed
drifts by tens of percent over seconds; blocks a fraction of a second long put both sides under
the same drift, which whole runs one after the other do not.

Prints one JSON line: target p50, in-process p50 (nearest rank over all queries of a side), their
ratio, the median of the per-block-pair ratios, and the transport overhead per query (this
client's round trip minus the target's time, p50). Exit 0 when both sides completed, 2 on bad
usage or when a side fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from edgebench.target.client import Client  # noqa: E402

# The worker: reads "N\n" on stdin, runs N timed queries, writes their nanoseconds as one JSON
# line; an empty line ends it.
WORKER = r"""
import json, sys, time
import numpy as np
import onnxruntime as ort
model, npy, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3])
so = ort.SessionOptions()
so.intra_op_num_threads = 1
so.inter_op_num_threads = 1
so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
so.log_severity_level = 3
sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
binding = sess.io_binding()
binding.bind_cpu_input(sess.get_inputs()[0].name, np.load(npy))
for o in sess.get_outputs():
    binding.bind_output(o.name, "cpu")
run, clock = sess.run_with_iobinding, time.perf_counter_ns
for _ in range(warmup):
    run(binding)
print(json.dumps({"ready": ort.__version__}), flush=True)
for line in sys.stdin:
    if not line.strip():
        break
    ns = []
    for _ in range(int(line)):
        t0 = clock()
        run(binding)
        ns.append(clock() - t0)
    print(json.dumps(ns), flush=True)
"""


def p50(xs):
    s = sorted(xs)
    return s[max(math.ceil(0.5 * len(s)), 1) - 1]


def fail(msg: str) -> int:
    print(f"bench/runtime_overhead.py: {msg}", file=sys.stderr)
    return 2


BLOCK_WARMUP = 10  # untimed queries at the start of each block, on either side


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("input", help=".npy with the model's one float32 input")
    ap.add_argument("--cpu", type=int, default=os.cpu_count() - 1)
    ap.add_argument("--host-cpu", type=int, default=None)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--block-queries", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--busy-poll-us", type=int, default=None,
                    help="the target's busy polling (default: its own default)")
    ap.add_argument("--warm-run", action="store_true",
                    help="start the target with --warm-run (an untimed run before each query)")
    a = ap.parse_args()
    if a.blocks < 1 or a.block_queries < 1 or a.warmup < 0:
        return fail("--blocks and --block-queries must be positive, --warmup not negative")
    host_cpu = a.host_cpu if a.host_cpu is not None else (0 if a.cpu != 0 else 1) % os.cpu_count()
    os.sched_setaffinity(0, {host_cpu})
    py = sys.executable
    x = np.load(a.input)
    model = open(a.model, "rb").read()

    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    cmd = [py, "-m", "edgebench.target", "--listen", "127.0.0.1:0", "--runtime", "onnxruntime",
           "--cpu", str(a.cpu)]
    if a.busy_poll_us is not None:
        cmd += ["--busy-poll-us", str(a.busy_poll_us)]
    if a.warm_run:
        cmd.append("--warm-run")
    target = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env)
    worker = subprocess.Popen(["taskset", "-c", str(a.cpu), py, "-c", WORKER, a.model, a.input,
                               str(a.warmup)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        line = target.stdout.readline()
        if "listening on" not in line:
            return fail(f"the target did not start: {line.strip()} {target.stderr.read()[:500]}")
        port = int(line.rsplit(":", 1)[1])
        ready = worker.stdout.readline()
        if not ready:
            return fail("the in-process worker did not start")
        ort_version = json.loads(ready)["ready"]
        with Client("127.0.0.1", port, timeout=120) as c:
            c.hello()
            c.model(model)
            spec = c.io_spec(threads=1)
            name = spec["inputs"][0]["name"]
            for _ in range(a.warmup):
                c.infer([(name, x)])
            target_ms, trip_ms, inproc_ms, pair_ratios = [], [], [], []

            # The target spins for the next message this long after its last reply (its
            # default when --busy-poll-us is not given); the driver waits it out before the
            # worker's block so that the two never share the core.
            spin_s = (2000 if a.busy_poll_us is None else a.busy_poll_us) / 1e6 + 0.001

            def target_block():
                for _ in range(BLOCK_WARMUP):
                    c.infer([(name, x)])
                ms = []
                for _ in range(a.block_queries):
                    t0 = time.perf_counter_ns()
                    _, t = c.infer([(name, x)])
                    trip_ms.append((time.perf_counter_ns() - t0) / 1e6 - t)
                    ms.append(t)
                target_ms.extend(ms)
                time.sleep(spin_s)
                return p50(ms)

            def inproc_block():
                worker.stdin.write(f"{BLOCK_WARMUP + a.block_queries}\n")
                worker.stdin.flush()
                ms = [n / 1e6 for n in json.loads(worker.stdout.readline())[BLOCK_WARMUP:]]
                inproc_ms.extend(ms)
                return p50(ms)

            for b in range(a.blocks):
                if b % 2 == 0:
                    t, i = target_block(), inproc_block()
                else:
                    i, t = inproc_block(), target_block()
                pair_ratios.append(t / i)
            runtime = spec.get("runtime", {})
    finally:
        if worker.poll() is None:
            worker.stdin.write("\n")
            worker.stdin.flush()
            worker.wait(timeout=30)
        target.terminate()
        target.wait(timeout=30)
    tp, ip = p50(target_ms), p50(inproc_ms)
    print(json.dumps({
        "model": os.path.basename(a.model), "onnxruntime": ort_version, "core": a.cpu,
        "host_core": host_cpu, "blocks": a.blocks, "block_queries": a.block_queries,
        "target_busy_poll_us": a.busy_poll_us, "warm_run": a.warm_run,
        "precision": runtime.get("precision"),
        "target_p50_ms": tp, "inprocess_p50_ms": ip, "ratio": tp / ip,
        "median_block_ratio": statistics.median(pair_ratios),
        "transport_overhead_p50_us": p50(trip_ms) * 1000}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
