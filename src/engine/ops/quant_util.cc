#include "quant_util.h"

namespace edgebench::engine::ops {

Result<AxisParamLayout> axis_param_layout(const InferContext& ctx, std::size_t scale_input,
                                          std::size_t zero_point_input, const Shape& data_shape,
                                          std::optional<std::int64_t> axis) {
  const Shape& scale_shape = ctx.input_shape(scale_input);
  const std::string& scale_name = ctx.node().inputs[scale_input];
  const bool has_zero_point = ctx.has_input(zero_point_input);
  if (is_per_tensor_shape(scale_shape)) {
    if (has_zero_point && !is_per_tensor_shape(ctx.input_shape(zero_point_input))) {
      return ctx.error(fmt::format("zero point '{}' has shape {} but scale '{}' is per-tensor",
                                   ctx.node().inputs[zero_point_input],
                                   shape_to_string(ctx.input_shape(zero_point_input)), scale_name));
    }
    return AxisParamLayout{};
  }
  if (!axis) {
    return ctx.error(
        fmt::format("scale '{}' has shape {}; before opset 13 scale and zero point must be scalars",
                    scale_name, shape_to_string(scale_shape)));
  }
  if (scale_shape.size() != 1) {
    return ctx.error(fmt::format("scale '{}' has shape {}; expected a scalar or a 1-D tensor",
                                 scale_name, shape_to_string(scale_shape)));
  }
  auto normalized = normalize_axis(*axis, static_cast<int>(data_shape.size()));
  if (!normalized.is_ok() || data_shape.empty()) {
    return ctx.error(fmt::format("attribute 'axis' = {} is out of range for input rank {}", *axis,
                                 data_shape.size()));
  }
  const auto a = static_cast<std::size_t>(*normalized);
  if (scale_shape[0] != data_shape[a]) {
    return ctx.error(
        fmt::format("scale '{}' has {} elements but the input has {} along axis {} (shape {})",
                    scale_name, scale_shape[0], data_shape[a], *axis, shape_to_string(data_shape)));
  }
  if (has_zero_point && ctx.input_shape(zero_point_input) != scale_shape) {
    return ctx.error(fmt::format("zero point '{}' has shape {}; expected the scale's shape {}",
                                 ctx.node().inputs[zero_point_input],
                                 shape_to_string(ctx.input_shape(zero_point_input)),
                                 shape_to_string(scale_shape)));
  }
  return axis_param_layout_for_run(scale_shape, data_shape, axis);
}

AxisParamLayout axis_param_layout_for_run(const Shape& scale_shape, const Shape& data_shape,
                                          std::optional<std::int64_t> axis) {
  AxisParamLayout layout;
  if (is_per_tensor_shape(scale_shape) || !axis || data_shape.empty()) return layout;
  const int rank = static_cast<int>(data_shape.size());
  const auto a = static_cast<std::size_t>(*axis < 0 ? *axis + rank : *axis);
  layout.per_axis = true;
  layout.axis_size = data_shape[a];
  for (std::size_t d = a + 1; d < data_shape.size(); ++d) layout.inner *= data_shape[d];
  return layout;
}

Status expect_per_tensor(const InferContext& ctx, std::size_t i) {
  if (is_per_tensor_shape(ctx.input_shape(i))) return Status::ok();
  return ctx.error(fmt::format("input {} ('{}') has shape {}; expected a scalar", i,
                               ctx.node().inputs[i], shape_to_string(ctx.input_shape(i))));
}

Status expect_per_tensor_or_channels(const InferContext& ctx, std::size_t i,
                                     std::int64_t channels) {
  const Shape& shape = ctx.input_shape(i);
  if (is_per_tensor_shape(shape) || (shape.size() == 1 && shape[0] == channels)) {
    return Status::ok();
  }
  return ctx.error(fmt::format(
      "input {} ('{}') has shape {}; expected a scalar or {} values (one per output channel)", i,
      ctx.node().inputs[i], shape_to_string(shape), channels));
}

Status expect_zero_point_dtype(const InferContext& ctx, std::size_t zp, std::size_t data) {
  if (ctx.input_dtype(zp) == ctx.input_dtype(data)) return Status::ok();
  return ctx.error(fmt::format("zero point '{}' has dtype {}; expected {} like input '{}'",
                               ctx.node().inputs[zp], dtype_name(ctx.input_dtype(zp)),
                               dtype_name(ctx.input_dtype(data)), ctx.node().inputs[data]));
}

}  // namespace edgebench::engine::ops
