// Helpers shared by the tensor family of ops (tensor_ops.cc): reading shape-like inputs,
// axis lists and dtype-agnostic strided copies on raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "op_util.h"
#include "parallel_util.h"

// A nested namespace keeps these names apart from other families' helpers.
namespace edgebench::engine::ops::tensor_family {

// Every dtype the engine knows: data-movement ops accept them all.
inline constexpr std::initializer_list<DType> kAllDTypes = {
    DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8,  DType::kUInt8,  DType::kInt16,
    DType::kUInt16,  DType::kInt32,   DType::kUInt32,  DType::kInt64, DType::kUInt64, DType::kBool};

// The value of input i as int64s, for shape-like inputs (shape, starts, axes, repeats...):
// it must be known before run time (see InferContext::require_value), int32 or int64, and of
// rank 0 or 1. `what` names the input in errors.
Result<std::vector<std::int64_t>> require_int_list(InferContext& ctx, std::size_t i,
                                                   std::string_view what);

// The same checks for a value that is already at hand (an attribute or a run-time input).
Status check_int_list(const Tensor& t, std::string_view what);

// Checks that a dtype/shape pair has a representable size within the tensor limit, then sets
// output i; errors name the node.
Status set_checked_output(InferContext& ctx, std::size_t i, DType dtype, Shape shape);

// Maps possibly negative axes into [0, rank), rejecting out-of-range and repeated axes.
Result<std::vector<int>> normalize_axes(std::span<const std::int64_t> axes, int rank);

// Product of shape[begin, end) (the shape is known to be valid).
std::int64_t dims_product(std::span<const std::int64_t> shape, std::size_t begin, std::size_t end);

// a * b for non-negative sizes, failing instead of overflowing int64.
Result<std::int64_t> checked_mul(std::int64_t a, std::int64_t b);

// Copies element_count(out_shape) elements of `elem_size` bytes into the contiguous `dst`.
// Output element (i_0, ..., i_{n-1}) is read from src element
// `src_offset + sum_k i_k * src_strides[k]`; strides are in elements and may be zero
// (broadcast) or negative (reversed). The caller guarantees every read is in bounds. Rows along
// the last axis are spread over `pool` (null: one thread).
void copy_strided(const std::byte* src, std::int64_t src_offset,
                  std::span<const std::int64_t> src_strides, std::byte* dst,
                  std::span<const std::int64_t> out_shape, std::size_t elem_size,
                  ThreadPool* pool = nullptr);

// Writes n copies of one element of `elem_size` bytes.
// One contiguous copy of `bytes` bytes.
struct CopyPiece {
  std::byte* dst;
  const std::byte* src;
  std::size_t bytes;
};

// Does every copy; the bytes of all pieces together are split into ranges over `pool` (null:
// one thread), so that one large piece is shared as well as many small ones. Pieces must not
// overlap each other's destinations.
void copy_pieces(std::span<const CopyPiece> pieces, ThreadPool* pool);

void fill_elements(std::byte* dst, std::int64_t n, const std::byte* value, std::size_t elem_size);

// Whether element i is non-zero (false for +0.0 and -0.0, true for NaN).
bool element_is_nonzero(const Tensor& t, std::int64_t i);

// DType of an ONNX TensorProto.DataType code (attributes such as EyeLike's `dtype`); nullopt
// for codes the engine has no dtype for.
using edgebench::dtype_from_onnx_code;

// Calls f(static_cast<S*>(nullptr), static_cast<C*>(nullptr)) for the numeric dtypes, where S is
// the storage type and C the type to compute in: float for float16 (stored as uint16 bits), S
// itself otherwise. Returns unsupported for bool and unknown dtypes.
template <typename F>
Status dispatch_numeric(DType dtype, std::string_view what, F&& f) {
  if (dtype == DType::kFloat16) {
    f(static_cast<std::uint16_t*>(nullptr), static_cast<float*>(nullptr));
    return Status::ok();
  }
  return dispatch_types<float, double, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t,
                        std::int32_t, std::uint32_t, std::int64_t, std::uint64_t>(
      dtype, what, [&](auto* tag) { f(tag, tag); });
}

// Conversions between storage S and compute type C as chosen by dispatch_numeric.
template <typename S, typename C>
C load_value(S stored) {
  if constexpr (std::is_same_v<S, std::uint16_t> && std::is_same_v<C, float>) {
    return half_to_float(stored);
  } else {
    return stored;
  }
}

template <typename S, typename C>
S store_value(C value) {
  if constexpr (std::is_same_v<S, std::uint16_t> && std::is_same_v<C, float>) {
    return float_to_half(value);
  } else {
    return value;
  }
}

// How ScatterElements / ScatterND combine an update with the existing element.
enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

// Parses the `reduction` attribute (opset 16 adds add/mul, 18 max/min).
Result<ScatterReduction> parse_scatter_reduction(const KernelCreateContext& ctx);

// Writes `count` consecutive update elements onto `target` with the reduction; both point to
// elements of `dtype`. The dtype must support the reduction (checked by
// check_scatter_reduction).
void scatter_elements(ScatterReduction reduction, DType dtype, std::byte* target,
                      const std::byte* updates, std::int64_t count);
Status check_scatter_reduction(InferContext& ctx, ScatterReduction reduction, DType dtype);

}  // namespace edgebench::engine::ops::tensor_family
