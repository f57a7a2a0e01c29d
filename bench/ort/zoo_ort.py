#!/usr/bin/env python3
"""ONNX Runtime side of bench/zoo.sh (the project's venv: onnxruntime 1.31, numpy).

    zoo_ort.py input SHAPE SEED OUT.npy
        writes a seeded float32 input uniform in [0, 1) of SHAPE (NxCxHxW)
    zoo_ort.py time MODEL NAME=IN.npy THREADS WARMUP REPEAT MIN_SECONDS OUT.json [OUT_DIR]
        times session.run (intra-op THREADS, inter-op 1, sequential, graph optimization all):
        WARMUP runs, then at least REPEAT runs and MIN_SECONDS; writes {"latencies_ms": [...],
        "p50": ...}; with OUT_DIR, writes the first run's outputs as <name>.npy there
        (characters outside [A-Za-z0-9._-] become _, as `edgebench run --output-dir` does)
    zoo_ort.py compare REF_DIR TEST_DIR
        prints the largest relative error max|test - ref| / max|ref| over the .npy files of
        REF_DIR (each must exist in TEST_DIR with the same shape); exit 1 when one is missing or
        differs in shape
    zoo_ort.py p50 FILE.json...
        prints the nearest-rank p50 of the latencies of all files pooled (ONNX Runtime's
        "latencies_ms" or edgebench's result records, whose "latencies_ms" has the same name)
    zoo_ort.py layout-share EB.json
        prints the share of profiled time in ToNhwc / ToNchw nodes (the layout conversions the
        engine's lowering inserts), from an `edgebench bench --profile-ops --json` record
    zoo_ort.py summary TSV
        per dtype and thread count: geometric mean of the ratios and the worst model

Percentiles are nearest-rank on the sorted latencies, as everywhere in edgebench.
Exit codes: 0 success, 1 a check failed, 2 bad usage or unreadable input.
"""

import json
import math
import os
import re
import sys
import time

LAYOUT_OPS = ("ToNhwc", "ToNchw")


class UsageError(Exception):
    pass


def nearest_rank(values, q):
    if not values:
        raise UsageError("no latencies")
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def parse_shape(text):
    try:
        dims = [int(d) for d in text.split("x")]
    except ValueError:
        dims = []
    if not dims or any(d < 1 for d in dims):
        raise UsageError(f"bad shape '{text}' (expected positive dims like 1x3x224x224)")
    return dims


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: {e}") from e


def cmd_input(shape, seed, out):
    import numpy as np
    rng = np.random.default_rng(int(seed))
    np.save(out, rng.random(parse_shape(shape), dtype=np.float32))


def cmd_time(model, assignment, threads, warmup, repeat, min_seconds, out_json, out_dir=None):
    import numpy as np
    import onnxruntime as ort
    name, sep, path = assignment.partition("=")
    if not sep or not name or not path:
        raise UsageError(f"expected NAME=FILE.npy, got '{assignment}'")
    feed = {name: np.load(path, allow_pickle=False)}
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise UsageError(f"{model}: ONNX Runtime cannot load it: {e}") from e
    output_names = [o.name for o in session.get_outputs()]
    outputs = session.run(output_names, feed)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        for o, value in zip(output_names, outputs):
            np.save(os.path.join(out_dir, re.sub(r"[^A-Za-z0-9._-]", "_", o) + ".npy"), value)
    for _ in range(int(warmup)):
        session.run(output_names, feed)
    latencies = []
    start = time.perf_counter()
    while len(latencies) < int(repeat) or time.perf_counter() - start < float(min_seconds):
        t0 = time.perf_counter_ns()
        session.run(output_names, feed)
        latencies.append((time.perf_counter_ns() - t0) / 1e6)
    with open(out_json, "w") as f:
        json.dump({"runtime": "onnxruntime", "version": ort.__version__, "model": model,
                   "threads": int(threads), "latencies_ms": latencies,
                   "p50": nearest_rank(latencies, 0.5)}, f)


def cmd_compare(ref_dir, test_dir):
    import numpy as np
    worst = 0.0
    names = sorted(f for f in os.listdir(ref_dir) if f.endswith(".npy"))
    if not names:
        raise UsageError(f"{ref_dir}: no .npy outputs")
    for f in names:
        ref = np.load(os.path.join(ref_dir, f), allow_pickle=False).astype(np.float64)
        test_path = os.path.join(test_dir, f)
        if not os.path.exists(test_path):
            print(f"missing output {f} in {test_dir}", file=sys.stderr)
            return 1
        test = np.load(test_path, allow_pickle=False).astype(np.float64)
        if test.shape != ref.shape:
            print(f"{f}: shape {test.shape}, expected {ref.shape}", file=sys.stderr)
            return 1
        scale = np.max(np.abs(ref)) if ref.size else 0.0
        diff = np.max(np.abs(test - ref)) if ref.size else 0.0
        rel = diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)
        if not np.all(np.isfinite(test)):
            rel = math.inf
        worst = max(worst, rel)
    print(f"{worst:.3e}")
    return 0


def cmd_p50(paths):
    latencies = []
    for p in paths:
        values = load_json(p).get("latencies_ms")
        if not isinstance(values, list) or not values:
            raise UsageError(f"{p}: no latencies_ms list")
        latencies += [float(v) for v in values]
    print(f"{nearest_rank(latencies, 0.5):.4f}")


def cmd_layout_share(path):
    profile = load_json(path).get("profile")
    if not isinstance(profile, dict) or not isinstance(profile.get("by_op_type"), list):
        raise UsageError(f"{path}: no profile.by_op_type (run bench with --profile-ops)")
    entries = profile["by_op_type"]
    total = sum(float(e.get("total_ms", 0)) for e in entries)
    layout = sum(float(e.get("total_ms", 0)) for e in entries if e.get("op_type") in LAYOUT_OPS)
    print(f"{layout / total:.4f}" if total > 0 else "nan")


def cmd_summary(tsv):
    groups = {}
    with open(tsv) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            dtype, threads, model, _, _, ratio = line.rstrip("\n").split("\t")[:6]
            groups.setdefault((dtype, threads), []).append((model, float(ratio)))
    for (dtype, threads), rows in groups.items():
        ok = [(m, r) for m, r in rows if math.isfinite(r) and r > 0]
        failed = [m for m, r in rows if not (math.isfinite(r) and r > 0)]
        label = f"{dtype} {threads} thread{'' if threads == '1' else 's'}"
        if not ok:
            print(f"{label}: no model measured on both sides")
            continue
        geomean = math.exp(sum(math.log(r) for _, r in ok) / len(ok))
        worst = max(ok, key=lambda mr: mr[1])
        line = (f"{label}: geomean edgebench/ORT {geomean:.2f} over {len(ok)} models, "
                f"worst {worst[0]} {worst[1]:.2f}")
        if failed:
            line += f"; failed (not in the mean): {', '.join(failed)}"
        print(line)


def main(argv):
    commands = {"input": (cmd_input, 3, 3), "time": (cmd_time, 7, 8),
                "compare": (cmd_compare, 2, 2), "p50": (cmd_p50, 1, None),
                "layout-share": (cmd_layout_share, 1, 1), "summary": (cmd_summary, 1, 1)}
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    fn, least, most = commands[argv[0]]
    args = argv[1:]
    if len(args) < least or (most is not None and len(args) > most):
        print(f"zoo_ort.py {argv[0]}: wrong number of arguments (see --help)", file=sys.stderr)
        return 2
    try:
        if argv[0] == "p50":
            return fn(args) or 0
        return fn(*args) or 0
    except UsageError as e:
        print(f"zoo_ort.py {argv[0]}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
