#include "xnn_util.h"

#include <fmt/format.h>

#include <limits>
#include <mutex>

#include "engine/ops/op_util.h"

namespace edgebench::kernels {

Status ensure_xnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  return xnn_check(status, "initialize XNNPACK");
}

Status xnn_check(xnn_status status, std::string_view what) {
  switch (status) {
    case xnn_status_success: return Status::ok();
    case xnn_status_invalid_parameter:
      return invalid_argument(fmt::format("XNNPACK: {}: invalid parameter", what));
    case xnn_status_unsupported_parameter:
      return unsupported(fmt::format("XNNPACK: {}: unsupported parameter", what));
    case xnn_status_unsupported_hardware:
      return unsupported(fmt::format("XNNPACK: {}: unsupported on this CPU", what));
    case xnn_status_out_of_memory:
      return out_of_range(fmt::format("XNNPACK: {}: out of memory", what));
    default:
      return internal_error(fmt::format("XNNPACK: {}: status {}", what, static_cast<int>(status)));
  }
}

Result<std::vector<std::int64_t>> required_ints(const ir::Node& node, std::string_view name,
                                                std::size_t count) {
  auto values = node.attributes.get_ints(name, {});
  if (!values.is_ok() || values.value().size() != count) {
    return internal_error(
        fmt::format("{}: lowered node needs {} values in '{}'", node.describe(), count, name));
  }
  return values;
}

float float_attr(const ir::Node& node, std::string_view name, float fallback) {
  return node.attributes.get_float(name, fallback).value_or(fallback);
}

Clamp clamp_of(const ir::Node& node) {
  return {float_attr(node, "activation_min", -std::numeric_limits<float>::infinity()),
          float_attr(node, "activation_max", std::numeric_limits<float>::infinity())};
}

Status infer_broadcast(engine::InferContext& ctx, DType dtype) {
  EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
  EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {dtype}));
  EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {dtype}));
  if (ctx.input_rank(0) > XNN_MAX_TENSOR_DIMS || ctx.input_rank(1) > XNN_MAX_TENSOR_DIMS) {
    return ctx.unsupported_error("more dimensions than the fast kernel takes");
  }
  auto shape = engine::ops::broadcast_shapes(ctx.input_shape(0), ctx.input_shape(1));
  if (!shape.is_ok()) return ctx.error(shape.status().message());
  ctx.set_output(0, dtype, shape.value());
  return Status::ok();
}

BroadcastDims broadcast_dims(const engine::PrepareContext& ctx) {
  BroadcastDims dims;
  for (int i = 0; i < 2; ++i) {
    const Shape& s = ctx.input_types[i]->shape;
    dims[i].assign(s.begin(), s.end());
    if (dims[i].empty()) dims[i].push_back(1);
  }
  return dims;
}

TwoInputQuant TwoInputQuant::from(const ir::Node& node) {
  auto i = [&](std::string_view name, std::int64_t fallback) {
    return node.attributes.get_int(name, fallback).value_or(fallback);
  };
  TwoInputQuant q;
  q.a_scale = float_attr(node, "a_scale", 1);
  q.b_scale = float_attr(node, "b_scale", 1);
  q.y_scale = float_attr(node, "y_scale", 1);
  q.a_zero_point = i("a_zero_point", 0);
  q.b_zero_point = i("b_zero_point", 0);
  q.y_zero_point = i("y_zero_point", 0);
  q.out_min = i("out_min", -128);
  q.out_max = i("out_max", 127);
  return q;
}

Result<ConstantWeights> constant_weights(const engine::PrepareContext& ctx) {
  ConstantWeights c;
  c.weights = ctx.input_values.size() > 1 ? ctx.input_values[1] : nullptr;
  const bool has_bias = ctx.input_types.size() > 2 && ctx.input_types[2] != nullptr;
  c.bias = has_bias ? ctx.input_values[2] : nullptr;
  if (c.weights == nullptr || (has_bias && c.bias == nullptr)) {
    return internal_error(
        fmt::format("{}: the fast kernel needs constant weights and bias", ctx.node.describe()));
  }
  return c;
}

}  // namespace edgebench::kernels
