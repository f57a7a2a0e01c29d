// QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point).
// Opset 10: per-tensor scale and zero point. Opset 13: adds `axis` and 1-D (per-axis) scale and
// zero point. Output is uint8 or int8 (the zero point's dtype; uint8 when it is absent).
#include "quant_util.h"

namespace edgebench::engine::ops {
namespace {

constexpr int kOnnxUInt8 = 2;
constexpr int kOnnxInt8 = 3;

class QuantizeLinearKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<QuantizeLinearKernel>();
    const ir::Attributes& attrs = ctx.node.attributes;
    if (ctx.opset >= 13) {
      EB_ASSIGN_OR_RETURN(const std::int64_t axis, attrs.get_int("axis", 1));
      kernel->axis_ = axis;
    }
    // Opset 21 adds blocked quantization and an explicit output type.
    EB_ASSIGN_OR_RETURN(const std::int64_t block_size, attrs.get_int("block_size", 0));
    if (block_size != 0) {
      return unsupported(
          fmt::format("attribute 'block_size' = {} (blocked quantization) is "
                      "not supported",
                      block_size));
    }
    EB_ASSIGN_OR_RETURN(const std::int64_t output_dtype, attrs.get_int("output_dtype", 0));
    if (output_dtype == kOnnxUInt8) {
      kernel->output_dtype_ = DType::kUInt8;
    } else if (output_dtype == kOnnxInt8) {
      kernel->output_dtype_ = DType::kInt8;
    } else if (output_dtype != 0) {
      return unsupported(
          fmt::format("attribute 'output_dtype' = {} is not supported; only "
                      "uint8 (2) and int8 (3)",
                      output_dtype));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 3));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kInt32, DType::kFloat16}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kFloat32, DType::kFloat16}));
    DType out = output_dtype_.value_or(DType::kUInt8);
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(2, {DType::kUInt8, DType::kInt8}));
      if (output_dtype_ && *output_dtype_ != ctx.input_dtype(2)) {
        return ctx.error(fmt::format("zero point has dtype {} but 'output_dtype' asks for {}",
                                     dtype_name(ctx.input_dtype(2)), dtype_name(*output_dtype_)));
      }
      out = ctx.input_dtype(2);
    }
    EB_RETURN_IF_ERROR(axis_param_layout(ctx, 1, 2, ctx.input_shape(0), axis_).status());
    ctx.set_output(0, out, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zero_point = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Tensor& y = ctx.output(0);
    const AxisParamLayout layout = axis_param_layout_for_run(scale.shape(), x.shape(), axis_);
    // x / scale: float inputs divide in float, as the ONNX reference does; int32 inputs divide
    // in double, where every int32 is exact.
    auto scaled = [&](std::int64_t i, std::int64_t p) -> double {
      const double s = scale.element_as_double(p);
      if (x.dtype() == DType::kInt32) return static_cast<double>(x.data<std::int32_t>()[i]) / s;
      return static_cast<double>(static_cast<float>(x.element_as_double(i)) /
                                 static_cast<float>(s));
    };
    auto quantize = [&](auto* tag) {
      using Q = std::remove_pointer_t<decltype(tag)>;
      Q* out = y.data<Q>();
      for (std::int64_t i = 0; i < x.element_count(); ++i) {
        const std::int64_t p = layout.index(i);
        out[i] = quantize_value<Q>(scaled(i, p), zero_point_at(zero_point, p));
      }
    };
    if (y.dtype() == DType::kInt8) {
      quantize(static_cast<std::int8_t*>(nullptr));
    } else {
      quantize(static_cast<std::uint8_t*>(nullptr));
    }
    return Status::ok();
  }

 private:
  std::optional<std::int64_t> axis_;  // unset before opset 13: per-tensor only
  std::optional<DType> output_dtype_;
};

}  // namespace

OpDef quantize_linear_op() {
  return {"", "QuantizeLinear", 10, &make_kernel<QuantizeLinearKernel>};
}

}  // namespace edgebench::engine::ops
