// Trilu: keeps the upper (column - row >= k) or lower (column - row <= k) triangle of each
// matrix in the last two axes and zeroes the rest. ONNX opset 14; k is an optional scalar
// input read when the kernel runs (it does not change the shape).
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class TriluKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t upper, ctx.node.attributes.get_int("upper", 1));
    return std::unique_ptr<OpKernel>(new TriluKernel(upper != 0));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 2));
    if (ctx.input_rank(0) < 2) {
      return ctx.error(fmt::format("input must have rank >= 2, got shape {}",
                                   shape_to_string(ctx.input_shape(0))));
    }
    if (ctx.has_input(1)) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt64}));
      if (element_count(ctx.input_shape(1)) != 1) return ctx.error("'k' must hold one value");
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const std::int64_t k = ctx.has_input(1) ? ctx.input(1).element_as_int64(0) : 0;
    const std::int64_t rows = x.dim(x.rank() - 2);
    const std::int64_t cols = x.dim(x.rank() - 1);
    const std::int64_t matrices = rows * cols == 0 ? 0 : x.element_count() / (rows * cols);
    const std::size_t elem = dtype_size(x.dtype());
    const auto* src = static_cast<const std::byte*>(x.raw_data());
    auto* dst = static_cast<std::byte*>(y.raw_data());
    std::memset(dst, 0, y.byte_size());
    for (std::int64_t m = 0; m < matrices; ++m) {
      for (std::int64_t row = 0; row < rows; ++row) {
        for (std::int64_t col = 0; col < cols; ++col) {
          // col - row is small, so comparing it with any k is safe.
          const bool keep = upper_ ? col - row >= k : col - row <= k;
          if (!keep) continue;
          const auto offset = static_cast<std::size_t>((m * rows + row) * cols + col) * elem;
          std::memcpy(dst + offset, src + offset, elem);
        }
      }
    }
    return Status::ok();
  }

 private:
  explicit TriluKernel(bool upper) : upper_(upper) {}
  bool upper_;
};

}  // namespace

OpDef trilu_op() { return {"", "Trilu", 14, &make_kernel<TriluKernel>}; }

}  // namespace edgebench::engine::ops
