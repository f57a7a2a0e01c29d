// Tile: repeats the input `repeats[d]` times along each axis d. ONNX opsets 6, 13 (opset 1's
// tiles/axis inputs are not supported).
#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class TileKernel final : public OpKernel {
 public:
  explicit TileKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_ASSIGN_OR_RETURN(auto repeats, tensor_family::require_int_list(ctx, 1, "repeats"));
    const Shape& in = ctx.input_shape(0);
    if (repeats.size() != in.size()) {
      return ctx.error(fmt::format("'repeats' has {} values for an input of rank {}",
                                   repeats.size(), in.size()));
    }
    Shape out(in.size());
    for (std::size_t d = 0; d < in.size(); ++d) {
      auto dim = tensor_family::checked_mul(in[d], repeats[d]);
      if (!dim.is_ok()) {
        return ctx.error(fmt::format("'repeats' value {} for axis {} is invalid: {}", repeats[d], d,
                                     dim.status().message()));
      }
      out[d] = *dim;
    }
    return tensor_family::set_checked_output(ctx, 0, ctx.input_dtype(0), std::move(out));
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (y.element_count() == 0) return Status::ok();
    // Output axis d, of length repeats * dim, is read as two axes (repeat, position): the
    // repeat axis has stride 0 in the input.
    const std::vector<std::int64_t> in_strides = strides_of(x.shape());
    Shape split_shape;
    std::vector<std::int64_t> strides;
    for (std::size_t d = 0; d < in_strides.size(); ++d) {
      split_shape.push_back(y.shape()[d] / x.shape()[d]);
      split_shape.push_back(x.shape()[d]);
      strides.push_back(0);
      strides.push_back(in_strides[d]);
    }
    tensor_family::copy_strided(static_cast<const std::byte*>(x.raw_data()), 0, strides,
                                static_cast<std::byte*>(y.raw_data()), split_shape,
                                dtype_size(x.dtype()), ctx.thread_pool());
    return Status::ok();
  }
};

}  // namespace

OpDef tile_op() { return {"", "Tile", 6, &make_kernel<TileKernel>}; }

}  // namespace edgebench::engine::ops
