// Shared pieces of the linear-quantization ops (linear_quant family): ONNX rounding, saturation,
// requantization and the shapes scales and zero points may take. Internal to the engine.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/core/quantize.h"
#include "op_util.h"

namespace edgebench::engine::ops {

// ONNX's rounding (half to even) and saturation have one home, shared with the quantized inputs
// of TFLite models.
using edgebench::quantize_value;
using edgebench::round_half_even;
using edgebench::saturate_to;

// A scale or zero point that applies to a whole tensor or to each slice along one axis.
// `index(i)` maps a flat element index of the quantized tensor to the parameter's index.
struct AxisParamLayout {
  bool per_axis = false;
  std::int64_t axis_size = 1;
  std::int64_t inner = 1;  // elements per step along the axis

  std::int64_t index(std::int64_t i) const { return per_axis ? (i / inner) % axis_size : 0; }
};

// True for a scalar or a one-element 1-D tensor: both mean per-tensor quantization.
inline bool is_per_tensor_shape(const Shape& shape) {
  return shape.empty() || (shape.size() == 1 && shape[0] == 1);
}

// Checks the shape of a scale (input `scale_input`) and optional zero point against the
// quantized tensor's shape. `axis` is the node's axis attribute, or nullopt before opset 13
// where only per-tensor parameters exist. Errors name the node and the input.
Result<AxisParamLayout> axis_param_layout(const InferContext& ctx, std::size_t scale_input,
                                          std::size_t zero_point_input, const Shape& data_shape,
                                          std::optional<std::int64_t> axis);

// The layout for run(): the same rule, already validated by axis_param_layout at infer time.
AxisParamLayout axis_param_layout_for_run(const Shape& scale_shape, const Shape& data_shape,
                                          std::optional<std::int64_t> axis);

// Checks that input `i` is a scalar or a one-element 1-D tensor.
Status expect_per_tensor(const InferContext& ctx, std::size_t i);

// Checks that input `i` is per tensor or a 1-D tensor of `channels` elements (per output channel).
Status expect_per_tensor_or_channels(const InferContext& ctx, std::size_t i, std::int64_t channels);

// Checks that zero-point input `zp` has the dtype of the data input `data` it belongs to.
Status expect_zero_point_dtype(const InferContext& ctx, std::size_t zp, std::size_t data);

// Zero point value, 0 when the optional input is absent.
inline std::int64_t zero_point_at(const Tensor* zero_point, std::int64_t i) {
  return zero_point == nullptr ? 0 : zero_point->element_as_int64(i);
}

// Reads an int8 or uint8 tensor and subtracts a per-element zero point: out[i] = t[i] - zp(i).
// `zero_point_index(i)` gives the zero point's element for t's element i; zp may be null.
template <typename IndexF>
std::vector<std::int32_t> centered_int8_values(const Tensor& t, const Tensor* zero_point,
                                               IndexF&& zero_point_index) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(t.element_count()));
  auto fill = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* data = t.data<T>();
    for (std::int64_t i = 0; i < t.element_count(); ++i) {
      const std::int64_t zp = zero_point_at(zero_point, zero_point_index(i));
      out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(data[i] - zp);
    }
  };
  if (t.dtype() == DType::kInt8) {
    fill(static_cast<std::int8_t*>(nullptr));
  } else {
    fill(static_cast<std::uint8_t*>(nullptr));
  }
  return out;
}

}  // namespace edgebench::engine::ops
