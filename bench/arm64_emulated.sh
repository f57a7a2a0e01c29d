#!/usr/bin/env bash
# The arm64 build under emulation: edgebench-target and edgebench cross-built for AArch64
# (`bash scripts/setup.sh arm64`, preset arm64) run under qemu-aarch64-static on this x86 host,
# and the x86 edgebench drives the target through tcp://, as it would drive a board. The target
# runs from the bundle (scripts/arm64_bundle.sh) on a root that holds only what a stock arm64
# Debian has of its needs (C library, C++ runtime, zlib): the bundle must bring the rest.
#   bash bench/arm64_emulated.sh [--skip-conformance] [--work DIR]
# Checks, each printed with its figure:
#  1. run: the outputs of the arm64 target (native backend: XNNPACK's Arm kernels) against the
#     x86 native-ref outputs, same seeded inputs, max|arm - ref| / max|ref| <= 1e-5, for the
#     reference Fashion-MNIST CNN, the MobileNetV2-class Keras model, and int8 versions of both
#     (`edgebench optimize --quantize int8`, calibrated on random:0); the x86 native figure is
#     printed beside it. A second emulated target running the reference kernels
#     (--backend native-ref) is held to x86 native-ref on the int8 models too;
#  2. eval: accuracy on 200 Fashion-MNIST test images equal on both;
#  3. the C++ target tests (hostile clients, limits, timeouts: test_remote TargetTest.*) against
#     the emulated target (EDGEBENCH_TARGET_COMMAND);
#  4. the ONNX node conformance grid run by the arm64 edgebench: every test that passes on x86
#     (tests/conformance/expected_pass.txt) passes;
#  5. reported only: a bench through tcp:// whose record names the target aarch64 and emulated,
#     and is marked invalid for it (latency under emulation says nothing about a board).
# Exit 0 when every check holds, 1 when one fails, 2 on bad usage or a missing build.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() {
  echo "usage: bench/arm64_emulated.sh [--skip-conformance] [--work DIR]" >&2
  exit 2
}
conformance=1
work="out/arm64_emulated"
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-conformance) conformance=0; shift ;;
    --work) [ $# -ge 2 ] || usage; work="$2"; shift 2 ;;
    *) usage ;;
  esac
done
sysroot="build/arm64-sysroot"
# Both builds brought up to date (a stale arm64 binary would test old code), or made.
if [ -f build/arm64/build.ninja ]; then
  cmake --build --preset arm64 --target edgebench edgebench-target > /dev/null
else
  bash scripts/setup.sh arm64
fi
if [ -f build/release/build.ninja ]; then
  cmake --build --preset release --target edgebench test_remote > /dev/null
else
  bash scripts/setup.sh release
fi
for f in build/arm64/edgebench-target build/arm64/edgebench build/release/edgebench; do
  [ -x "$f" ] || { echo "bench/arm64_emulated.sh: $f was not built" >&2; exit 2; }
done
py=.venv/bin/python
[ -x "$py" ] || { echo "bench/arm64_emulated.sh: no .venv (bash scripts/setup.sh)" >&2; exit 2; }
emu=(qemu-aarch64-static -L "$sysroot")
EB=build/release/edgebench
rm -rf "$work"
mkdir -p "$work"
failed=0
check() {  # NAME OK(0/1) TEXT
  if [ "$2" -eq 0 ]; then echo "  ok      $1: $3"; else echo "  FAILED  $1: $3"; failed=1; fi
}

echo "arm64 build: $(file -b build/arm64/edgebench-target | cut -d, -f1-2)"
# The bundle, unpacked on a stock root.
bash scripts/arm64_bundle.sh "$work/edgebench-arm64.tar.gz" | sed 's/^/  /'
tar -C "$work" -xzf "$work/edgebench-arm64.tar.gz"
bundle="$work/edgebench-arm64"
stock="$work/stock-root"
mkdir -p "$stock"
for deb in "$sysroot".debs/{libc6,libstdc++6,libgcc-s1,zlib1g}_*_arm64.deb; do
  dpkg-deb -x "$deb" "$stock"
done
# start_target LOG [ARGS...]: the bundled target under emulation, in the background (its PID
# joins `pids`, which the exit trap stops); listening_port LOG: the port it listens on, or its
# log and a failure.
pids=()
trap 'kill "${pids[@]}" 2> /dev/null || true' EXIT
start_target() {
  local log="$1"
  shift
  "${emu[0]}" -L "$stock" -E LD_LIBRARY_PATH="$bundle/lib" "$bundle/bin/edgebench-target" \
    --listen 127.0.0.1:0 "$@" > "$log" 2>&1 &
  pids+=($!)
}
listening_port() {
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$1")
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  { echo "the emulated target did not start:"; cat "$1"; } >&2
  return 1
}
start_target "$work/target.log"
# The same bundle serving the reference kernels.
start_target "$work/target_ref.log" --backend native-ref
port=$(listening_port "$work/target.log") || exit 1
ref_port=$(listening_port "$work/target_ref.log") || exit 1
remote="tcp://127.0.0.1:$port"
echo "emulated target: $(head -n1 "$work/target.log")"

# 1. run: outputs against x86 native-ref.
cnn=models/fashion_mnist_cnn.onnx
mnv2=models/mobilenetv2_keras.onnx
for m in "$cnn" "$mnv2"; do
  name=$(basename "$m" .onnx)
  $EB optimize "$m" -o "$work/${name}_int8.onnx" --quantize int8 --calibration random:0 \
    --calibration-limit 16 > "$work/${name}_int8.log"
