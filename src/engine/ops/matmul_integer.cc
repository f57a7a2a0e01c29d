// MatMulInteger (opset 10): Y = (A - a_zero_point) x (B - b_zero_point) as int32, numpy.matmul
// semantics. A and B are uint8 or int8; each zero point is optional (0), per tensor, per row of
// A ([M] or [..., M, 1]) or per column of B ([N] or [..., 1, N]).
#include <algorithm>

#include "matmul_util.h"
#include "quant_util.h"

namespace edgebench::engine::ops {
namespace {

class MatMulIntegerKernel final : public OpKernel {
 public:
  explicit MatMulIntegerKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 4));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kUInt8, DType::kInt8}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kUInt8, DType::kInt8}));
    auto geometry = matmul_geometry(ctx.input_shape(0), ctx.input_shape(1));
    if (!geometry.is_ok()) return ctx.error(geometry.status().message());
    constexpr MatMulOperand kOperands[] = {MatMulOperand::kA, MatMulOperand::kB};
    for (std::size_t i = 2; i < 4; ++i) {
      if (!ctx.has_input(i)) continue;
      EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, i, i - 2));
      Status st = check_matmul_param_shape(ctx.input_shape(i), *geometry, kOperands[i - 2],
                                           fmt::format("zero point '{}'", ctx.node().inputs[i]));
      if (!st.is_ok()) return ctx.error(st.message());
    }
    ctx.set_output(0, DType::kInt32, geometry->output_shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    auto geometry = matmul_geometry(a.shape(), b.shape());
    if (!geometry.is_ok()) return geometry.status();
    const std::vector<std::int32_t> acc =
        integer_matmul(*geometry, a, ctx.has_input(2) ? &ctx.input(2) : nullptr, b,
                       ctx.has_input(3) ? &ctx.input(3) : nullptr);
    std::copy(acc.begin(), acc.end(), ctx.output(0).data<std::int32_t>());
    return Status::ok();
  }
};

}  // namespace

OpDef matmul_integer_op() { return {"", "MatMulInteger", 10, &make_kernel<MatMulIntegerKernel>}; }

}  // namespace edgebench::engine::ops
