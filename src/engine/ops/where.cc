// Where: out = condition ? x : y elementwise, the three inputs broadcast together.
// ONNX opsets 9, 16.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

class WhereKernel final : public OpKernel {
 public:
  explicit WhereKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 3));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, BoolTypes{}));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 1, AllTypes{}));
    EB_RETURN_IF_ERROR(expect_same_dtype(ctx, 1, 2));
    const std::size_t inputs[] = {0, 1, 2};
    EB_ASSIGN_OR_RETURN(Shape shape, broadcast_inputs(ctx, inputs));
    ctx.set_output(0, ctx.input_dtype(1), std::move(shape));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& condition = ctx.input(0);
    const Tensor& x = ctx.input(1);
    const Tensor& y = ctx.input(2);
    Tensor& out = ctx.output(0);
    const bool known = visit_dtype(x.dtype(), AllTypes{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const auto* pc = condition.data<storage_t<bool>>();
      const auto* px = x.data<storage_t<T>>();
      const auto* py = y.data<storage_t<T>>();
      auto* po = out.data<storage_t<T>>();
      for_each_broadcast<3>(out.shape(),
                            std::array<Shape, 3>{condition.shape(), x.shape(), y.shape()},
                            [&](std::int64_t i, const std::array<std::int64_t, 3>& offsets) {
                              po[i] = load<bool>(pc[offsets[0]]) ? px[offsets[1]] : py[offsets[2]];
                            });
    });
    return known ? Status::ok() : unexpected_dtype(x.dtype());
  }
};

}  // namespace

OpDef where_op() { return {"", "Where", 9, &make_kernel<WhereKernel>}; }

}  // namespace edgebench::engine::ops
