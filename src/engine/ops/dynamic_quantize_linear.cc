// DynamicQuantizeLinear (opset 11): quantizes float32 x to uint8 with a scale and zero point
// computed from x's range, which is first widened to include 0:
//   y_scale = (max - min) / 255, y_zero_point = saturate(round(0 - min / y_scale)),
//   y = saturate(round(x / y_scale) + y_zero_point), rounding half to even.
// Everything is computed in float32, as the ONNX reference does.
#include <algorithm>

#include "quant_util.h"

namespace edgebench::engine::ops {
namespace {

class DynamicQuantizeLinearKernel final : public OpKernel {
 public:
  explicit DynamicQuantizeLinearKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    ctx.set_output(0, DType::kUInt8, ctx.input_shape(0));
    ctx.set_output(1, DType::kFloat32, {});
    ctx.set_output(2, DType::kUInt8, {});
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    constexpr float kQMin = 0.0f;
    constexpr float kQMax = 255.0f;
    const Tensor& x = ctx.input(0);
    const float* in = x.data<float>();
    float low = 0.0f;
    float high = 0.0f;
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      low = std::min(low, in[i]);
      high = std::max(high, in[i]);
    }
    // A constant-zero input would give a zero scale; the ONNX reference (and ONNX Runtime) use
    // a range of 1 then, so that the scale stays finite.
    const float scale = (high == low ? 1.0f : high - low) / (kQMax - kQMin);
    const float initial_zero_point = kQMin - low / scale;
    const std::uint8_t zero_point = quantize_value<std::uint8_t>(initial_zero_point, 0);

    std::uint8_t* out = ctx.output(0).data<std::uint8_t>();
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      out[i] = quantize_value<std::uint8_t>(in[i] / scale, zero_point);
    }
    if (ctx.has_output(1)) *ctx.output(1).data<float>() = scale;
    if (ctx.has_output(2)) *ctx.output(2).data<std::uint8_t>() = zero_point;
    return Status::ok();
  }
};

}  // namespace

OpDef dynamic_quantize_linear_op() {
  return {"", "DynamicQuantizeLinear", 11, &make_kernel<DynamicQuantizeLinearKernel>};
}

}  // namespace edgebench::engine::ops
