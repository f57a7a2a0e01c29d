// Shape: the input's dims as a 1-D int64 tensor. ONNX opsets 1, 13, 15 (`start` / `end`
// attributes select a range of axes; negative values count from the back and both are clamped
// into [0, rank]).
#include <algorithm>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class ShapeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<ShapeKernel>(new ShapeKernel());
    if (ctx.opset == 0 || ctx.opset >= 15) {
      EB_ASSIGN_OR_RETURN(kernel->start_, ctx.node.attributes.get_int("start", 0));
      if (ctx.node.attributes.has("end")) {
        EB_ASSIGN_OR_RETURN(std::int64_t end, ctx.node.attributes.get_int("end", 0));
        kernel->end_ = end;
      }
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    const auto [begin, end] = axis_range(ctx.input_rank(0));
    ctx.set_output(0, DType::kInt64, {end - begin});
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Shape& shape = ctx.input(0).shape();
    const auto [begin, end] = axis_range(static_cast<int>(shape.size()));
    auto* out = ctx.output(0).data<std::int64_t>();
    for (std::int64_t d = begin; d < end; ++d) out[d - begin] = shape[static_cast<std::size_t>(d)];
    return Status::ok();
  }

 private:
  ShapeKernel() = default;

  // [begin, end) of the axes to report; empty when start >= end.
  std::pair<std::int64_t, std::int64_t> axis_range(int rank) const {
    const std::int64_t r = rank;
    auto clamp_axis = [r](std::int64_t a) {
      return std::clamp<std::int64_t>(a < 0 ? a + r : a, 0, r);
    };
    const std::int64_t begin = clamp_axis(start_);
    const std::int64_t end = end_ ? clamp_axis(*end_) : r;
    return {begin, std::max(begin, end)};
  }

  std::int64_t start_ = 0;
  std::optional<std::int64_t> end_;
};

}  // namespace

OpDef shape_op() { return {"", "Shape", 1, &make_kernel<ShapeKernel>}; }

}  // namespace edgebench::engine::ops
