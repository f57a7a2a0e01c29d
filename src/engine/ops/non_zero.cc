// NonZero: the coordinates of the non-zero elements, as an int64 [rank, count] tensor in
// row-major order. ONNX opsets 9, 13. The count depends on the input's value. A scalar input
// is treated as a 1-element vector (as NumPy and ONNX Runtime do).
#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class NonZeroKernel final : public OpKernel {
 public:
  explicit NonZeroKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_ASSIGN_OR_RETURN(const Tensor* x, ctx.require_value(0));
    ctx.set_output(0, DType::kInt64, {std::max(x->rank(), 1), count_nonzero(*x)});
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const std::int64_t count = y.dim(1);
    const Shape& shape = x.shape();
    std::int64_t* out = y.data<std::int64_t>();
    std::vector<std::int64_t> index(shape.size(), 0);
    std::int64_t k = 0;
    for (std::int64_t i = 0; i < x.element_count() && k < count; ++i) {
      if (tensor_family::element_is_nonzero(x, i)) {
        for (std::size_t d = 0; d < shape.size(); ++d) {
          out[static_cast<std::int64_t>(d) * count + k] = index[d];
        }
        if (shape.empty()) out[k] = 0;
        ++k;
      }
      for (std::size_t d = shape.size(); d-- > 0;) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    return Status::ok();
  }

 private:
  static std::int64_t count_nonzero(const Tensor& x) {
    std::int64_t count = 0;
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      count += tensor_family::element_is_nonzero(x, i) ? 1 : 0;
    }
    return count;
  }
};

}  // namespace

OpDef non_zero_op() { return {"", "NonZero", 9, &make_kernel<NonZeroKernel>}; }

}  // namespace edgebench::engine::ops
