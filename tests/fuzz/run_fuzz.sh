#!/usr/bin/env bash
# Builds a fuzzer (clang, libFuzzer + ASan/UBSan) and runs it for SECONDS (default 60):
#   bash tests/fuzz/run_fuzz.sh [SECONDS] [TARGET]
# TARGET is onnx_import_fuzz (default; seeds: small models from Debian's ONNX backend test
# data), remote_frame_fuzz (seeds: protocol frames written by make_remote_seeds.py) or
# tflite_reader_fuzz (seeds: the .tflite fixtures in tests/tflite/ and models/), or one of the
# data-file readers, seeded from tests/fuzz/seeds/ (tests/fuzz/make_data_seeds.py):
# npy_reader_fuzz, npz_reader_fuzz, image_reader_fuzz (PNG and JPEG), device_json_fuzz (seeds:
# devices/*.json) and experiment_json_fuzz (seeds: also examples/*.json).
# Exits non-zero when the fuzzer finds a crash, leak, sanitizer report or broken invariant;
# the reproducer is left in build/fuzz/TARGET_work/artifacts/.
set -euo pipefail

seconds="${1:-60}"
target="${2:-onnx_import_fuzz}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
testdata=/usr/share/libonnx-testdata/data
cd "$root"

cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target "$target"

work="build/fuzz/${target}_work"
mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

if [[ "$target" == remote_frame_fuzz ]]; then
  /usr/bin/python3 tests/fuzz/make_remote_seeds.py "$work/seeds"
  ./build/fuzz/remote_frame_fuzz -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$work/seeds"
  exit 0
fi
if [[ "$target" == tflite_reader_fuzz ]]; then
  cp tests/tflite/*.tflite models/fashion_mnist_cnn_keras_int8.tflite \
    models/fashion_mnist_cnn_keras_dynamic.tflite "$work/seeds/"
  ./build/fuzz/tflite_reader_fuzz -max_total_time="$seconds" -rss_limit_mb=2048 \
    -max_len=262144 -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$work/seeds"
  exit 0
fi
data_seeds=""
max_len=65536
case "$target" in
  npy_reader_fuzz) data_seeds="tests/fuzz/seeds/npy" ;;
  npz_reader_fuzz) data_seeds="tests/fuzz/seeds/npz" ;;
  image_reader_fuzz) data_seeds="tests/fuzz/seeds/image" ;;
  device_json_fuzz) cp devices/*.json "$work/seeds/"; max_len=16384 ;;
  experiment_json_fuzz)
    data_seeds="tests/fuzz/seeds/experiment"
    cp examples/*.json "$work/seeds/"
    max_len=16384
    ;;
  onnx_import_fuzz) ;;
  *)
    echo "unknown fuzz target '$target' (onnx_import_fuzz, remote_frame_fuzz, tflite_reader_fuzz," \
      "npy_reader_fuzz, npz_reader_fuzz, image_reader_fuzz, device_json_fuzz," \
      "experiment_json_fuzz)" >&2
    exit 2
    ;;
esac
if [[ "$target" != onnx_import_fuzz ]]; then
  if [[ -n "$data_seeds" ]]; then cp "$data_seeds"/* "$work/seeds/"; fi
  "./build/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$work/seeds"
  exit 0
fi
# Small models covering initializers, Constant tensors, every attribute kind we import,
# several dtypes, optional inputs and a few refusals (strings, subgraphs, old opsets).
for t in node/test_relu node/test_add_bcast node/test_constant node/test_conv_with_strides_padding \
         node/test_gemm_all_attributes node/test_cast_FLOAT_to_FLOAT16 node/test_clip_default_inbounds \
         node/test_reshape_negative_dim node/test_slice_default_axes node/test_resize_upsample_scales_linear \
         node/test_layer_normalization_2d_axis0 node/test_qlinearmatmul_2D node/test_if \
         node/test_strnormalizer_export_monday_casesensintive_lower node/test_constantofshape_int_zeros \
         node/test_batchnorm_epsilon node/test_maxpool_2d_pads node/test_split_variable_parts_1d \
         node/test_adagrad pytorch-converted/test_MaxPool2d_stride_padding_dilation \
         simple/test_sign_model simple/test_shrink; do
  if [[ -f "$testdata/$t/model.onnx" ]]; then
    cp "$testdata/$t/model.onnx" "$work/seeds/$(basename "$t").onnx"
  fi
done
if [[ -z "$(ls -A "$work/seeds")" ]]; then
  echo "no seed models found under $testdata" >&2
  exit 2
fi

# New inputs go to corpus/ (kept between runs); seeds/ is read only.
./build/fuzz/onnx_import_fuzz -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
  "$work/corpus" "$work/seeds"
