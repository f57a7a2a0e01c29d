#!/usr/bin/env bash
# The Python library from a fresh virtual environment, as a user installs it:
#  1. `pip install .` at the repository root into a new venv (scikit-build-core compiles the C++
#     core into edgebench._core in build/python-*; the Debian packages of scripts/setup.sh must be
#     there, `bash scripts/setup.sh none` installs them);
#  2. the README's Python example (examples/python_api.py) runs with that venv's Python;
#  3. edgebench.bench(...) against `edgebench bench` on the same model, core and settings:
#     BLOCKS interleaved pairs, taskset to one core; prints each side's p50 per block and the
#     ratio of the medians (goal: within 3%), and checks the record has the CLI's fields.
#   bash bench/python_api.sh [--blocks N] [--core C] [--keep-venv]
# Exit 0 when every step works and the fields agree (the ratio is reported, not asserted).
set -euo pipefail
cd "$(dirname "$0")/.."
blocks=7
core=1
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --blocks) blocks="$2"; shift 2 ;;
    --core) core="$2"; shift 2 ;;
    --keep-venv) keep=1; shift ;;
    *) echo "usage: bench/python_api.sh [--blocks N] [--core C] [--keep-venv]" >&2; exit 2 ;;
  esac
done
work=out/python_api
venv="$work/venv"
[ -x build/release/edgebench ] || bash scripts/setup.sh release edgebench
mkdir -p "$work"
if [ "$keep" = 0 ] || [ ! -x "$venv/bin/python" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  echo "== pip install . (fresh venv $venv)"
  start=$(date +%s)
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check . > "$work/pip.log" 2>&1 ||
    { tail -30 "$work/pip.log"; exit 1; }
  echo "   installed in $(($(date +%s) - start)) s: $("$venv/bin/python" -c \
    'import edgebench, edgebench._core as c; print(edgebench.__file__, c.__file__)')"
fi
py="$venv/bin/python"

echo "== the README example (examples/python_api.py)"
(cd "$work" && ln -sfn ../../models models && "../../$py" ../../examples/python_api.py)

echo "== edgebench.bench vs edgebench bench, core $core, $blocks interleaved blocks"
for model in models/fashion_mnist_cnn.onnx models/mobilenetv2_keras.onnx; do
  taskset -c "$core" "$py" - "$model" "$blocks" << 'PY'
import json, statistics, subprocess, sys, tempfile, pathlib
import edgebench
model, blocks = sys.argv[1], int(sys.argv[2])
settings = dict(threads=1, min_queries=400, min_duration=0)
def keys(d, p=""):
    out = set()
    if isinstance(d, dict):
        for k, v in d.items():
            out |= {p + k} | keys(v, p + k + ".")
    elif isinstance(d, list):
        for v in d:
            out |= keys(v, p.rstrip(".") + "[].")
    return out
py_p50, cli_p50 = [], []
with tempfile.TemporaryDirectory() as tmp:
    out = pathlib.Path(tmp) / "cli.json"
    for b in range(blocks):
        rec = edgebench.bench(model, **settings)
        py_p50.append(rec["timings"]["latency_ms"]["p50"])
        subprocess.run(["build/release/edgebench", "bench", model, "--threads", "1",
                        "--min-queries", "400", "--min-duration", "0", "--no-db", "--quiet",
                        "--json", str(out)], check=True)
        cli = json.loads(out.read_text())
        cli_p50.append(cli["timings"]["latency_ms"]["p50"])
        print(f"   block {b}: library p50 {py_p50[-1]:.4f} ms   cli p50 {cli_p50[-1]:.4f} ms")
    same = keys(rec) == keys(cli)
ratio = statistics.median(py_p50) / statistics.median(cli_p50)
print(f"   {model}: median p50 library {statistics.median(py_p50):.4f} ms, cli "
      f"{statistics.median(cli_p50):.4f} ms, ratio {ratio:.3f} (goal within 3%); "
      f"record fields {'the same' if same else 'DIFFER'}")
sys.exit(0 if same else 1)
PY
done
