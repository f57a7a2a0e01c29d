// ConvInteger (opset 10): y = conv(x - x_zero_point, w - w_zero_point) as exact int32.
// x and w are uint8 or int8; x_zero_point is per tensor, w_zero_point per tensor or per output
// channel; both optional (0). Attributes as Conv: auto_pad, dilations, group, kernel_shape,
// pads, strides. Padding holds x_zero_point, so it contributes nothing.
#include <algorithm>

#include "qconv_util.h"
#include "quant_util.h"

namespace edgebench::engine::ops {
namespace {

enum Input : std::size_t { kX = 0, kW, kXZeroPoint, kWZeroPoint, kInputCount };

class ConvIntegerKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<ConvIntegerKernel>();
    EB_ASSIGN_OR_RETURN(kernel->attributes_, parse_conv_attributes(ctx.node.attributes));
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, kInputCount));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(kX, {DType::kUInt8, DType::kInt8}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(kW, {DType::kUInt8, DType::kInt8}));
    auto geometry = conv_geometry(attributes_, ctx.input_shape(kX), ctx.input_shape(kW));
    if (!geometry.is_ok()) return ctx.error(geometry.status().message());
    if (ctx.has_input(kXZeroPoint)) {
      EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, kXZeroPoint, kX));
      EB_RETURN_IF_ERROR(expect_per_tensor(ctx, kXZeroPoint));
    }
    if (ctx.has_input(kWZeroPoint)) {
      EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, kWZeroPoint, kW));
      EB_RETURN_IF_ERROR(expect_per_tensor_or_channels(ctx, kWZeroPoint, geometry->out_channels));
    }
    ctx.set_output(0, DType::kInt32, geometry->output_shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(kX);
    const Tensor& w = ctx.input(kW);
    auto geometry = conv_geometry(attributes_, x.shape(), w.shape());
    if (!geometry.is_ok()) return geometry.status();
    const Tensor* x_zero_point = ctx.has_input(kXZeroPoint) ? &ctx.input(kXZeroPoint) : nullptr;
    const Tensor* w_zero_point = ctx.has_input(kWZeroPoint) ? &ctx.input(kWZeroPoint) : nullptr;
    const std::vector<std::int32_t> x_values =
        centered_int8_values(x, x_zero_point, [](std::int64_t) { return std::int64_t{0}; });
    const bool w_per_channel = w_zero_point && w_zero_point->element_count() > 1;
    const std::int64_t w_per_output = w.element_count() / std::max<std::int64_t>(1, w.dim(0));
    const std::vector<std::int32_t> w_values = centered_int8_values(
        w, w_zero_point,
        [&](std::int64_t i) { return w_per_channel ? i / w_per_output : std::int64_t{0}; });
    Tensor& y = ctx.output(0);
    integer_conv(*geometry, x_values, w_values,
                 std::span<std::int32_t>(y.data<std::int32_t>(),
                                         static_cast<std::size_t>(y.element_count())));
    return Status::ok();
  }

 private:
  ConvAttributes attributes_;
};

}  // namespace

OpDef conv_integer_op() { return {"", "ConvInteger", 10, &make_kernel<ConvIntegerKernel>}; }

}  // namespace edgebench::engine::ops
