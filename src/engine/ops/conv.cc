// Conv: N-d convolution with groups, strides, dilations, pads and auto_pad; the kernel shape comes
// from the weights. ONNX opsets 1 and 11 (11 only clarifies auto_pad and makes kernel_shape
// optional, which both versions handle the same way here).
#include <fmt/format.h>

#include "conv_util.h"
#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class ConvKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<ConvKernel>();
    EB_ASSIGN_OR_RETURN(kernel->window_, parse_window_attributes(ctx.node, {}));
    EB_ASSIGN_OR_RETURN(kernel->group_, ctx.node.attributes.get_int("group", 1));
    if (kernel->group_ < 1) {
      return invalid_model(
          fmt::format("attribute 'group' must be positive, has {}", kernel->group_));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 3));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16}));
    const DType dtype = ctx.input_dtype(0);
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {dtype}));
    const Shape& x = ctx.input_shape(0);
    const Shape& w = ctx.input_shape(1);
    EB_RETURN_IF_ERROR(in_node(ctx, check_shapes(x, w)));
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(2, {dtype}));
      if (ctx.input_shape(2) != Shape{w[0]}) {
        return ctx.error(fmt::format("bias B has shape {}; expected [{}] (one per output channel)",
                                     shape_to_string(ctx.input_shape(2)), w[0]));
      }
    }
    EB_ASSIGN_OR_RETURN(const WindowGeometry g, geometry(ctx, x, w));
    Shape y = {x[0], w[0]};
    y.insert(y.end(), g.output.begin(), g.output.end());
    ctx.set_output(0, dtype, std::move(y));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    const Tensor* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    EB_ASSIGN_OR_RETURN(const WindowGeometry g,
                        resolve_window(window_, spatial(x.shape()), spatial(w.shape())));
    Tensor& y = ctx.output(0);
    return dispatch_elements<float, double, Float16>(
        x.dtype(), "Conv", [&](auto ops) { convolve<decltype(ops)>(x, w, bias, g, y); });
  }

 private:
  static std::span<const std::int64_t> spatial(const Shape& shape) {
    return std::span<const std::int64_t>(shape).subspan(2);
  }

  Status check_shapes(const Shape& x, const Shape& w) const {
    if (x.size() < 3) {
      return invalid_model(
          fmt::format("input X has shape {}; expected rank 3 or more (N, C, spatial axes)",
                      shape_to_string(x)));
    }
    if (w.size() != x.size()) {
      return invalid_model(fmt::format("weights W have shape {}; expected rank {} like input X {}",
                                       shape_to_string(w), x.size(), shape_to_string(x)));
    }
    auto expected_channels = checked_mul(w[1], group_);
    if (!expected_channels || *expected_channels != x[1]) {
      return invalid_model(
          fmt::format("input X has {} channels; weights W {} with 'group' {} expect {} x {}", x[1],
                      shape_to_string(w), group_, w[1], group_));
    }
    if (w[0] % group_ != 0) {
      return invalid_model(fmt::format(
          "weights W have {} output channels, not divisible by 'group' {}", w[0], group_));
    }
    if (!window_.kernel_shape.empty() &&
        !std::equal(window_.kernel_shape.begin(), window_.kernel_shape.end(), w.begin() + 2,
                    w.end())) {
      return invalid_model(fmt::format("attribute 'kernel_shape' [{}] does not match weights W {}",
                                       fmt::join(window_.kernel_shape, ","), shape_to_string(w)));
    }
    return Status::ok();
  }

  Result<WindowGeometry> geometry(const InferContext& ctx, const Shape& x, const Shape& w) const {
    auto g = resolve_window(window_, spatial(x), spatial(w));
    if (!g.is_ok()) return in_node(ctx, g.status());
    return g;
  }

  // y[n, m, o] = B[m] + sum over the group's input channels c and the window taps of o of
  // x[n, c, tap] * W[m, c, kernel position]. Accumulates in Ops::Compute (float for float16).
  template <typename Ops>
  void convolve(const Tensor& x, const Tensor& w, const Tensor* bias, const WindowGeometry& g,
                Tensor& y) const {
    using S = typename Ops::Storage;
    using A = typename Ops::Compute;
    const S* xd = x.data<S>();
    const S* wd = w.data<S>();
    const S* bd = bias != nullptr ? bias->data<S>() : nullptr;
    S* yd = y.data<S>();
    const std::int64_t batch = x.dim(0);
    const std::int64_t in_channels = x.dim(1);
    const std::int64_t out_channels = w.dim(0);
    const std::int64_t group_in = in_channels / group_;
    const std::int64_t group_out = out_channels / group_;
    const std::int64_t in_size = element_count(g.input);
    const std::int64_t out_size = element_count(g.output);
    const std::int64_t kernel_size = element_count(g.kernel);

    WindowTaps window(g, WindowTaps::Mode::kForward);
    std::vector<std::int64_t> out_index(g.output.size(), 0);
    for (std::int64_t p = 0; p < out_size; ++p, next_index(out_index, g.output)) {
      const std::span<const WindowTap> taps = window.at(out_index);
      for (std::int64_t n = 0; n < batch; ++n) {
        for (std::int64_t m = 0; m < out_channels; ++m) {
          const std::int64_t first_in = (m / group_out) * group_in;
          A acc = bd != nullptr ? Ops::load(bd[m]) : A(0);
          for (std::int64_t c = 0; c < group_in; ++c) {
            const S* x_plane = xd + ((n * in_channels) + first_in + c) * in_size;
            const S* w_plane = wd + (m * group_in + c) * kernel_size;
            for (const WindowTap& tap : taps) {
              acc += Ops::load(x_plane[tap.input_offset]) * Ops::load(w_plane[tap.kernel_offset]);
            }
          }
          yd[(n * out_channels + m) * out_size + p] = Ops::store(acc);
        }
      }
    }
  }

  WindowAttributes window_;
  std::int64_t group_ = 1;
};

}  // namespace

OpDef conv_op() { return {"", "Conv", 1, &make_kernel<ConvKernel>}; }

}  // namespace edgebench::engine::ops
