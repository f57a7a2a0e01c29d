// MaxPool: N-d max pooling with strides, pads, auto_pad, dilations and ceil_mode, and the optional
// Indices output (int64 offsets into the flattened input, row-major or, with storage_order 1,
// column-major over the spatial axes). ONNX opsets 1, 8 (Indices, storage_order), 10 (dilations,
// ceil_mode), 11, 12 (int8 and uint8).
#include <fmt/format.h>

#include "conv_util.h"
#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class MaxPoolKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<MaxPoolKernel>();
    EB_ASSIGN_OR_RETURN(
        kernel->window_,
        parse_window_attributes(ctx.node, {.kernel_shape_required = true, .has_ceil_mode = true}));
    EB_ASSIGN_OR_RETURN(const std::int64_t storage_order,
                        ctx.node.attributes.get_int("storage_order", 0));
    if (storage_order != 0 && storage_order != 1) {
      return invalid_model(
          fmt::format("attribute 'storage_order' must be 0 or 1, has {}", storage_order));
    }
    kernel->column_major_ = storage_order == 1;
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(
        0, {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8, DType::kUInt8}));
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
    ctx.set_output(0, ctx.input_dtype(0), y);
    ctx.set_output(1, DType::kInt64, y);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    EB_ASSIGN_OR_RETURN(const WindowGeometry g,
                        resolve_window(window_, spatial(x.shape()), window_.kernel_shape));
    Tensor& y = ctx.output(0);
    Tensor* indices = ctx.has_output(1) ? &ctx.output(1) : nullptr;
    return dispatch_elements<float, double, Float16, std::int8_t, std::uint8_t>(
        x.dtype(), "MaxPool", [&](auto ops) { pool<decltype(ops)>(x, g, y, indices); });
  }

 private:
  static std::span<const std::int64_t> spatial(const Shape& shape) {
    return std::span<const std::int64_t>(shape).subspan(2);
  }

  // The column-major offset of the element at row-major offset `offset` in `dims`.
  static std::int64_t to_column_major(std::int64_t offset, const Shape& dims) {
    std::int64_t result = 0;
    std::int64_t scale = 1;
    std::vector<std::int64_t> coords(dims.size());
    for (std::size_t d = dims.size(); d > 0; --d) {
      coords[d - 1] = offset % dims[d - 1];
      offset /= dims[d - 1];
    }
    for (std::size_t d = 0; d < dims.size(); ++d) {
      result += coords[d] * scale;
      scale *= dims[d];
    }
    return result;
  }

  // The first maximum in window order wins; NaN propagates (as in PyTorch). A window with no
  // input element (possible only with dilations larger than the input) gives the lowest value and
  // index -1.
  template <typename Ops>
  void pool(const Tensor& x, const WindowGeometry& g, Tensor& y, Tensor* indices) const {
    using S = typename Ops::Storage;
    using A = typename Ops::Compute;
    const S* xd = x.data<S>();
    S* yd = y.data<S>();
    std::int64_t* id = indices != nullptr ? indices->data<std::int64_t>() : nullptr;
    const std::int64_t planes = x.dim(0) * x.dim(1);
    const std::int64_t in_size = element_count(g.input);
    const std::int64_t out_size = element_count(g.output);

    WindowTaps window(g, WindowTaps::Mode::kForward);
    std::vector<std::int64_t> out_index(g.output.size(), 0);
    for (std::int64_t p = 0; p < out_size; ++p, next_index(out_index, g.output)) {
      const std::span<const WindowTap> taps = window.at(out_index);
      for (std::int64_t plane = 0; plane < planes; ++plane) {
        const S* x_plane = xd + plane * in_size;
        A best = std::numeric_limits<A>::lowest();
        std::int64_t best_offset = -1;
        for (const WindowTap& tap : taps) {
          const A v = Ops::load(x_plane[tap.input_offset]);
          // `v != v` is true only for NaN.
          if (best_offset < 0 || v > best || (v != v && best == best)) {
            best = v;
            best_offset = tap.input_offset;
          }
        }
        yd[plane * out_size + p] = Ops::store(best);
        if (id != nullptr) {
          std::int64_t index = -1;
          if (best_offset >= 0) {
            index = plane * in_size +
                    (column_major_ ? to_column_major(best_offset, g.input) : best_offset);
          }
          id[plane * out_size + p] = index;
        }
      }
    }
  }

  WindowAttributes window_;
  bool column_major_ = false;
};

}  // namespace

OpDef max_pool_op() { return {"", "MaxPool", 1, &make_kernel<MaxPoolKernel>}; }

}  // namespace edgebench::engine::ops
