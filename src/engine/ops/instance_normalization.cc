// InstanceNormalization: y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c], with mean and
// (biased) variance over the spatial axes of each (n, c) plane. ONNX opsets 1 and 6.
#include <fmt/format.h>

#include <cmath>

#include "nn_util.h"
#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {
namespace {

class InstanceNormalizationKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<InstanceNormalizationKernel>();
    EB_ASSIGN_OR_RETURN(kernel->epsilon_, ctx.node.attributes.get_float("epsilon", 1e-5f));
    if (!(kernel->epsilon_ >= 0.0f)) {
      return invalid_model(
          fmt::format("attribute 'epsilon' must be non-negative, has {}", kernel->epsilon_));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 3));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16}));
    const DType dtype = ctx.input_dtype(0);
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 3) {
      return ctx.error(
          fmt::format("input X has shape {}; expected rank 3 or more (N, C, spatial axes)",
                      shape_to_string(x)));
    }
    static constexpr const char* kNames[] = {"input", "scale", "B"};
    for (std::size_t i = 1; i < 3; ++i) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, {dtype}));
      if (ctx.input_shape(i) != Shape{x[1]}) {
        return ctx.error(fmt::format("input {} has shape {}; expected [{}] (one per channel)",
                                     kNames[i], shape_to_string(ctx.input_shape(i)), x[1]));
      }
    }
    ctx.set_output(0, dtype, x);
    return Status::ok();
  }

  // Statistics are computed in double, two passes (mean, then squared deviations).
  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor& bias = ctx.input(2);
    Tensor& y = ctx.output(0);
    const std::int64_t channels = x.dim(1);
    const std::int64_t planes = x.dim(0) * channels;
    const std::int64_t plane_size = planes > 0 ? x.element_count() / planes : 0;
    return dispatch_elements<float, double, Float16>(
        x.dtype(), "InstanceNormalization", [&](auto ops) {
          using Ops = decltype(ops);
          using A = typename Ops::Compute;
          const auto* xd = x.data<typename Ops::Storage>();
          auto* yd = y.data<typename Ops::Storage>();
          parallel_outer(
              ctx.thread_pool(), planes, 3 * plane_size,
              [&](std::int64_t first, std::int64_t last) {
                for (std::int64_t plane = first; plane < last; ++plane) {
                  const auto* in = xd + plane * plane_size;
                  auto* out = yd + plane * plane_size;
                  double mean = 0;
                  for (std::int64_t i = 0; i < plane_size; ++i) mean += Ops::load(in[i]);
                  mean /= static_cast<double>(std::max<std::int64_t>(plane_size, 1));
                  double var = 0;
                  for (std::int64_t i = 0; i < plane_size; ++i) {
                    const double d = Ops::load(in[i]) - mean;
                    var += d * d;
                  }
                  var /= static_cast<double>(std::max<std::int64_t>(plane_size, 1));
                  const std::int64_t c = plane % channels;
                  const double m = scale.element_as_double(c) / std::sqrt(var + epsilon_);
                  const double b = bias.element_as_double(c);
                  for (std::int64_t i = 0; i < plane_size; ++i) {
                    out[i] = Ops::store(static_cast<A>((Ops::load(in[i]) - mean) * m + b));
                  }
                }
              });
        });
  }

 private:
  float epsilon_ = 1e-5f;
};

}  // namespace

OpDef instance_normalization_op() {
  return {"", "InstanceNormalization", 1, &make_kernel<InstanceNormalizationKernel>};
}

}  // namespace edgebench::engine::ops
