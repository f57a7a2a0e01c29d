// Compress: keeps the slices along `axis` (or the elements of the flattened input when there
// is no axis) whose `condition` entry is true. ONNX opsets 9, 11 (negative axis). A condition
// shorter than the axis drops the rest; true entries beyond the axis are an error. The output
// length depends on the condition's value.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class CompressKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<CompressKernel>(new CompressKernel());
    if (ctx.node.attributes.has("axis")) {
      EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", 0));
      kernel->axis_ = axis;
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kBool}));
    if (ctx.input_rank(1) != 1) {
      return ctx.error(fmt::format("'condition' must be 1-D, got shape {}",
                                   shape_to_string(ctx.input_shape(1))));
    }
    const Shape& in = ctx.input_shape(0);
    Shape out{element_count(in)};
    std::size_t a = 0;
    if (axis_) {
      auto axis = normalize_axis(*axis_, ctx.input_rank(0));
      if (!axis.is_ok() || in.empty()) {
        return ctx.error(
            fmt::format("attribute 'axis' {} is out of range for rank {}", *axis_, in.size()));
      }
      a = static_cast<std::size_t>(*axis);
      out = in;
    }
    EB_ASSIGN_OR_RETURN(const Tensor* condition, ctx.require_value(1));
    const bool* keep = condition->data<bool>();
    std::int64_t kept = 0;
    for (std::int64_t i = 0; i < condition->element_count(); ++i) {
      if (!keep[i]) continue;
      if (i >= out[a]) {
        return ctx.error(
            fmt::format("'condition' is true at {}, beyond the axis length {}", i, out[a]));
      }
      ++kept;
    }
    out[a] = kept;
    ctx.set_output(0, ctx.input_dtype(0), std::move(out));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& condition = ctx.input(1);
    std::size_t a = 0;
    Shape shape{x.element_count()};
    if (axis_) {
      a = static_cast<std::size_t>(*axis_ < 0 ? *axis_ + x.rank() : *axis_);
      shape = x.shape();
    }
    const std::int64_t outer = tensor_family::dims_product(shape, 0, a);
    const std::int64_t dim = shape[a];
    const std::size_t block =
        static_cast<std::size_t>(tensor_family::dims_product(shape, a + 1, shape.size())) *
        dtype_size(x.dtype());
    const std::int64_t length = std::min(dim, condition.element_count());
    const bool* keep = condition.data<bool>();
    const auto* src = static_cast<const std::byte*>(x.raw_data());
    auto* dst = static_cast<std::byte*>(ctx.output(0).raw_data());
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t j = 0; j < length; ++j) {
        if (!keep[j] || block == 0) continue;
        std::memcpy(dst, src + static_cast<std::size_t>(o * dim + j) * block, block);
        dst += block;
      }
    }
    return Status::ok();
  }

 private:
  CompressKernel() = default;
  std::optional<std::int64_t> axis_;
};

}  // namespace

OpDef compress_op() { return {"", "Compress", 9, &make_kernel<CompressKernel>}; }

}  // namespace edgebench::engine::ops
