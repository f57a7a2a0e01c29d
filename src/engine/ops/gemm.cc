// Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A, B' = transB ? B^T : B.
// Opset 6: C required, broadcast only when the `broadcast` attribute says so (else exactly
// (M, N)); opset 7: C always unidirectionally broadcast to (M, N); opset 9 adds int32/int64/
// uint32/uint64; opset 11 makes C optional; opset 13 adds bfloat16 (not here).
// Float types accumulate in double and round once. Integer types compute exactly with
// wraparound, which needs integral alpha and beta; other values are reported unsupported.
#include <cmath>

#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

struct HalfTag {};  // float16, stored as its bits

template <typename T>
struct GemmMath {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>;
  static Acc load(T v) { return static_cast<Acc>(v); }
  static T store(Acc v) { return static_cast<T>(v); }
  // alpha and beta; for integer types they were checked to be whole numbers, so this is exact.
  static Acc from_attribute(float v) {
    if constexpr (std::is_floating_point_v<T>) {
      return v;
    } else {
      return static_cast<Acc>(static_cast<std::int64_t>(v));
    }
  }
};
template <>
struct GemmMath<HalfTag> {
  using Acc = double;
  static Acc load(std::uint16_t v) { return half_to_float(v); }
  static std::uint16_t store(Acc v) { return float_to_half(static_cast<float>(v)); }
  static Acc from_attribute(float v) { return v; }
};

bool is_integral_value(float v) {
  return std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9.0e18f;
}

class GemmKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<GemmKernel>();
    const ir::Attributes& attrs = ctx.node.attributes;
    EB_ASSIGN_OR_RETURN(kernel->alpha_, attrs.get_float("alpha", 1.0f));
    EB_ASSIGN_OR_RETURN(kernel->beta_, attrs.get_float("beta", 1.0f));
    EB_ASSIGN_OR_RETURN(const std::int64_t trans_a, attrs.get_int("transA", 0));
    EB_ASSIGN_OR_RETURN(const std::int64_t trans_b, attrs.get_int("transB", 0));
    kernel->trans_a_ = trans_a != 0;
    kernel->trans_b_ = trans_b != 0;
    kernel->c_optional_ = ctx.opset == 0 || ctx.opset >= 11;
    if (ctx.opset != 0 && ctx.opset < 7) {
      EB_ASSIGN_OR_RETURN(const std::int64_t broadcast, attrs.get_int("broadcast", 0));
      kernel->c_must_match_ = broadcast == 0;
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(c_optional_ ? 2 : 3, 3));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt32,
                                   DType::kInt64, DType::kUInt32, DType::kUInt64}));
    const DType dtype = ctx.input_dtype(0);
    for (std::size_t i = 1; i < 3; ++i) {
      if (ctx.has_input(i) && ctx.input_dtype(i) != dtype) {
        return ctx.error(fmt::format("input {} ('{}') has dtype {}; expected {} like A", i,
                                     ctx.node().inputs[i], dtype_name(ctx.input_dtype(i)),
                                     dtype_name(dtype)));
      }
    }
    if (is_integer(dtype) && (!is_integral_value(alpha_) || !is_integral_value(beta_))) {
      return ctx.unsupported_error(
          fmt::format("alpha = {} and beta = {} must be whole numbers for integer dtype {}", alpha_,
                      beta_, dtype_name(dtype)));
    }
    const Shape& a = ctx.input_shape(0);
    const Shape& b = ctx.input_shape(1);
    if (a.size() != 2 || b.size() != 2) {
      return ctx.error(fmt::format("A and B must be 2-D, got {} and {}", shape_to_string(a),
                                   shape_to_string(b)));
    }
    const std::int64_t m = trans_a_ ? a[1] : a[0];
    const std::int64_t k = trans_a_ ? a[0] : a[1];
    const std::int64_t kb = trans_b_ ? b[1] : b[0];
    const std::int64_t n = trans_b_ ? b[0] : b[1];
    if (k != kb) {
      return ctx.error(
          fmt::format("inner dims differ: A {} (transA={}) has K = {}, B {} "
                      "(transB={}) has K = {}",
                      shape_to_string(a), trans_a_, k, shape_to_string(b), trans_b_, kb));
    }
    if (ctx.has_input(2)) {
      const Shape& c = ctx.input_shape(2);
      const Shape y{m, n};
      bool fits = c.size() <= 2;
      for (std::size_t i = 0; fits && i < c.size(); ++i) {
        const std::int64_t d = c[c.size() - 1 - i];
        fits = d == 1 || d == y[1 - i];
      }
      if (c_must_match_ && c != y) {
        return ctx.error(
            fmt::format("C has shape {}; without 'broadcast' (opset {}) it must be "
                        "(M, N) = {}",
                        shape_to_string(c), ctx.opset(), shape_to_string(y)));
      }
      if (!fits) {
        return ctx.error(fmt::format("C has shape {}, which does not broadcast to (M, N) = {}",
                                     shape_to_string(c), shape_to_string(y)));
      }
    }
    ctx.set_output(0, dtype, {m, n});
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    if (a.dtype() == DType::kFloat16) {
      compute<HalfTag, std::uint16_t>(ctx);
      return Status::ok();
    }
    return dispatch_types<float, double, std::int32_t, std::int64_t, std::uint32_t, std::uint64_t>(
        a.dtype(), "Gemm", [&](auto* tag) {
          using T = std::remove_pointer_t<decltype(tag)>;
          compute<T, T>(ctx);
        });
  }

 private:
  template <typename T, typename Storage>
  void compute(KernelContext& ctx) const {
    using Math = GemmMath<T>;
    using Acc = typename Math::Acc;
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    const Tensor* c = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Tensor& y = ctx.output(0);
    const std::int64_t m = y.dim(0);
    const std::int64_t n = y.dim(1);
    const std::int64_t k = trans_a_ ? a.dim(0) : a.dim(1);
    // Element strides of A' and B' so that one loop serves every transposition.
    const std::int64_t a_row = trans_a_ ? 1 : k;
    const std::int64_t a_col = trans_a_ ? m : 1;
    const std::int64_t b_row = trans_b_ ? 1 : n;
    const std::int64_t b_col = trans_b_ ? k : 1;
    // C broadcasts along a dim of size 1 (or a missing leading dim).
    std::int64_t c_row = 0;
    std::int64_t c_col = 0;
    if (c != nullptr) {
      const Shape& cs = c->shape();
      if (cs.size() == 2) {
        c_row = cs[0] == 1 ? 0 : cs[1];
        c_col = cs[1] == 1 ? 0 : 1;
      } else if (cs.size() == 1) {
        c_col = cs[0] == 1 ? 0 : 1;
      }
    }
    const Acc alpha = Math::from_attribute(alpha_);
    const Acc beta = Math::from_attribute(beta_);
    // beta == 0 skips C entirely (as BLAS does), so that Inf or NaN in C do not leak through.
    const bool use_c = c != nullptr && beta_ != 0.0f;
    const Storage* a_data = a.data<Storage>();
    const Storage* b_data = b.data<Storage>();
    const Storage* c_data = c != nullptr ? c->data<Storage>() : nullptr;
    Storage* out = y.data<Storage>();
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        Acc acc = 0;
        for (std::int64_t p = 0; p < k; ++p) {
          acc +=
              Math::load(a_data[i * a_row + p * a_col]) * Math::load(b_data[p * b_row + j * b_col]);
        }
        Acc value = alpha * acc;
        if (use_c) value += beta * Math::load(c_data[i * c_row + j * c_col]);
        out[i * n + j] = Math::store(value);
      }
    }
  }

  float alpha_ = 1.0f;
  float beta_ = 1.0f;
  bool trans_a_ = false;
  bool trans_b_ = false;
  bool c_optional_ = true;
  bool c_must_match_ = false;  // opset 6 without `broadcast`
};

}  // namespace

OpDef gemm_op() { return {"", "Gemm", 6, &make_kernel<GemmKernel>}; }

}  // namespace edgebench::engine::ops
