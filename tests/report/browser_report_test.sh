#!/usr/bin/env bash
# Opens an edgebench HTML report in headless Chromium (Debian's `chromium`): the page must load
# without script or console errors, and every plot (<figure class="eb-plot">) must have rendered
# an SVG with a non-empty box and text (the page's own check writes #eb-render-ok into the DOM).
# Saves a screenshot of the page as an artifact.
#
#   bash tests/report/browser_report_test.sh EDGEBENCH_BINARY ARTIFACT_DIR
# The store is built by real commands: a conv sweep, an experiment with the Fashion-MNIST
# reference model (quality: accuracy, confusion matrix) in two variants on two backends, and the
# same model on two runtimes (native and onnxruntime, from the project's .venv).
set -euo pipefail
EB="$1"
ARTIFACTS="$2"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$CHROMIUM" ] || { echo "FAIL: chromium is not installed (scripts/setup.sh installs it)"; exit 1; }
mkdir -p "$ARTIFACTS"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/results.db"
QUICK=(--min-queries 64 --min-duration 0 --warmup 2)

"$EB" sweep conv --filters 8:32:8 --layers 3 --input 24 "${QUICK[@]}" --db "$DB" > "$WORK/sweep.txt"
cat > "$WORK/experiment.json" << JSON
{
  "name": "browser-test",
  "models": [
    {"name": "fashion_mnist_cnn", "path": "$SRC/models/fashion_mnist_cnn.onnx",
     "dataset": "fashion-mnist:/usr/share/datasets/fashion-mnist:test"}
  ],
  "variants": {"float": "", "fp16": "--quantize fp16"},
  "backends": ["native", "native-ref"],
  "bench": {"warmup": 2, "min_queries": 64, "min_duration": 0},
  "quality": {"limit": 300}
}
JSON
"$EB" run-experiment "$WORK/experiment.json" --db "$DB" > "$WORK/experiment.txt"
# One model on two runtimes (edgebench's engine and ONNX Runtime through the Python target), for
# the "Runtimes" section.
cat > "$WORK/runtimes.json" << JSON
{
  "name": "browser-test-runtimes",
  "models": [
    {"name": "fashion_mnist_cnn", "path": "$SRC/models/fashion_mnist_cnn.onnx",
     "dataset": "fashion-mnist:/usr/share/datasets/fashion-mnist:test"}
  ],
  "backends": ["native", "onnxruntime"],
  "bench": {"warmup": 2, "min_queries": 64, "min_duration": 0},
  "quality": {"limit": 300}
}
JSON
"$EB" run-experiment "$WORK/runtimes.json" --db "$DB" > "$WORK/runtimes.txt"
"$EB" report --db "$DB" --html "$WORK/report.html" --title "edgebench report (browser test)" \
  > /dev/null

# The figures the page must hold (the test fails if a section went missing).
for kind in latency-vs-macs memory-vs-macs comparison-bars runtime-bars runtime-quality-bars \
  accuracy-vs-latency confusion-matrix latency-histogram latency-over-time; do
  grep -q "data-plot=\"$kind\"" "$WORK/report.html" || { echo "FAIL: no $kind plot in the page"; exit 1; }
done
grep -q '<section id="runtimes"><h2>Runtimes</h2>' "$WORK/report.html" || {
  echo "FAIL: no Runtimes section"; exit 1; }
grep -q '<td>onnxruntime</td>' "$WORK/report.html" || { echo "FAIL: no onnxruntime row"; exit 1; }

FLAGS=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --disable-quic --user-data-dir="$WORK/profile"
  --enable-logging=stderr --v=0)
timeout 120 "$CHROMIUM" "${FLAGS[@]}" --virtual-time-budget=5000 --dump-dom \
  "file://$WORK/report.html" > "$WORK/dom.html" 2> "$WORK/chromium.log" || {
  echo "FAIL: chromium --dump-dom failed"; tail -20 "$WORK/chromium.log"; exit 1; }
if grep -E "Uncaught|CONSOLE\(.*(error|Error)" "$WORK/chromium.log"; then
  echo "FAIL: script errors while loading the page"
  exit 1
fi
marker="$(grep -o '<div id="eb-render-[a-z]*"[^>]*>' "$WORK/dom.html" || true)"
echo "page marker: $marker"
case "$marker" in
  *'id="eb-render-ok"'*) ;;
  *) echo "FAIL: the page did not report every plot rendered"; exit 1 ;;
esac
plots="$(sed -n 's/.*data-plots="\([0-9]*\)".*/\1/p' <<< "$marker")"
expected="$(sed -n 's/.*data-expected="\([0-9]*\)".*/\1/p' <<< "$marker")"
[ "$plots" = "$expected" ] && [ "$plots" -ge 9 ] || {
  echo "FAIL: $plots of $expected plots rendered"; exit 1; }

timeout 120 "$CHROMIUM" "${FLAGS[@]}" --hide-scrollbars --window-size=1400,5200 \
  --screenshot="$ARTIFACTS/report.png" "file://$WORK/report.html" 2>> "$WORK/chromium.log" \
  > /dev/null || { echo "FAIL: chromium --screenshot failed"; exit 1; }
[ -s "$ARTIFACTS/report.png" ] || { echo "FAIL: no screenshot"; exit 1; }
cp "$WORK/report.html" "$ARTIFACTS/report.html"
echo "PASS: $plots plots rendered; screenshot $ARTIFACTS/report.png, page $ARTIFACTS/report.html"
