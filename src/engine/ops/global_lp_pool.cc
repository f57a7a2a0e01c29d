// GlobalLpPool: the p-norm (sum |x|^p)^(1/p) over all spatial axes of each (n, c) plane.
// ONNX opsets 1 (float p) and 2 (integer p).
#include <fmt/format.h>

#include <cmath>

#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class GlobalLpPoolKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<GlobalLpPoolKernel>();
    // Opset 1 stores p as a float, opset 2 as an int; get_float reads both.
    EB_ASSIGN_OR_RETURN(const float p, ctx.node.attributes.get_float("p", 2.0f));
    if (!(p > 0.0f) || !std::isfinite(p)) {
      return invalid_model(fmt::format("attribute 'p' must be positive, has {}", p));
    }
    kernel->p_ = p;
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override { return infer_global_pool(ctx); }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    return dispatch_elements<float, double, Float16>(x.dtype(), "GlobalLpPool", [&](auto ops) {
      using Ops = decltype(ops);
      using A = typename Ops::Compute;
      const auto* xd = x.data<typename Ops::Storage>();
      auto* yd = y.data<typename Ops::Storage>();
      const std::int64_t planes = x.dim(0) * x.dim(1);
      const std::int64_t plane_size = planes > 0 ? x.element_count() / planes : 0;
      const double p = p_;
      for (std::int64_t plane = 0; plane < planes; ++plane) {
        double sum = 0;
        for (std::int64_t i = 0; i < plane_size; ++i) {
          sum += std::pow(std::abs(static_cast<double>(Ops::load(xd[plane * plane_size + i]))), p);
        }
        yd[plane] = Ops::store(static_cast<A>(std::pow(sum, 1.0 / p)));
      }
    });
  }

 private:
  float p_ = 2.0f;
};

}  // namespace

OpDef global_lp_pool_op() { return {"", "GlobalLpPool", 1, &make_kernel<GlobalLpPoolKernel>}; }

}  // namespace edgebench::engine::ops
