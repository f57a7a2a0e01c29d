// MatMul: numpy.matmul semantics (1-D operands promoted, batch dims broadcast).
// Opset 1: float types; opset 9 adds int32/int64/uint32/uint64; opset 13 bfloat16 (not here).
// Float types accumulate in double and round once; integer types wrap like NumPy.
#include "matmul_util.h"

namespace edgebench::engine::ops {
namespace {

// The arithmetic for one element type: what to accumulate in and how to load and store.
template <typename T>
struct MatMulMath {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>;
  static Acc load(T v) { return static_cast<Acc>(v); }
  static T store(Acc v) { return static_cast<T>(v); }
};
// float16 is stored as its bits.
struct HalfTag {};
template <>
struct MatMulMath<HalfTag> {
  using Acc = double;
  static Acc load(std::uint16_t v) { return half_to_float(v); }
  static std::uint16_t store(Acc v) { return float_to_half(static_cast<float>(v)); }
};

template <typename T, typename Storage = T>
void matmul_typed(const MatMulGeometry& g, const Tensor& a, const Tensor& b, Tensor& y) {
  using Math = MatMulMath<T>;
  using Acc = typename Math::Acc;
  const Storage* a_data = a.data<Storage>();
  const Storage* b_data = b.data<Storage>();
  Storage* out = y.data<Storage>();
  const std::int64_t m = g.m;
  const std::int64_t k = g.k;
  const std::int64_t n = g.n;
  for (std::int64_t batch = 0; batch < g.batch_count(); ++batch) {
    const Storage* a_matrix = a_data + g.a_matrix[batch] * m * k;
    const Storage* b_matrix = b_data + g.b_matrix[batch] * k * n;
    Storage* y_matrix = out + batch * m * n;
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        Acc acc = 0;
        for (std::int64_t p = 0; p < k; ++p) {
          acc += Math::load(a_matrix[i * k + p]) * Math::load(b_matrix[p * n + j]);
        }
        y_matrix[i * n + j] = Math::store(acc);
      }
    }
  }
}

class MatMulKernel final : public OpKernel {
 public:
  explicit MatMulKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt32,
                                   DType::kInt64, DType::kUInt32, DType::kUInt64}));
    if (ctx.input_dtype(1) != ctx.input_dtype(0)) {
      return ctx.error(fmt::format("inputs have different dtypes: {} and {}",
                                   dtype_name(ctx.input_dtype(0)), dtype_name(ctx.input_dtype(1))));
    }
    auto geometry = matmul_geometry(ctx.input_shape(0), ctx.input_shape(1));
    if (!geometry.is_ok()) return ctx.error(geometry.status().message());
    ctx.set_output(0, ctx.input_dtype(0), geometry->output_shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& y = ctx.output(0);
    auto geometry = matmul_geometry(a.shape(), b.shape());
    if (!geometry.is_ok()) return geometry.status();
    if (a.dtype() == DType::kFloat16) {
      matmul_typed<HalfTag, std::uint16_t>(*geometry, a, b, y);
      return Status::ok();
    }
    return dispatch_types<float, double, std::int32_t, std::int64_t, std::uint32_t, std::uint64_t>(
        a.dtype(), "MatMul", [&](auto* tag) {
          using T = std::remove_pointer_t<decltype(tag)>;
          matmul_typed<T>(*geometry, a, b, y);
        });
  }
};

}  // namespace

OpDef matmul_op() { return {"", "MatMul", 1, &make_kernel<MatMulKernel>}; }

}  // namespace edgebench::engine::ops
