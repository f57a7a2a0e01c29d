// BatchNormalization in inference mode: y = (x - mean) / sqrt(var + epsilon) * scale + B, with
// one statistic per channel (axis 1), or per activation when opsets 7-8 set spatial = 0.
// ONNX opsets 6, 7, 9, 14, 15. Training mode (is_test = 0 with statistics outputs, the optional
// outputs before opset 14, training_mode = 1 from opset 14) is unsupported.
#include <fmt/format.h>

#include <cmath>

#include "nn_util.h"
#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {
namespace {

class BatchNormalizationKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& a = ctx.node.attributes;
    auto kernel = std::make_unique<BatchNormalizationKernel>();
    EB_ASSIGN_OR_RETURN(kernel->epsilon_, a.get_float("epsilon", 1e-5f));
    if (!(kernel->epsilon_ >= 0.0f)) {
      return invalid_model(
          fmt::format("attribute 'epsilon' must be non-negative, has {}", kernel->epsilon_));
    }
    if (ctx.opset < 9) {
      EB_ASSIGN_OR_RETURN(const std::int64_t spatial, a.get_int("spatial", 1));
      if (spatial != 0 && spatial != 1) {
        return invalid_model(fmt::format("attribute 'spatial' must be 0 or 1, has {}", spatial));
      }
      kernel->per_activation_ = spatial == 0;
    }
    if (ctx.opset >= 14) {
      EB_ASSIGN_OR_RETURN(const std::int64_t training_mode, a.get_int("training_mode", 0));
      if (training_mode != 0) {
        return unsupported(fmt::format(
            "attribute 'training_mode' is {}; only inference (training_mode 0) is supported",
            training_mode));
      }
    }
    // Before opset 14 a node is in training mode when it names the statistics outputs.
    for (std::size_t i = 1; i < ctx.node.outputs.size(); ++i) {
      if (!ctx.node.outputs[i].empty()) {
        return unsupported(fmt::format(
            "output {} ('{}') is a training-mode statistic; only inference (output Y alone) is "
            "supported",
            i, ctx.node.outputs[i]));
      }
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(5, 5));
    const auto floats = {DType::kFloat32, DType::kFloat64, DType::kFloat16};
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, floats));
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 2) {
      return ctx.error(fmt::format("input X has shape {}; expected rank 2 or more (N, C, ...)",
                                   shape_to_string(x)));
    }
    const Shape per_channel = {x[1]};
    const Shape per_activation(x.begin() + 1, x.end());
    static constexpr const char* kNames[] = {"X", "scale", "B", "input_mean", "input_var"};
    for (std::size_t i = 1; i < 5; ++i) {
      // Opset 15 lets scale/B and mean/var have their own float types; earlier models always
      // match X, so accepting any float type is the same for them.
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, floats));
      const Shape& s = ctx.input_shape(i);
      if (s != per_channel && !(per_activation_ && s == per_activation)) {
        return ctx.error(
            fmt::format("input {} has shape {}; expected {}", kNames[i], shape_to_string(s),
                        shape_to_string(per_activation_ ? per_activation : per_channel)));
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const std::int64_t batch = x.dim(0);
    const std::int64_t channels = x.dim(1);
    const std::int64_t sample_size = channels > 0 && batch > 0 ? x.element_count() / batch : 0;
    const std::int64_t plane_size = channels > 0 ? sample_size / channels : 0;
    // Fold the four parameters into y = x * multiplier + offset, per parameter element (one per
    // channel, or one per activation of a sample).
    const std::int64_t params = ctx.input(1).element_count();
    std::vector<double> multiplier(static_cast<std::size_t>(params));
    std::vector<double> offset(static_cast<std::size_t>(params));
    for (std::int64_t i = 0; i < params; ++i) {
      const double scale = ctx.input(1).element_as_double(i);
      const double bias = ctx.input(2).element_as_double(i);
      const double mean = ctx.input(3).element_as_double(i);
      const double var = ctx.input(4).element_as_double(i);
      const double m = scale / std::sqrt(var + static_cast<double>(epsilon_));
      multiplier[static_cast<std::size_t>(i)] = m;
      offset[static_cast<std::size_t>(i)] = bias - mean * m;
    }
    const bool per_channel = params == channels;
    return dispatch_elements<float, double, Float16>(
        x.dtype(), "BatchNormalization", [&](auto ops) {
          using Ops = decltype(ops);
          using A = typename Ops::Compute;
          const auto* xd = x.data<typename Ops::Storage>();
          auto* yd = y.data<typename Ops::Storage>();
          parallel_elements(
              ctx.thread_pool(), x.element_count(), [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t i = begin; i < end; ++i) {
                  const std::int64_t in_sample = i % sample_size;
                  const auto p =
                      static_cast<std::size_t>(per_channel ? in_sample / plane_size : in_sample);
                  const double v =
                      static_cast<double>(Ops::load(xd[i])) * multiplier[p] + offset[p];
                  yd[i] = Ops::store(static_cast<A>(v));
                }
              });
        });
  }

 private:
  float epsilon_ = 1e-5f;
  bool per_activation_ = false;
};

}  // namespace

OpDef batch_normalization_op() {
  return {"", "BatchNormalization", 6, &make_kernel<BatchNormalizationKernel>};
}

}  // namespace edgebench::engine::ops
