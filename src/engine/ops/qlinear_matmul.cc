// QLinearMatMul (opset 10): quantized numpy.matmul.
//   acc = (a - a_zero_point) x (b - b_zero_point) in int32 (exact),
//   y = saturate(round_half_even(acc * a_scale * b_scale / y_scale) + y_zero_point).
// a's scale and zero point are per tensor or per row ([M] or [..., M, 1]); b's per tensor or per
// column ([N] or [..., 1, N]); y's per tensor. The real multiplier is formed in double.
#include "matmul_util.h"
#include "quant_util.h"

namespace edgebench::engine::ops {
namespace {

enum Input : std::size_t {
  kA = 0,
  kAScale,
  kAZeroPoint,
  kB,
  kBScale,
  kBZeroPoint,
  kYScale,
  kYZeroPoint,
  kInputCount
};

class QLinearMatMulKernel final : public OpKernel {
 public:
  explicit QLinearMatMulKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(kInputCount, kInputCount));
    for (std::size_t i : {kA, kB, kYZeroPoint}) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, {DType::kUInt8, DType::kInt8}));
    }
    for (std::size_t i : {kAScale, kBScale, kYScale}) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, {DType::kFloat32}));
    }
    EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, kAZeroPoint, kA));
    EB_RETURN_IF_ERROR(expect_zero_point_dtype(ctx, kBZeroPoint, kB));
    auto geometry = matmul_geometry(ctx.input_shape(kA), ctx.input_shape(kB));
    if (!geometry.is_ok()) return ctx.error(geometry.status().message());
    const std::pair<std::size_t, MatMulOperand> params[] = {{kAScale, MatMulOperand::kA},
                                                            {kAZeroPoint, MatMulOperand::kA},
                                                            {kBScale, MatMulOperand::kB},
                                                            {kBZeroPoint, MatMulOperand::kB}};
    for (const auto& [input, operand] : params) {
      Status st = check_matmul_param_shape(ctx.input_shape(input), *geometry, operand,
                                           fmt::format("input '{}'", ctx.node().inputs[input]));
      if (!st.is_ok()) return ctx.error(st.message());
    }
    EB_RETURN_IF_ERROR(expect_per_tensor(ctx, kYScale));
    EB_RETURN_IF_ERROR(expect_per_tensor(ctx, kYZeroPoint));
    ctx.set_output(0, ctx.input_dtype(kYZeroPoint), geometry->output_shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& a = ctx.input(kA);
    const Tensor& b = ctx.input(kB);
    auto geometry_or = matmul_geometry(a.shape(), b.shape());
    if (!geometry_or.is_ok()) return geometry_or.status();
    const MatMulGeometry& g = *geometry_or;
    const std::vector<std::int32_t> acc =
        integer_matmul(g, a, &ctx.input(kAZeroPoint), b, &ctx.input(kBZeroPoint));

    const Tensor& a_scale = ctx.input(kAScale);
    const Tensor& b_scale = ctx.input(kBScale);
    const std::vector<std::int64_t> a_scale_index =
        matmul_param_index(a_scale.shape(), g, MatMulOperand::kA);
    const std::vector<std::int64_t> b_scale_index =
        matmul_param_index(b_scale.shape(), g, MatMulOperand::kB);
    const double y_scale = ctx.input(kYScale).element_as_double(0);
    const std::int64_t y_zero_point = ctx.input(kYZeroPoint).element_as_int64(0);

    Tensor& y = ctx.output(0);
    auto requantize = [&](auto* tag) {
      using Q = std::remove_pointer_t<decltype(tag)>;
      Q* out = y.data<Q>();
      const std::int64_t m = g.m;
      const std::int64_t n = g.n;
      for (std::int64_t batch = 0; batch < g.batch_count(); ++batch) {
        for (std::int64_t i = 0; i < m; ++i) {
          const double sa = a_scale.element_as_double(
              a_scale_index[static_cast<std::size_t>(g.a_matrix[batch] * m + i)]);
          for (std::int64_t j = 0; j < n; ++j) {
            const double sb = b_scale.element_as_double(
                b_scale_index[static_cast<std::size_t>(g.b_matrix[batch] * n + j)]);
            const std::int64_t o = (batch * m + i) * n + j;
            out[o] = quantize_value<Q>(acc[static_cast<std::size_t>(o)] * (sa * sb / y_scale),
                                       y_zero_point);
          }
        }
      }
    };
    if (y.dtype() == DType::kInt8) {
      requantize(static_cast<std::int8_t*>(nullptr));
    } else {
      requantize(static_cast<std::uint8_t*>(nullptr));
    }
    return Status::ok();
  }
};

}  // namespace

OpDef qlinear_matmul_op() { return {"", "QLinearMatMul", 10, &make_kernel<QLinearMatMulKernel>}; }

}  // namespace edgebench::engine::ops
