// GatherElements: out[i...] = data[i... with axis coordinate replaced by indices[i...]].
// ONNX opsets 11, 13. `indices` has data's rank; its dims off the axis may not exceed data's.
// Index values are checked while the kernel runs (error status when out of range).
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class GatherElementsKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", 0));
    return std::unique_ptr<OpKernel>(new GatherElementsKernel(axis));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt32, DType::kInt64}));
    const Shape& data = ctx.input_shape(0);
    const Shape& indices = ctx.input_shape(1);
    if (data.empty()) return ctx.error("input 'data' must have rank >= 1");
    auto axis = normalize_axis(axis_, ctx.input_rank(0));
    if (!axis.is_ok())
      return ctx.error(fmt::format("attribute 'axis': {}", axis.status().message()));
    if (indices.size() != data.size()) {
      return ctx.error(fmt::format("'indices' {} must have the rank of 'data' {}",
                                   shape_to_string(indices), shape_to_string(data)));
    }
    for (std::size_t d = 0; d < data.size(); ++d) {
      if (static_cast<int>(d) != *axis && indices[d] > data[d]) {
        return ctx.error(fmt::format("'indices' {} exceeds 'data' {} on axis {}",
                                     shape_to_string(indices), shape_to_string(data), d));
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), indices);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    Tensor& y = ctx.output(0);
    const int axis = axis_ < 0 ? static_cast<int>(axis_) + data.rank() : static_cast<int>(axis_);
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t dim = data.dim(axis);
    const std::vector<std::int64_t> data_strides = strides_of(data.shape());
    const Shape& shape = indices.shape();
    const std::size_t elem = dtype_size(data.dtype());
    const auto* src = static_cast<const std::byte*>(data.raw_data());
    auto* dst = static_cast<std::byte*>(y.raw_data());
    std::vector<std::int64_t> index(shape.size(), 0);
    std::int64_t base = 0;  // data offset of `index` with the axis coordinate at 0
    for (std::int64_t i = 0; i < indices.element_count(); ++i) {
      std::int64_t position = indices.element_as_int64(i);
      if (position < -dim || position >= dim) {
        return out_of_range(
            fmt::format("index {} (indices element {}) is out of range for axis "
                        "{} of length {}",
                        position, i, axis, dim));
      }
      if (position < 0) position += dim;
      std::memcpy(dst + static_cast<std::size_t>(i) * elem,
                  src + static_cast<std::size_t>(base + position * data_strides[a]) * elem, elem);
      for (std::size_t d = shape.size(); d-- > 0;) {
        ++index[d];
        if (d != a) base += data_strides[d];
        if (index[d] < shape[d]) break;
        if (d != a) base -= data_strides[d] * index[d];
        index[d] = 0;
      }
    }
    return Status::ok();
  }

 private:
  explicit GatherElementsKernel(std::int64_t axis) : axis_(axis) {}
  std::int64_t axis_;
};

}  // namespace

OpDef gather_elements_op() {
  return {"", "GatherElements", 11, &make_kernel<GatherElementsKernel>};
}

}  // namespace edgebench::engine::ops
