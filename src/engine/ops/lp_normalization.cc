// LpNormalization: divides each vector along `axis` by its L1 or L2 norm. ONNX opset 1.
#include <fmt/format.h>

#include <cmath>

#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class LpNormalizationKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& a = ctx.node.attributes;
    auto kernel = std::make_unique<LpNormalizationKernel>();
    EB_ASSIGN_OR_RETURN(kernel->axis_, a.get_int("axis", -1));
    EB_ASSIGN_OR_RETURN(kernel->p_, a.get_int("p", 2));
    if (kernel->p_ != 1 && kernel->p_ != 2) {
      return invalid_model(fmt::format("attribute 'p' must be 1 or 2, has {}", kernel->p_));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16}));
    const Shape& x = ctx.input_shape(0);
    if (x.empty()) return ctx.error("input has rank 0; expected rank 1 or more");
    auto axis = normalize_axis(axis_, static_cast<int>(x.size()));
    if (!axis.is_ok()) return in_node(ctx, axis.status().with_context("attribute 'axis'"));
    ctx.set_output(0, ctx.input_dtype(0), x);
    return Status::ok();
  }

  // A zero vector stays zero (rather than 0 / 0).
  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    EB_ASSIGN_OR_RETURN(const int axis, normalize_axis(axis_, x.rank()));
    std::int64_t outer = 1;
    std::int64_t inner = 1;
    for (int d = 0; d < axis; ++d) outer *= x.dim(d);
    for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
    const std::int64_t length = x.dim(axis);
    return dispatch_elements<float, double, Float16>(x.dtype(), "LpNormalization", [&](auto ops) {
      using Ops = decltype(ops);
      using A = typename Ops::Compute;
      const auto* xd = x.data<typename Ops::Storage>();
      auto* yd = y.data<typename Ops::Storage>();
      for (std::int64_t o = 0; o < outer; ++o) {
        for (std::int64_t i = 0; i < inner; ++i) {
          const std::int64_t base = o * length * inner + i;
          double norm = 0;
          for (std::int64_t k = 0; k < length; ++k) {
            const double v = Ops::load(xd[base + k * inner]);
            norm += p_ == 1 ? std::abs(v) : v * v;
          }
          if (p_ == 2) norm = std::sqrt(norm);
          for (std::int64_t k = 0; k < length; ++k) {
            const double v = Ops::load(xd[base + k * inner]);
            yd[base + k * inner] = Ops::store(static_cast<A>(norm == 0 ? 0.0 : v / norm));
          }
        }
      }
    });
  }

 private:
  std::int64_t axis_ = -1;
  std::int64_t p_ = 2;
};

}  // namespace

OpDef lp_normalization_op() {
  return {"", "LpNormalization", 1, &make_kernel<LpNormalizationKernel>};
}

}  // namespace edgebench::engine::ops
