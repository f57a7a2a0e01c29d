// DequantizeLinear: y = (x - x_zero_point) * x_scale.
// Opset 10: per-tensor scale and zero point. Opset 13: adds `axis` and 1-D (per-axis) scale and
// zero point. x is int8, uint8 or int32 (int32 has no zero point, or a zero one). y has the
// scale's dtype (float32; float16 scales came with opset 19 and cost nothing here).
#include "quant_util.h"

namespace edgebench::engine::ops {
namespace {

class DequantizeLinearKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<DequantizeLinearKernel>();
    const ir::Attributes& attrs = ctx.node.attributes;
    if (ctx.opset >= 13) {
      EB_ASSIGN_OR_RETURN(const std::int64_t axis, attrs.get_int("axis", 1));
      kernel->axis_ = axis;
    }
    EB_ASSIGN_OR_RETURN(const std::int64_t block_size, attrs.get_int("block_size", 0));
    if (block_size != 0) {
      return unsupported(
          fmt::format("attribute 'block_size' = {} (blocked quantization) is "
                      "not supported",
                      block_size));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 3));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kUInt8, DType::kInt8, DType::kInt32}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kFloat32, DType::kFloat16}));
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, 2, 0));
      if (ctx.input_dtype(2) == DType::kInt32) {
        // Known zero points are checked now; the spec has no meaning for a non-zero one.
        if (const Tensor* zp = ctx.input_value(2)) {
          for (std::int64_t i = 0; i < zp->element_count(); ++i) {
            if (zp->element_as_int64(i) != 0) {
              return ctx.error("an int32 input must have a zero point of 0");
            }
          }
        }
      }
    }
    EB_RETURN_IF_ERROR(axis_param_layout(ctx, 1, 2, ctx.input_shape(0), axis_).status());
    ctx.set_output(0, ctx.input_dtype(1), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zero_point = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Tensor& y = ctx.output(0);
    const AxisParamLayout layout = axis_param_layout_for_run(scale.shape(), x.shape(), axis_);
    // The difference is exact in int64; the product is taken in float like the ONNX reference.
    auto value = [&](std::int64_t i) {
      const std::int64_t p = layout.index(i);
      const std::int64_t centered = x.element_as_int64(i) - zero_point_at(zero_point, p);
      return static_cast<float>(centered) * static_cast<float>(scale.element_as_double(p));
    };
    if (y.dtype() == DType::kFloat16) {
      std::uint16_t* out = y.data<std::uint16_t>();
      for (std::int64_t i = 0; i < x.element_count(); ++i) out[i] = float_to_half(value(i));
    } else {
      float* out = y.data<float>();
      for (std::int64_t i = 0; i < x.element_count(); ++i) out[i] = value(i);
    }
    return Status::ok();
  }

 private:
  std::optional<std::int64_t> axis_;  // unset before opset 13: per-tensor only
};

}  // namespace

OpDef dequantize_linear_op() {
  return {"", "DequantizeLinear", 10, &make_kernel<DequantizeLinearKernel>};
}

}  // namespace edgebench::engine::ops
