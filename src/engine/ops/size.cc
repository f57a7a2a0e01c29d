// Size: the input's element count as an int64 scalar. ONNX opsets 1, 13.
#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class SizeKernel final : public OpKernel {
 public:
  explicit SizeKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    ctx.set_output(0, DType::kInt64, {});
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    *ctx.output(0).data<std::int64_t>() = ctx.input(0).element_count();
    return Status::ok();
  }
};

}  // namespace

OpDef size_op() { return {"", "Size", 1, &make_kernel<SizeKernel>}; }

}  // namespace edgebench::engine::ops
