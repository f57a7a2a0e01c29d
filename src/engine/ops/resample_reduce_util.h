// Element helpers shared by the resample and reduce ops (Pad, Resize, Upsample, Reduce*,
// ArgMax/ArgMin): float16 as a distinct element type, conversions through double, dispatch over
// every numeric dtype, and reading small integer inputs (axes, pads, sizes). Internal to the
// engine.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {

// A float16 element as a tensor stores it (IEEE binary16 bits). A distinct type, unlike the
// uint16_t that dispatch_dtype hands out, so that templates can tell float16 from uint16.
struct Half {
  std::uint16_t bits;
};
static_assert(sizeof(Half) == 2 && alignof(Half) == 2);

template <typename T>
inline constexpr bool kIsFloatLike = std::is_floating_point_v<T> || std::is_same_v<T, Half>;

template <typename T>
inline double to_double(T value) {
  if constexpr (std::is_same_v<T, Half>) {
    return static_cast<double>(half_to_float(value.bits));
  } else {
    return static_cast<double>(value);
  }
}

// How from_double turns a fractional value into an integer element.
enum class IntRounding {
  kNearest,   // halves away from zero; for interpolation results
  kTruncate,  // toward zero, like NumPy's astype; for reductions computed in double
};

// Converts a double into an element: floating types round to the nearest representable value
// (float16 through float); integers round as asked and saturate, NaN becomes 0; bool is v != 0.
template <typename T>
inline T from_double(double value, IntRounding rounding = IntRounding::kNearest) {
  if constexpr (std::is_same_v<T, Half>) {
    return Half{float_to_half(static_cast<float>(value))};
  } else if constexpr (std::is_same_v<T, bool>) {
    return value != 0.0;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(value);
  } else {
    if (std::isnan(value)) return T(0);
    const double r = rounding == IntRounding::kNearest ? std::round(value) : std::trunc(value);
    // Compare in double: the limits of 64-bit types round up to 2^63 / 2^64 there, which the
    // >= keeps out of the cast.
    if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) {
      return std::numeric_limits<T>::lowest();
    }
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) {
      return std::numeric_limits<T>::max();
    }
    return static_cast<T>(r);
  }
}

// Calls f(static_cast<T*>(nullptr)) with T the element type of a numeric dtype (float16 as
// Half); with kWithBool, bool too. Other dtypes give kUnsupported naming `what`.
template <bool kWithBool = false, typename F>
Status dispatch_numeric(DType dtype, std::string_view what, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(static_cast<float*>(nullptr)); return Status::ok();
    case DType::kFloat64: f(static_cast<double*>(nullptr)); return Status::ok();
    case DType::kFloat16: f(static_cast<Half*>(nullptr)); return Status::ok();
    case DType::kInt8: f(static_cast<std::int8_t*>(nullptr)); return Status::ok();
    case DType::kUInt8: f(static_cast<std::uint8_t*>(nullptr)); return Status::ok();
    case DType::kInt16: f(static_cast<std::int16_t*>(nullptr)); return Status::ok();
    case DType::kUInt16: f(static_cast<std::uint16_t*>(nullptr)); return Status::ok();
    case DType::kInt32: f(static_cast<std::int32_t*>(nullptr)); return Status::ok();
    case DType::kUInt32: f(static_cast<std::uint32_t*>(nullptr)); return Status::ok();
    case DType::kInt64: f(static_cast<std::int64_t*>(nullptr)); return Status::ok();
    case DType::kUInt64: f(static_cast<std::uint64_t*>(nullptr)); return Status::ok();
    case DType::kBool:
      if constexpr (kWithBool) {
        f(static_cast<bool*>(nullptr));
        return Status::ok();
      }
      break;
    case DType::kUndefined: break;
  }
  return unsupported(fmt::format("{} does not support dtype {}", what, dtype_name(dtype)));
}

// Checks that input i is present and has a dtype dispatch_numeric accepts (bool only when
// with_bool); kUnsupported naming the node otherwise.
Status expect_numeric_input(const InferContext& ctx, std::size_t i, bool with_bool = false);

// Reads a 1-D (or 0-D) integer tensor such as axes, pads or sizes; `what` names it in errors.
Result<std::vector<std::int64_t>> read_int_list(const Tensor& tensor, std::string_view what,
                                                std::initializer_list<DType> allowed);

// Normalizes a list of axes into [0, rank), rejecting out-of-range and repeated axes.
Result<std::vector<int>> normalize_axes(std::span<const std::int64_t> axes, int rank,
                                        std::string_view what);

}  // namespace edgebench::engine::ops