done
# rel_err REF_DIR OTHER_DIR: max|other - ref| / max|ref| over the .npy outputs in REF_DIR.
rel_err() {
  "$py" - "$1" "$2" << 'EOF'
import pathlib, sys
import numpy as np
ref, other = map(pathlib.Path, sys.argv[1:])
w = 0.0
for f in sorted(ref.glob("*.npy")):
    a, b = np.load(f).astype(np.float64), np.load(other / f.name).astype(np.float64)
    w = max(w, float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-30)))
print(f"{w:.3g}")
EOF
}
within() { "$py" -c "print(0 if float('$1') <= 1e-5 else 1)"; }  # 0 when ERR <= 1e-5
echo "run (seed 1): max|arm64 - x86 native-ref| / max|x86 native-ref| over the outputs"
for m in "$cnn" "$mnv2" "$work/fashion_mnist_cnn_int8.onnx" "$work/mobilenetv2_keras_int8.onnx"; do
  name=$(basename "$m" .onnx)
  $EB run "$m" --backend native-ref --random-seed 1 --output-dir "$work/$name.ref" > /dev/null
  $EB run "$m" --backend native --random-seed 1 --output-dir "$work/$name.x86" > /dev/null
  $EB run "$m" --backend "$remote" --random-seed 1 --output-dir "$work/$name.arm" > /dev/null
  ref_err=$(rel_err "$work/$name.ref" "$work/$name.arm")
  x86_err=$(rel_err "$work/$name.x86" "$work/$name.arm")
  check "run $name" "$(within "$ref_err")" \
    "$ref_err against x86 native-ref (bound 1e-5); $x86_err against x86 native"
  if [[ "$name" == *_int8 ]]; then
    $EB run "$m" --backend "tcp://127.0.0.1:$ref_port" --random-seed 1 \
      --output-dir "$work/$name.armref" > /dev/null
    rr=$(rel_err "$work/$name.ref" "$work/$name.armref")
    check "run $name (reference kernels)" "$(within "$rr")" \
      "arm64 native-ref $rr against x86 native-ref"
  fi
done

# 2. eval on Fashion-MNIST.
data=/usr/share/datasets/fashion-mnist
if [ -d "$data" ]; then
  for where in native-ref "$remote"; do
    tag=$([ "$where" = native-ref ] && echo x86 || echo arm64)
    $EB eval "$cnn" --dataset "fashion-mnist:$data:test" --limit 200 --backend "$where" --no-db \
      --quiet --json "$work/eval_$tag.json" > /dev/null 2>&1 || true
  done
  acc=$("$py" - "$work/eval_x86.json" "$work/eval_arm64.json" << 'EOF'
import json, sys
def accuracy(path):
    try:
        q = json.load(open(path))["quality"]
        return q.get("accuracy", q.get("top1"))
    except Exception:
        return None
print(*[accuracy(p) for p in sys.argv[1:]])
EOF
  )
  read -r x86 arm <<< "$acc"
  [ "$x86" != None ] && [ "$x86" = "$arm" ] && ok=0 || ok=1
  check "eval fashion_mnist_cnn" "$ok" "accuracy x86 native-ref $x86, arm64 $arm (200 test images)"
else
  check "eval fashion_mnist_cnn" 1 "no Fashion-MNIST at $data"
fi

# 3. The C++ target tests against the emulated target.
export EDGEBENCH_TARGET_COMMAND="${emu[*]} build/arm64/edgebench-target"
if build/release/test_remote --gtest_filter='TargetTest.*' > "$work/target_tests.log" 2>&1; then
  ok=0
else
  ok=1
fi
check "target tests (hostile clients, limits)" "$ok" \
  "$(grep -E '^\[  (PASSED|FAILED)' "$work/target_tests.log" | tr '\n' ' ')"
unset EDGEBENCH_TARGET_COMMAND

# 4. Conformance by the arm64 edgebench.
if [ "$conformance" -eq 1 ]; then
  d=/usr/share/libonnx-testdata/data
  start=$(date +%s)
  if "${emu[@]}" build/arm64/edgebench conformance "$d/node" "$d/pytorch-converted" \
      "$d/pytorch-operator" "$d/simple" --quiet --expect tests/conformance/expected_pass.txt \
      --json "$work/conformance.json" > "$work/conformance.log" 2>&1; then
    ok=0
  else
    ok=1
  fi
  check "conformance (arm64 edgebench)" "$ok" \
    "$(grep -E '^conformance:' "$work/conformance.log" | head -n1), $(( $(date +%s) - start )) s"
fi

# 5. Reported only: a bench through tcp://, and what its record says of the target.
$EB bench "$cnn" --backend "$remote" --min-queries 50 --min-duration 0 --no-db --quiet \
  --json "$work/bench.json" > /dev/null 2>&1 || true
"$py" - "$work/bench.json" << 'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit(f"  bench through tcp:// wrote no record: {e}")
t = r["backend"].get("target", {})
print(f"  bench through tcp://: target arch {t.get('arch')}, emulated {t.get('emulated')}, "
      f"p50 {r['timings']['latency_ms']['p50']:.3f} ms under emulation, record valid "
      f"{r['valid']} ({'; '.join(r.get('invalid_reasons', []))})")
EOF
exit "$failed"
