// AveragePool: N-d average pooling with strides, pads, auto_pad, ceil_mode and count_include_pad.
// ONNX opsets 1, 7 (count_include_pad), 10 (ceil_mode), 11; dilations (opset 19) are accepted
// too since they cost nothing.
#include <fmt/format.h>

#include "conv_util.h"
#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class AveragePoolKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<AveragePoolKernel>();
    EB_ASSIGN_OR_RETURN(
        kernel->window_,
        parse_window_attributes(ctx.node, {.kernel_shape_required = true, .has_ceil_mode = true}));
    EB_ASSIGN_OR_RETURN(const std::int64_t include_pad,
                        ctx.node.attributes.get_int("count_include_pad", 0));
    if (include_pad != 0 && include_pad != 1) {
      return invalid_model(
          fmt::format("attribute 'count_include_pad' must be 0 or 1, has {}", include_pad));
    }
    kernel->count_include_pad_ = include_pad == 1;
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
    return dispatch_elements<float, double, Float16>(
        x.dtype(), "AveragePool", [&](auto ops) { pool<decltype(ops)>(x, g, y); });
  }

 private:
  static std::span<const std::int64_t> spatial(const Shape& shape) {
    return std::span<const std::int64_t>(shape).subspan(2);
  }

  // The divisor counts the window's input elements, or with count_include_pad also its padding
  // elements (but not the part beyond the end padding that ceil_mode can add).
  template <typename Ops>
  void pool(const Tensor& x, const WindowGeometry& g, Tensor& y) const {
    using S = typename Ops::Storage;
    using A = typename Ops::Compute;
    const S* xd = x.data<S>();
    S* yd = y.data<S>();
    const std::int64_t planes = x.dim(0) * x.dim(1);
    const std::int64_t in_size = element_count(g.input);
    const std::int64_t out_size = element_count(g.output);

    WindowTaps window(g, WindowTaps::Mode::kForward);
    std::vector<std::int64_t> out_index(g.output.size(), 0);
    for (std::int64_t p = 0; p < out_size; ++p, next_index(out_index, g.output)) {
      const std::span<const WindowTap> taps = window.at(out_index);
      const std::int64_t count = count_include_pad_ ? window.padded_count(out_index)
                                                    : static_cast<std::int64_t>(taps.size());
      for (std::int64_t plane = 0; plane < planes; ++plane) {
        const S* x_plane = xd + plane * in_size;
        A sum = 0;
        for (const WindowTap& tap : taps) sum += Ops::load(x_plane[tap.input_offset]);
        yd[plane * out_size + p] = Ops::store(count > 0 ? sum / static_cast<A>(count) : A(0));
      }
    }
  }

  WindowAttributes window_;
  bool count_include_pad_ = false;
};

}  // namespace

OpDef average_pool_op() { return {"", "AveragePool", 1, &make_kernel<AveragePoolKernel>}; }

}  // namespace edgebench::engine::ops
