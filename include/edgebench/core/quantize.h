// Linear quantization of values and tensors: real = scale * (q - zero_point).
//
// One home for the rounding rule every quantizing step uses (ONNX's QuantizeLinear, TFLite's
// quantized model inputs): round half to even, then saturate to the integer type's range.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"

namespace edgebench {

// Rounds to the nearest integer with ties to even. Written out rather than std::nearbyint so
// that it does not depend on the thread's rounding mode.
inline double round_half_even(double v) {
  const double lower = std::floor(v);
  // Exact whenever it is near 0.5 (v and floor(v) are then within a factor of 2 of each other),
  // which is all the comparisons below need.
  const double fraction = v - lower;
  if (fraction > 0.5) return lower + 1.0;
  if (fraction < 0.5) return lower;
  return std::fmod(lower, 2.0) == 0.0 ? lower : lower + 1.0;
}

// Clamps an already rounded value into Q's range. NaN has no quantized value; we write 0 so that
// the output is at least deterministic.
template <typename Q>
Q saturate_to(double v) {
  constexpr double kLow = static_cast<double>(std::numeric_limits<Q>::lowest());
  constexpr double kHigh = static_cast<double>(std::numeric_limits<Q>::max());
  if (std::isnan(v)) return Q{0};
  if (v <= kLow) return std::numeric_limits<Q>::lowest();
  if (v >= kHigh) return std::numeric_limits<Q>::max();
  return static_cast<Q>(v);
}

// saturate(round(value) + zero_point), `value` already divided by the scale.
template <typename Q>
Q quantize_value(double value, std::int64_t zero_point) {
  return saturate_to<Q>(round_half_even(value) + static_cast<double>(zero_point));
}

// Quantizes a floating-point tensor (float32, float64 or float16) to `dtype` (int8, uint8,
// int16, uint16, int32) with per-tensor or per-axis parameters; the result carries `params`.
// Errors: a non-float input, a non-integer dtype, parameters that do not fit the shape, a scale
// that is not positive and finite.
Result<Tensor> quantize_tensor(const Tensor& real, DType dtype, const QuantParams& params);

// The real values of an integer tensor as float32.
Result<Tensor> dequantize_tensor(const Tensor& quantized, const QuantParams& params);

}  // namespace edgebench

namespace edgebench {

// Makes a sample tensor fit a model input of `dtype` and `shape` (`quant`: the input's
// quantization when it takes quantized integers, as TFLite's full-integer models do):
//  1. layout: the same shape is kept; a rank-4 sample [N,C,H,W] for an input [N,H,W,C] becomes
//     NHWC (a reshape when C is 1, else a transpose), so NCHW data feeds NHWC models;
//  2. values: a floating-point sample for an integer input with `quant` is quantized
//     (round half to even, saturate); otherwise the dtypes must be equal.
// Errors say what the sample holds and what the input expects.
Result<Tensor> fit_to_input(const Tensor& sample, DType dtype, const Shape& shape,
                            const std::optional<QuantParams>& quant);

}  // namespace edgebench
