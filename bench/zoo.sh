#!/usr/bin/env bash
# The zoo benchmark: edgebench against ONNX Runtime on a broad set of torchvision networks
# (classification, segmentation, detection backbones and heads, variants with weights as Constant
# nodes and with symbolic input dims), float32 and int8 (ONNX Runtime's own quantizer), at 1 and
# 2 threads, both measured in the same run on the same cores, alternating.
#   bash bench/zoo.sh [--quick] [--models "NAMES"] [--threads "1 2"] [--dtypes "float32 int8"]
#                     [--rounds K] [--tsv FILE]
# Per model and thread count: ONNX Runtime p50 ms (the venv's onnxruntime, bench/ort/zoo_ort.py:
# intra-op threads = N, inter-op 1, sequential, graph optimization all), edgebench p50 ms
# (`edgebench bench --threads N`, single stream), ratio edgebench / ONNX Runtime (< 1: edgebench
# is faster), the share of edgebench's profiled time in layout conversions (ToNhwc / ToNchw nodes,
# from `bench --profile-ops`), and output agreement: max|eb - ort| / max|ort| over the outputs of
# `edgebench run` and ONNX Runtime on the same seeded input. Then, per dtype and thread count,
# the geometric mean of the ratios and the worst model.
# Both sides get the same seeded input (uniform [0, 1), seed 1) and run under `taskset`: N threads
# on cores 0..N-1. Each of --rounds rounds (default 2; 1 with --quick) times ONNX Runtime, then
# edgebench; each side's p50 is over its latencies of all rounds pooled (nearest rank).
# --quick: 5 timed runs per side and round after 1 warm-up, instead of at least 30 runs and 1 s
# after 5. --models: manifest names (default: all; int8 runs take the <name>_int8 models of
# those that have one). --tsv: where the rows go (default out/zoo/results.tsv, overwritten).
# Models are made when missing: tools/export_zoo.py (Debian's python3-torch, python3-torchvision,
# python3-onnx) into out/zoo/models, int8 ones by tools/quantize_ort.py (the project's .venv).
# Exit 0 whatever the ratios (it is a measurement); 2 on bad usage.
# EB=PATH picks the edgebench binary (default build/release/edgebench, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
usage() {
  echo "usage: bench/zoo.sh [--quick] [--models \"NAMES\"] [--threads \"1 2\"]" \
       "[--dtypes \"float32 int8\"] [--rounds K] [--tsv FILE]" >&2
  exit 2
}
quick=0
threads="1 2"
dtypes="float32 int8"
wanted=""
rounds=""
tsv="out/zoo/results.tsv"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads|--dtypes|--models|--rounds|--tsv) [ $# -ge 2 ] || usage ;;&
    --threads) threads="$2"; shift 2 ;;
    --dtypes) dtypes="$2"; shift 2 ;;
    --models) wanted="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --tsv) tsv="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    *) usage ;;
  esac
done
cores="$(nproc)"
[ -n "$threads" ] && [ -n "$dtypes" ] || usage
for t in $threads; do
  [[ "$t" =~ ^[1-9][0-9]*$ ]] || usage
  [ "$t" -le "$cores" ] || { echo "bench/zoo.sh: --threads $t: this machine has $cores cores" >&2; exit 2; }
done
for d in $dtypes; do case "$d" in float32|int8) ;; *) usage ;; esac; done
[ -z "$rounds" ] && { [ "$quick" = 1 ] && rounds=1 || rounds=2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || usage

EB="${EB:-build/release/edgebench}"
if [ "$EB" = build/release/edgebench ] && [ ! -x "$EB" ]; then bash scripts/setup.sh release; fi
[ -x "$EB" ] || { echo "bench/zoo.sh: EB=$EB is not an executable" >&2; exit 2; }
PY=.venv/bin/python
[ -x "$PY" ] || bash scripts/setup.sh none
ORT=(bench/ort/zoo_ort.py)

dir=out/zoo/models
work=out/zoo/runs
mkdir -p "$dir" "$work" "$(dirname "$tsv")"

# Models: export what the manifest lacks (export_zoo.py skips the ones up to date).
need_export=0
if [ -z "$wanted" ]; then
  [ -f "$dir/manifest.tsv" ] && [ "$(grep -vc '^#' "$dir/manifest.tsv")" -ge \
    "$(/usr/bin/python3 tools/export_zoo.py --list 2> /dev/null | wc -l)" ] || need_export=1
else
  for m in $wanted; do
    grep -q "^$m	" "$dir/manifest.tsv" 2> /dev/null || need_export=1
  done
fi
if [ "$need_export" = 1 ]; then
  bench_need_packages python3-torch python3-torchvision python3-onnx
  base_names=""
  for m in $wanted; do base_names+=" ${m%_int8}"; done
  # shellcheck disable=SC2086  # a list of names
  /usr/bin/python3 tools/export_zoo.py --out "$dir" ${base_names:+--models $base_names} ||
    echo "bench/zoo.sh: some models did not export; going on with the others" >&2
fi
[ -f "$dir/manifest.tsv" ] || { echo "bench/zoo.sh: no $dir/manifest.tsv" >&2; exit 2; }

# Rows of a manifest for a dtype, restricted to --models.
select_rows() {
  local manifest="$1" name
  while IFS=$'\t' read -r name rest; do
    case "$name" in '#'*|'') continue ;; esac
    if [ -n "$wanted" ]; then
      [[ " $wanted " == *" $name "* || " $wanted " == *" ${name%_int8} "* ]] || continue
    fi
    printf '%s\t%s\n' "$name" "$rest"
  done < "$manifest"
}

