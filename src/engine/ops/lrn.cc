// LRN (local response normalization across channels):
//   y = x / (bias + alpha / size * sum of x^2 over the channels [c - floor((size-1)/2),
//                                                              c + ceil((size-1)/2)]) ^ beta.
// ONNX opsets 1 and 13.
#include <fmt/format.h>

#include <cmath>

#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class LrnKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& a = ctx.node.attributes;
    auto kernel = std::make_unique<LrnKernel>();
    if (!a.has("size")) return invalid_model("attribute 'size' is required");
    EB_ASSIGN_OR_RETURN(kernel->size_, a.get_int("size", 1));
    if (kernel->size_ < 1) {
      return invalid_model(fmt::format("attribute 'size' must be positive, has {}", kernel->size_));
    }
    EB_ASSIGN_OR_RETURN(kernel->alpha_, a.get_float("alpha", 1e-4f));
    EB_ASSIGN_OR_RETURN(kernel->beta_, a.get_float("beta", 0.75f));
    EB_ASSIGN_OR_RETURN(kernel->bias_, a.get_float("bias", 1.0f));
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16}));
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 3) {
      return ctx.error(
          fmt::format("input X has shape {}; expected rank 3 or more (N, C, spatial axes)",
                      shape_to_string(x)));
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const std::int64_t batch = x.dim(0);
    const std::int64_t channels = x.dim(1);
    const std::int64_t plane_size =
        batch * channels > 0 ? x.element_count() / (batch * channels) : 0;
    const std::int64_t before = (size_ - 1) / 2;
    const std::int64_t after = size_ - 1 - before;
    const double scale = static_cast<double>(alpha_) / static_cast<double>(size_);
    return dispatch_elements<float, double, Float16>(x.dtype(), "LRN", [&](auto ops) {
      using Ops = decltype(ops);
      using A = typename Ops::Compute;
      const auto* xd = x.data<typename Ops::Storage>();
      auto* yd = y.data<typename Ops::Storage>();
      for (std::int64_t n = 0; n < batch; ++n) {
        for (std::int64_t c = 0; c < channels; ++c) {
          const std::int64_t first = std::max<std::int64_t>(c - before, 0);
          const std::int64_t last = std::min<std::int64_t>(c + after, channels - 1);
          for (std::int64_t i = 0; i < plane_size; ++i) {
            double square_sum = 0;
            for (std::int64_t k = first; k <= last; ++k) {
              const double v = Ops::load(xd[(n * channels + k) * plane_size + i]);
              square_sum += v * v;
            }
            const std::int64_t at = (n * channels + c) * plane_size + i;
            const double denominator = std::pow(static_cast<double>(bias_) + scale * square_sum,
                                                static_cast<double>(beta_));
            yd[at] = Ops::store(static_cast<A>(Ops::load(xd[at]) / denominator));
          }
        }
      }
    });
  }

 private:
  std::int64_t size_ = 1;
  float alpha_ = 1e-4f;
  float beta_ = 0.75f;
  float bias_ = 1.0f;
};

}  // namespace

OpDef lrn_op() { return {"", "LRN", 1, &make_kernel<LrnKernel>}; }

}  // namespace edgebench::engine::ops
