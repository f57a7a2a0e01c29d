// Expand: broadcasts the input against a shape given as a value (NumPy rules in both
// directions: a 1 in either the input or `shape` takes the other's dim). ONNX opsets 8, 13.
#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class ExpandKernel final : public OpKernel {
 public:
  explicit ExpandKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_ASSIGN_OR_RETURN(Shape requested, tensor_family::require_int_list(ctx, 1, "shape"));
    for (std::int64_t d : requested) {
      if (d < 0) {
        return ctx.error(fmt::format("'shape' {} has a negative dim", shape_to_string(requested)));
      }
    }
    auto out = broadcast_shapes(ctx.input_shape(0), requested);
    if (!out.is_ok()) return ctx.error(out.status().message());
    return tensor_family::set_checked_output(ctx, 0, ctx.input_dtype(0), std::move(out).value());
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const std::vector<std::int64_t> strides = broadcast_strides(x.shape(), y.shape());
    tensor_family::copy_strided(static_cast<const std::byte*>(x.raw_data()), 0, strides,
                                static_cast<std::byte*>(y.raw_data()), y.shape(),
                                dtype_size(x.dtype()), ctx.thread_pool());
    return Status::ok();
  }
};

}  // namespace

OpDef expand_op() { return {"", "Expand", 8, &make_kernel<ExpandKernel>}; }

}  // namespace edgebench::engine::ops
