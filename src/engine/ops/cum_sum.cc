// CumSum: running sums along one axis, optionally exclusive (each output leaves out its own
// element) and/or reversed. ONNX opsets 11, 14 (float16). The axis is a scalar input; it does
// not change the output shape, so a run-time axis is checked when the kernel runs. Integer
// sums wrap instead of overflowing.
#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

// Integers accumulate in the unsigned type of the same width: wrapping, not undefined overflow.
template <typename C, bool = std::is_integral_v<C>>
struct Accumulator {
  using type = C;
};
template <typename C>
struct Accumulator<C, true> {
  using type = std::make_unsigned_t<C>;
};

class CumSumKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t exclusive, ctx.node.attributes.get_int("exclusive", 0));
    EB_ASSIGN_OR_RETURN(std::int64_t reverse, ctx.node.attributes.get_int("reverse", 0));
    return std::unique_ptr<OpKernel>(new CumSumKernel(exclusive != 0, reverse != 0));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt32,
                                   DType::kInt64, DType::kUInt32, DType::kUInt64}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt32, DType::kInt64}));
    if (element_count(ctx.input_shape(1)) != 1 || ctx.input_rank(1) > 1) {
      return ctx.error(fmt::format("'axis' must be a scalar, got shape {}",
                                   shape_to_string(ctx.input_shape(1))));
    }
    if (const Tensor* axis = ctx.input_value(1)) {
      auto a = normalize_axis(axis->element_as_int64(0), ctx.input_rank(0));
      if (!a.is_ok()) return ctx.error(fmt::format("'axis': {}", a.status().message()));
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    EB_ASSIGN_OR_RETURN(const int axis, normalize_axis(ctx.input(1).element_as_int64(0), x.rank()));
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t outer = tensor_family::dims_product(x.shape(), 0, a);
    const std::int64_t dim = x.rank() == 0 ? 1 : x.dim(axis);
    const std::int64_t inner = tensor_family::dims_product(x.shape(), a + 1, x.shape().size());
    return tensor_family::dispatch_numeric(x.dtype(), "CumSum", [&](auto* storage, auto* compute) {
      using S = std::remove_pointer_t<decltype(storage)>;
      using C = std::remove_pointer_t<decltype(compute)>;
      using Acc = typename Accumulator<C>::type;
      const S* in = x.data<S>();
      S* out = y.data<S>();
      for (std::int64_t o = 0; o < outer; ++o) {
        for (std::int64_t i = 0; i < inner; ++i) {
          Acc sum = 0;
          for (std::int64_t step = 0; step < dim; ++step) {
            const std::int64_t j = reverse_ ? dim - 1 - step : step;
            const std::int64_t offset = (o * dim + j) * inner + i;
            const auto value = static_cast<Acc>(tensor_family::load_value<S, C>(in[offset]));
            if (!exclusive_) sum = static_cast<Acc>(sum + value);
            out[offset] = tensor_family::store_value<S, C>(static_cast<C>(sum));
            if (exclusive_) sum = static_cast<Acc>(sum + value);
          }
        }
      }
    });
  }

 private:
  CumSumKernel(bool exclusive, bool reverse) : exclusive_(exclusive), reverse_(reverse) {}
  bool exclusive_;
  bool reverse_;
};

}  // namespace

OpDef cum_sum_op() { return {"", "CumSum", 11, &make_kernel<CumSumKernel>}; }

}  // namespace edgebench::engine::ops
