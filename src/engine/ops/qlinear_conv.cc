// QLinearConv (opset 10): quantized convolution.
//   acc = conv(x - x_zero_point, w - w_zero_point) + B   (exact int32; padding holds x's zero
//   point), y = saturate(round_half_even(acc * x_scale * w_scale[m] / y_scale) + y_zero_point).
// x, w and y are uint8 or int8 (each may differ); w's scale and zero point are per tensor or per
// output channel, the others per tensor; B is an optional int32 [M]. The real multiplier is
// formed in double. Attributes as Conv: auto_pad, dilations, group, kernel_shape, pads, strides.
#include <algorithm>

#include "qconv_util.h"
#include "quant_util.h"

namespace edgebench::engine::ops {
namespace {

enum Input : std::size_t {
  kX = 0,
  kXScale,
  kXZeroPoint,
  kW,
  kWScale,
  kWZeroPoint,
  kYScale,
  kYZeroPoint,
  kBias,
  kInputCount
};

class QLinearConvKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<QLinearConvKernel>();
    EB_ASSIGN_OR_RETURN(kernel->attributes_, parse_conv_attributes(ctx.node.attributes));
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(kBias, kInputCount));
    for (std::size_t i : {kX, kW, kYZeroPoint}) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, {DType::kUInt8, DType::kInt8}));
    }
    for (std::size_t i : {kXScale, kWScale, kYScale}) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, {DType::kFloat32}));
    }
    EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, kXZeroPoint, kX));
    EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, kWZeroPoint, kW));
    auto geometry = conv_geometry(attributes_, ctx.input_shape(kX), ctx.input_shape(kW));
    if (!geometry.is_ok()) return ctx.error(geometry.status().message());
    for (std::size_t i : {kXScale, kXZeroPoint, kYScale, kYZeroPoint}) {
      EB_RETURN_IF_ERROR(expect_per_tensor(ctx, i));
    }
    for (std::size_t i : {kWScale, kWZeroPoint}) {
      EB_RETURN_IF_ERROR(expect_per_tensor_or_channels(ctx, i, geometry->out_channels));
    }
    if (ctx.has_input(kBias)) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(kBias, {DType::kInt32}));
      if (ctx.input_shape(kBias) != Shape{geometry->out_channels}) {
        return ctx.error(fmt::format("bias has shape {}; expected [{}] (one per output channel)",
                                     shape_to_string(ctx.input_shape(kBias)),
                                     geometry->out_channels));
      }
    }
    ctx.set_output(0, ctx.input_dtype(kYZeroPoint), geometry->output_shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(kX);
    const Tensor& w = ctx.input(kW);
    auto geometry_or = conv_geometry(attributes_, x.shape(), w.shape());
    if (!geometry_or.is_ok()) return geometry_or.status();
    const ConvGeometry& g = *geometry_or;
    const Tensor& w_scale = ctx.input(kWScale);
    const Tensor& w_zero_point = ctx.input(kWZeroPoint);

    const std::vector<std::int32_t> x_values = centered_int8_values(
        x, &ctx.input(kXZeroPoint), [](std::int64_t) { return std::int64_t{0}; });
    const bool w_zero_point_per_channel = w_zero_point.element_count() > 1;
    const std::int64_t w_per_output = w.element_count() / std::max<std::int64_t>(1, w.dim(0));
    const std::vector<std::int32_t> w_values =
        centered_int8_values(w, &w_zero_point, [&](std::int64_t i) {
          return w_zero_point_per_channel ? i / w_per_output : std::int64_t{0};
        });
    std::vector<std::int32_t> acc(static_cast<std::size_t>(element_count(g.output_shape)));
    integer_conv(g, x_values, w_values, acc);

    const double x_scale = ctx.input(kXScale).element_as_double(0);
    const double y_scale = ctx.input(kYScale).element_as_double(0);
    std::vector<double> multiplier(static_cast<std::size_t>(g.out_channels));
    for (std::int64_t m = 0; m < g.out_channels; ++m) {
      const double ws = w_scale.element_as_double(w_scale.element_count() > 1 ? m : 0);
      multiplier[static_cast<std::size_t>(m)] = x_scale * ws / y_scale;
    }
    const std::int32_t* bias =
        ctx.has_input(kBias) ? ctx.input(kBias).data<std::int32_t>() : nullptr;
    const std::int64_t y_zero_point = ctx.input(kYZeroPoint).element_as_int64(0);
    const std::int64_t out_size = element_count(g.out_spatial);

    Tensor& y = ctx.output(0);
    auto requantize = [&](auto* tag) {
      using Q = std::remove_pointer_t<decltype(tag)>;
      Q* out = y.data<Q>();
      for (std::int64_t i = 0; i < y.element_count(); ++i) {
        const std::int64_t m = i / out_size % g.out_channels;
        const std::int64_t sum =
            std::int64_t{acc[static_cast<std::size_t>(i)]} + (bias ? bias[m] : 0);
        out[i] = quantize_value<Q>(
            static_cast<double>(sum) * multiplier[static_cast<std::size_t>(m)], y_zero_point);
      }
    };
    if (y.dtype() == DType::kInt8) {
      requantize(static_cast<std::int8_t*>(nullptr));
    } else {
      requantize(static_cast<std::uint8_t*>(nullptr));
    }
    return Status::ok();
  }

 private:
  ConvAttributes attributes_;
};

}  // namespace

OpDef qlinear_conv_op() { return {"", "QLinearConv", 10, &make_kernel<QLinearConvKernel>}; }

}  // namespace edgebench::engine::ops