if [[ " $dtypes " == *" int8 "* ]] && [ ! -f "$dir/manifest_int8.tsv" ]; then
  "$PY" tools/quantize_ort.py --zoo "$dir" ||
    echo "bench/zoo.sh: some models did not quantize; going on with the others" >&2
fi

if [ "$quick" = 1 ]; then
  ort_runs=(1 5 0)
  eb_runs=(--warmup 1 --min-queries 5 --min-duration 0)
else
  ort_runs=(5 30 1)
  eb_runs=(--warmup 5 --min-queries 30 --min-duration 1)
fi

printf '# dtype\tthreads\tmodel\tort_p50_ms\tedgebench_p50_ms\tratio\tlayout_share\tmax_rel_err\n' > "$tsv"
printf '%-38s %-7s %3s %10s %10s %7s %8s %10s\n' model dtype thr "ORT ms" "eb ms" ratio layout \
  "max rel"
for dtype in $dtypes; do
  manifest="$dir/manifest.tsv"
  [ "$dtype" = int8 ] && manifest="$dir/manifest_int8.tsv"
  [ -f "$manifest" ] || { echo "bench/zoo.sh: no $manifest; $dtype skipped" >&2; continue; }
  rows="$(select_rows "$manifest")"
  [ -n "$rows" ] || { echo "bench/zoo.sh: no $dtype models selected" >&2; continue; }
  for t in $threads; do
    cpus="$(seq -s, 0 $((t - 1)))"
    pin=(taskset -c "$cpus")
    while IFS=$'\t' read -r -u 3 name file _kind _variant _opset input shape symbolic _rest; do
      model="$dir/$file"
      run="$work/$name.t$t"
      rm -rf "$run" && mkdir -p "$run"
      "$PY" "${ORT[@]}" input "$shape" 1 "$run/input.npy"
      shape_flag=()
      [ "$symbolic" != - ] && shape_flag=(--input-shape "$input=$shape")
      ort_ok=1
      eb_ok=1
      for r in $(seq "$rounds"); do
        out_dir=()
        [ "$r" = 1 ] && out_dir=("$run/ort_out")
        "${pin[@]}" "$PY" "${ORT[@]}" time "$model" "$input=$run/input.npy" "$t" \
          "${ort_runs[@]}" "$run/ort_$r.json" "${out_dir[@]}" 2>> "$run/ort.err" || ort_ok=0
        profile=()
        [ "$r" = 1 ] && profile=(--profile-ops)
        # Exit 1 is a run that completed but is flagged invalid (too few queries for the
        # early-stopping estimate with --quick); its latencies are still measured.
        "${pin[@]}" "$EB" bench "$model" --threads "$t" --input "$input=$run/input.npy" \
          "${shape_flag[@]}" "${eb_runs[@]}" "${profile[@]}" --no-db --quiet \
          --json "$run/eb_$r.json" > /dev/null 2>> "$run/eb.err" || true
        grep -q '"p50"' "$run/eb_$r.json" 2> /dev/null || eb_ok=0
      done
      ort_ms=nan eb_ms=nan ratio=nan layout=nan rel=nan
      if [ "$ort_ok" = 1 ]; then
        ort_ms="$("$PY" "${ORT[@]}" p50 "$run"/ort_*.json)"
      fi
      if [ "$eb_ok" = 1 ]; then
        eb_ms="$("$PY" "${ORT[@]}" p50 "$run"/eb_*.json)"
        layout="$("$PY" "${ORT[@]}" layout-share "$run/eb_1.json" 2>> "$run/eb.err" || echo nan)"
      fi
      if [ "$ort_ok" = 1 ] && [ "$eb_ok" = 1 ]; then
        ratio="$(awk -v a="$eb_ms" -v b="$ort_ms" 'BEGIN { printf "%.3f", a / b }')"
      fi
      if [ "$ort_ok" = 1 ] &&
         "${pin[@]}" "$EB" run "$model" --threads "$t" --input "$input=$run/input.npy" \
           --output-dir "$run/eb_out" > /dev/null 2>> "$run/eb.err"; then
        rel="$("$PY" "${ORT[@]}" compare "$run/ort_out" "$run/eb_out" 2>> "$run/eb.err" || echo nan)"
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$dtype" "$t" "$name" "$ort_ms" "$eb_ms" "$ratio" \
        "$layout" "$rel" >> "$tsv"
      show_layout="$layout"
      [ "$layout" != nan ] && show_layout="$(awk -v x="$layout" 'BEGIN { printf "%.1f%%", 100 * x }')"
      printf '%-38s %-7s %3s %10s %10s %7s %8s %10s\n' "$name" "$dtype" "$t" "$ort_ms" "$eb_ms" \
        "$ratio" "$show_layout" "$rel"
      [ "$ort_ok" = 1 ] || head -n 3 "$run/ort.err" | sed 's/^/    ONNX Runtime: /'
      [ "$eb_ok" = 1 ] && [ "$rel" != nan ] || head -n 3 "$run/eb.err" | sed 's/^/    edgebench: /'
    done 3<<< "$rows"
  done
done
echo
"$PY" "${ORT[@]}" summary "$tsv"
echo "rows: $tsv"
exit 0
