// Pow: z = x ^ y with broadcasting; z has x's dtype. ONNX opsets 7 (one float type), 12, 13,
// 15 (integer bases and an exponent of any numeric type). Integer ^ integer is exact (wrapping
// on overflow, like repeated multiplication); mixed integer / float pairs are computed in
// double and an integer result is rounded toward zero.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

using PowBaseTypes = TypeList<float, double, Half, std::int32_t, std::int64_t>;

template <typename B, typename E>
B integer_power(B base, E exponent) {
  if constexpr (std::is_signed_v<E>) {
    if (exponent < 0) {
      // 1 / base^n truncates to 0 except for |base| = 1; 0 ^ negative is a division by zero,
      // for which we give 0 as the integer Div does.
      if (base == 1) return B(1);
      if (base == -1) return exponent % 2 == 0 ? B(1) : B(-1);
      return B(0);
    }
  }
  auto remaining = static_cast<std::uint64_t>(exponent);
  B result = 1;
  B square = base;
  while (remaining != 0) {
    if (remaining & 1u) result = wrapping_mul(result, square);
    remaining >>= 1;
    if (remaining != 0) square = wrapping_mul(square, square);
  }
  return result;
}

template <typename B, typename E>
B power(B base, E exponent) {
  if constexpr (std::is_integral_v<B> && std::is_integral_v<E>) {
    return integer_power(base, exponent);
  } else {
    const double z = std::pow(static_cast<double>(base), static_cast<double>(exponent));
    if constexpr (std::is_floating_point_v<B>) {
      return static_cast<B>(z);
    } else {
      return saturate_cast<B>(z);
    }
  }
}

class PowKernel final : public OpKernel {
 public:
  explicit PowKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, PowBaseTypes{}));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 1, NumericTypes{}));
    const std::size_t inputs[] = {0, 1};
    EB_ASSIGN_OR_RETURN(Shape shape, broadcast_inputs(ctx, inputs));
    ctx.set_output(0, ctx.input_dtype(0), std::move(shape));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& y = ctx.input(1);
    Tensor& z = ctx.output(0);
    bool known = false;
    visit_dtype(x.dtype(), PowBaseTypes{}, [&](auto* base_tag) {
      using B = std::remove_pointer_t<decltype(base_tag)>;
      known = visit_dtype(y.dtype(), NumericTypes{}, [&](auto* exponent_tag) {
        using E = std::remove_pointer_t<decltype(exponent_tag)>;
        const auto* px = x.data<storage_t<B>>();
        const auto* py = y.data<storage_t<E>>();
        auto* pz = z.data<storage_t<B>>();
        broadcast_binary(ctx.thread_pool(), x, y, z,
                         [&](std::int64_t i, std::int64_t ix, std::int64_t iy) {
                           pz[i] = store<B>(power(load<B>(px[ix]), load<E>(py[iy])));
                         });
      });
    });
    return known ? Status::ok() : unexpected_dtype(x.dtype());
  }
};

}  // namespace

OpDef pow_op() { return {"", "Pow", 7, &make_kernel<PowKernel>}; }

}  // namespace edgebench::engine::ops
