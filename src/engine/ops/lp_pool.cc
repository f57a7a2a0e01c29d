// LpPool: N-d pooling of the p-norm (sum |x|^p)^(1/p) over each window; padding contributes
// nothing. ONNX opsets 1 (float p), 2 (integer p), 11, 18 (ceil_mode, dilations).
#include <fmt/format.h>

#include <cmath>

#include "conv_util.h"
#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class LpPoolKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<LpPoolKernel>();
    EB_ASSIGN_OR_RETURN(
        kernel->window_,
        parse_window_attributes(ctx.node, {.kernel_shape_required = true, .has_ceil_mode = true}));
    // Opset 1 stores p as a float, later opsets as an int; get_float reads both.
    EB_ASSIGN_OR_RETURN(const float p, ctx.node.attributes.get_float("p", 2.0f));
    if (!(p > 0.0f) || !std::isfinite(p)) {
      return invalid_model(fmt::format("attribute 'p' must be positive, has {}", p));
    }
    kernel->p_ = p;
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
    auto g = resolve_window(window_, spatial(x), window_.kernel_shape);
    if (!g.is_ok()) return in_node(ctx, g.status());
    Shape y = {x[0], x[1]};
    y.insert(y.end(), g->output.begin(), g->output.end());
    ctx.set_output(0, ctx.input_dtype(0), std::move(y));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    EB_ASSIGN_OR_RETURN(const WindowGeometry g,
                        resolve_window(window_, spatial(x.shape()), window_.kernel_shape));
    Tensor& y = ctx.output(0);
    return dispatch_elements<float, double, Float16>(x.dtype(), "LpPool", [&](auto ops) {
      using Ops = decltype(ops);
      using A = typename Ops::Compute;
      const auto* xd = x.data<typename Ops::Storage>();
      auto* yd = y.data<typename Ops::Storage>();
      const std::int64_t planes = x.dim(0) * x.dim(1);
      const std::int64_t in_size = element_count(g.input);
      const std::int64_t out_size = element_count(g.output);
      const double p = p_;
      WindowTaps window(g, WindowTaps::Mode::kForward);
      std::vector<std::int64_t> out_index(g.output.size(), 0);
      for (std::int64_t o = 0; o < out_size; ++o, next_index(out_index, g.output)) {
        const std::span<const WindowTap> taps = window.at(out_index);
        for (std::int64_t plane = 0; plane < planes; ++plane) {
          double sum = 0;
          for (const WindowTap& tap : taps) {
            sum += std::pow(
                std::abs(static_cast<double>(Ops::load(xd[plane * in_size + tap.input_offset]))),
                p);
          }
          yd[plane * out_size + o] = Ops::store(static_cast<A>(std::pow(sum, 1.0 / p)));
        }
      }
    });
  }

 private:
  static std::span<const std::int64_t> spatial(const Shape& shape) {
    return std::span<const std::int64_t>(shape).subspan(2);
  }

  WindowAttributes window_;
  float p_ = 2.0f;
};

}  // namespace

OpDef lp_pool_op() { return {"", "LpPool", 1, &make_kernel<LpPoolKernel>}; }

}  // namespace edgebench::engine::ops
