// CastLike: converts input 0 to the dtype of input 1 (whose values are not read), as Cast
// does. ONNX opset 15.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

class CastLikeKernel final : public OpKernel {
 public:
  explicit CastLikeKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, AllTypes{}));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 1, AllTypes{}));
    ctx.set_output(0, ctx.input_dtype(1), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    cast_elements(ctx.input(0), ctx.output(0), ctx.thread_pool());
    return Status::ok();
  }
};

}  // namespace

OpDef cast_like_op() { return {"", "CastLike", 15, &make_kernel<CastLikeKernel>}; }

}  // namespace edgebench::engine::ops
