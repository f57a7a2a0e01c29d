// Identity: y = x, any tensor dtype. ONNX opsets 1, 13, 14, 16 (sequence and optional values,
// which the IR does not have, are not supported).
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

class IdentityKernel final : public OpKernel {
 public:
  explicit IdentityKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, AllTypes{}));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.byte_size() != 0) std::memcpy(ctx.output(0).raw_data(), x.raw_data(), x.byte_size());
    return Status::ok();
  }
};

}  // namespace

OpDef identity_op() { return {"", "Identity", 1, &make_kernel<IdentityKernel>}; }

}  // namespace edgebench::engine::ops
