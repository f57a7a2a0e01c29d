// ScatterElements: a copy of `data` where, for each position i... of `indices`, the element at
// i... with the axis coordinate replaced by indices[i...] becomes updates[i...] (or is combined
// with it: `reduction` add/mul from opset 16, max/min from 18). ONNX opsets 11, 13, 16, 18;
// also the deprecated Scatter (opsets 9, 10), which is ScatterElements without reduction.
// Index values are checked while the kernel runs.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

using tensor_family::ScatterReduction;

class ScatterElementsKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", 0));
    ScatterReduction reduction = ScatterReduction::kNone;
    if (ctx.node.op_type == "ScatterElements") {
      EB_ASSIGN_OR_RETURN(reduction, tensor_family::parse_scatter_reduction(ctx));
    }
    return std::unique_ptr<OpKernel>(new ScatterElementsKernel(axis, reduction));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 3));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt32, DType::kInt64}));
    const Shape& data = ctx.input_shape(0);
    const Shape& indices = ctx.input_shape(1);
    if (data.empty()) return ctx.error("input 'data' must have rank >= 1");
    auto axis = normalize_axis(axis_, ctx.input_rank(0));
    if (!axis.is_ok())
      return ctx.error(fmt::format("attribute 'axis': {}", axis.status().message()));
    if (ctx.input_dtype(2) != ctx.input_dtype(0) || ctx.input_shape(2) != indices) {
      return ctx.error(
          fmt::format("'updates' {}{} must match 'indices' {} with the dtype of "
                      "'data' ({})",
                      dtype_name(ctx.input_dtype(2)), shape_to_string(ctx.input_shape(2)),
                      shape_to_string(indices), dtype_name(ctx.input_dtype(0))));
    }
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
    EB_RETURN_IF_ERROR(tensor_family::check_scatter_reduction(ctx, reduction_, ctx.input_dtype(0)));
    ctx.set_output(0, ctx.input_dtype(0), data);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const Tensor& updates = ctx.input(2);
    Tensor& y = ctx.output(0);
    if (data.byte_size() > 0) std::memcpy(y.raw_data(), data.raw_data(), data.byte_size());
    const int axis = axis_ < 0 ? static_cast<int>(axis_) + data.rank() : static_cast<int>(axis_);
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t dim = data.dim(axis);
    const std::vector<std::int64_t> data_strides = strides_of(data.shape());
    const Shape& shape = indices.shape();
    const std::size_t elem = dtype_size(data.dtype());
    auto* out = static_cast<std::byte*>(y.raw_data());
    const auto* src = static_cast<const std::byte*>(updates.raw_data());
    std::vector<std::int64_t> index(shape.size(), 0);
    std::int64_t base = 0;  // output offset of `index` with the axis coordinate at 0
    for (std::int64_t i = 0; i < indices.element_count(); ++i) {
      std::int64_t position = indices.element_as_int64(i);
      if (position < -dim || position >= dim) {
        return out_of_range(
            fmt::format("index {} (indices element {}) is out of range for axis "
                        "{} of length {}",
                        position, i, axis, dim));
      }
      if (position < 0) position += dim;
      tensor_family::scatter_elements(
          reduction_, data.dtype(),
          out + static_cast<std::size_t>(base + position * data_strides[a]) * elem,
          src + static_cast<std::size_t>(i) * elem, 1);
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
  ScatterElementsKernel(std::int64_t axis, ScatterReduction reduction)
      : axis_(axis), reduction_(reduction) {}
  std::int64_t axis_;
  ScatterReduction reduction_;
};

}  // namespace

OpDef scatter_elements_op() {
  return {"", "ScatterElements", 11, &make_kernel<ScatterElementsKernel>};
}

// The deprecated name (opsets 9 and 10) of the same op.
OpDef scatter_op() { return {"", "Scatter", 9, &make_kernel<ScatterElementsKernel>}; }

}  // namespace edgebench::engine::ops
