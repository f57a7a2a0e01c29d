// ConvTranspose: the gradient of Conv with respect to its input (a "deconvolution"), N-d, with
// groups, strides, dilations, pads, output_padding, output_shape and auto_pad. ONNX opsets 1, 11.
#include <fmt/format.h>

#include <algorithm>

#include "conv_util.h"
#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class ConvTransposeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<ConvTransposeKernel>();
    const ir::Attributes& a = ctx.node.attributes;
    EB_ASSIGN_OR_RETURN(kernel->window_, parse_window_attributes(ctx.node, {}));
    EB_ASSIGN_OR_RETURN(kernel->group_, a.get_int("group", 1));
    if (kernel->group_ < 1) {
      return invalid_model(
          fmt::format("attribute 'group' must be positive, has {}", kernel->group_));
    }
    EB_ASSIGN_OR_RETURN(kernel->output_padding_, a.get_ints("output_padding", {}));
    for (std::int64_t v : kernel->output_padding_) {
      if (v < 0) {
        return invalid_model(
            fmt::format("attribute 'output_padding' must be non-negative, has [{}]",
                        fmt::join(kernel->output_padding_, ",")));
      }
    }
    EB_ASSIGN_OR_RETURN(kernel->output_shape_, a.get_ints("output_shape", {}));
    for (std::int64_t v : kernel->output_shape_) {
      if (v <= 0) {
        return invalid_model(fmt::format("attribute 'output_shape' must be positive, has [{}]",
                                         fmt::join(kernel->output_shape_, ",")));
      }
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
    auto out_channels = checked_mul(w[1], group_);
    if (!out_channels) return ctx.error("output channel count overflows");
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(2, {dtype}));
      if (ctx.input_shape(2) != Shape{*out_channels}) {
        return ctx.error(fmt::format("bias B has shape {}; expected [{}] (one per output channel)",
                                     shape_to_string(ctx.input_shape(2)), *out_channels));
      }
    }
    auto g = geometry(x, w);
    if (!g.is_ok()) return in_node(ctx, g.status());
    Shape y = {x[0], *out_channels};
    y.insert(y.end(), g->output.begin(), g->output.end());
    ctx.set_output(0, dtype, std::move(y));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    const Tensor* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    EB_ASSIGN_OR_RETURN(const WindowGeometry g, geometry(x.shape(), w.shape()));
    Tensor& y = ctx.output(0);
    return dispatch_elements<float, double, Float16>(x.dtype(), "ConvTranspose", [&](auto ops) {
      convolve_transposed<decltype(ops)>(x, w, bias, g, y);
    });
  }

 private:
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
    if (w[0] != x[1]) {
      return invalid_model(
          fmt::format("weights W {} expect {} input channels (first axis); input X has {}",
                      shape_to_string(w), w[0], x[1]));
    }
    if (x[1] % group_ != 0) {
      return invalid_model(
          fmt::format("input X has {} channels, not divisible by 'group' {}", x[1], group_));
    }
    if (!window_.kernel_shape.empty() &&
        !std::equal(window_.kernel_shape.begin(), window_.kernel_shape.end(), w.begin() + 2,
                    w.end())) {
      return invalid_model(fmt::format("attribute 'kernel_shape' [{}] does not match weights W {}",
                                       fmt::join(window_.kernel_shape, ","), shape_to_string(w)));
    }
    const std::size_t rank = x.size() - 2;
    if (!output_padding_.empty() && output_padding_.size() != rank) {
      return invalid_model(
          fmt::format("attribute 'output_padding' has {} values; expected {} for {} spatial axes",
                      output_padding_.size(), rank, rank));
    }
    if (!output_shape_.empty() && output_shape_.size() != rank &&
        output_shape_.size() != rank + 2) {
      return invalid_model(fmt::format(
          "attribute 'output_shape' has {} values; expected {} (spatial axes) or {} (all axes)",
          output_shape_.size(), rank, rank + 2));
    }
    return Status::ok();
  }

  // Output sizes and pads. Without output_shape or auto_pad the output is
  //   stride * (in - 1) + output_padding + (kernel - 1) * dilation + 1 - pad_begin - pad_end;
  // output_shape (or auto_pad SAME, which asks for in * stride) fixes the output instead, and the
  // difference to the full size becomes padding, the odd element at the end for SAME_UPPER and at
  // the beginning otherwise (the ONNX spec). When the requested output is larger than the full
  // result, the extra positions at the end hold only the bias.
  Result<WindowGeometry> geometry(const Shape& x, const Shape& w) const {
    const std::span<const std::int64_t> x_spatial = std::span<const std::int64_t>(x).subspan(2);
    const std::span<const std::int64_t> w_spatial = std::span<const std::int64_t>(w).subspan(2);
    EB_ASSIGN_OR_RETURN(WindowGeometry g, expand_window_attributes(window_, x_spatial, w_spatial));
    const auto rank = static_cast<std::size_t>(g.rank());
    g.output.assign(rank, 0);
    for (std::size_t i = 0; i < rank; ++i) {
      const std::int64_t in = g.input[i];
      const std::int64_t stride = g.strides[i];
      const std::int64_t extra = output_padding_.empty() ? 0 : output_padding_[i];
      EB_ASSIGN_OR_RETURN(const std::int64_t extent, window_extent(g.kernel[i], g.dilations[i]));
      auto full = checked_mul(stride, std::max<std::int64_t>(in - 1, 0));
      if (full) full = checked_add(*full, extra);
      if (full) full = checked_add(*full, extent);
      if (!full) return out_of_range(fmt::format("output size overflows along spatial axis {}", i));
      std::optional<std::int64_t> requested;
      if (!output_shape_.empty()) {
        requested = output_shape_[output_shape_.size() - rank + i];
      } else if (window_.auto_pad == AutoPad::kSameUpper ||
                 window_.auto_pad == AutoPad::kSameLower) {
        requested = checked_mul(in, stride);
        if (!requested) {
          return out_of_range(fmt::format("output size overflows along spatial axis {}", i));
        }
      }
      if (requested) {
        const std::int64_t total = std::max<std::int64_t>(*full - *requested, 0);
        g.pads_begin[i] = window_.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
        g.pads_end[i] = total - g.pads_begin[i];
        g.output[i] = *requested;
      } else {
        if (window_.auto_pad == AutoPad::kValid) {
          g.pads_begin[i] = 0;
          g.pads_end[i] = 0;
        }
        g.output[i] = *full - g.pads_begin[i] - g.pads_end[i];
      }
      if (g.output[i] <= 0) {
        return invalid_model(fmt::format(
            "output size along spatial axis {} is {} (input {}, kernel {}, 'strides' {}, 'pads' {} "
            "and {}); it must be positive",
            i, g.output[i], in, g.kernel[i], stride, g.pads_begin[i], g.pads_end[i]));
      }
    }
    return g;
  }

  // y[n, m, o] = B[m] + sum over the group's input channels c and the input positions i and kernel
  // positions k with o + pad_begin = i * stride + k * dilation of x[n, c, i] * W[c, m', k], where
  // m' is m's index within its group. Written as a gather so each output is summed in one place.
  template <typename Ops>
  void convolve_transposed(const Tensor& x, const Tensor& w, const Tensor* bias,
                           const WindowGeometry& g, Tensor& y) const {
    using S = typename Ops::Storage;
    using A = typename Ops::Compute;
    const S* xd = x.data<S>();
    const S* wd = w.data<S>();
    const S* bd = bias != nullptr ? bias->data<S>() : nullptr;
    S* yd = y.data<S>();
    const std::int64_t batch = x.dim(0);
    const std::int64_t in_channels = x.dim(1);
    const std::int64_t group_out = w.dim(1);
    const std::int64_t out_channels = group_out * group_;
    const std::int64_t group_in = in_channels / group_;
    const std::int64_t in_size = element_count(g.input);
    const std::int64_t out_size = element_count(g.output);
    const std::int64_t kernel_size = element_count(g.kernel);

    WindowTaps window(g, WindowTaps::Mode::kTransposed);
    std::vector<std::int64_t> out_index(g.output.size(), 0);
    for (std::int64_t p = 0; p < out_size; ++p, next_index(out_index, g.output)) {
      const std::span<const WindowTap> taps = window.at(out_index);
      for (std::int64_t n = 0; n < batch; ++n) {
        for (std::int64_t m = 0; m < out_channels; ++m) {
          const std::int64_t group = m / group_out;
          const std::int64_t m_in_group = m % group_out;
          A acc = bd != nullptr ? Ops::load(bd[m]) : A(0);
          for (std::int64_t c = group * group_in; c < (group + 1) * group_in; ++c) {
            const S* x_plane = xd + (n * in_channels + c) * in_size;
            const S* w_plane = wd + (c * group_out + m_in_group) * kernel_size;
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
  std::vector<std::int64_t> output_padding_;
  std::vector<std::int64_t> output_shape_;
};

}  // namespace

OpDef conv_transpose_op() { return {"", "ConvTranspose", 1, &make_kernel<ConvTransposeKernel>}; }

}  // namespace edgebench::engine::ops
