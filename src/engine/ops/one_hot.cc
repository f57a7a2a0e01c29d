// OneHot: for each index, a row of `depth` elements that are values[0] ("off") except
// values[1] ("on") at the index; the new axis goes at `axis` (default -1, the last). ONNX
// opsets 9, 11 (negative indices count from the back). Indices outside [-depth, depth) give an
// all-off row, as the spec says. The depth is a value, so the output shape needs it.
#include <cmath>
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

// Reads a numeric element as int64, rejecting NaN and values beyond int64 (and truncating
// fractions, as a cast would).
Result<std::int64_t> element_as_index(const Tensor& t, std::int64_t i) {
  if (!is_floating(t.dtype())) return t.element_as_int64(i);
  const double v = t.element_as_double(i);
  if (!(std::fabs(v) < 9.2e18)) return invalid_argument(fmt::format("value {} is not an index", v));
  return static_cast<std::int64_t>(v);
}

class OneHotKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", -1));
    return std::unique_ptr<OpKernel>(new OneHotKernel(axis));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 3));
    if (ctx.input_dtype(0) == DType::kBool || ctx.input_dtype(1) == DType::kBool) {
      return ctx.error("'indices' and 'depth' must be numeric");
    }
    if (element_count(ctx.input_shape(1)) != 1 || ctx.input_rank(1) > 1) {
      return ctx.error(fmt::format("'depth' must hold one value, got shape {}",
                                   shape_to_string(ctx.input_shape(1))));
    }
    if (element_count(ctx.input_shape(2)) != 2 || ctx.input_rank(2) != 1) {
      return ctx.error(fmt::format("'values' must be [off, on], got shape {}",
                                   shape_to_string(ctx.input_shape(2))));
    }
    EB_ASSIGN_OR_RETURN(const Tensor* depth_value, ctx.require_value(1));
    auto depth = element_as_index(*depth_value, 0);
    if (!depth.is_ok() || *depth < 1) {
      return ctx.error(
          fmt::format("'depth' {} must be a positive integer", depth_value->element_as_double(0)));
    }
    const Shape& indices = ctx.input_shape(0);
    const auto out_rank = static_cast<int>(indices.size()) + 1;
    auto axis = normalize_axis(axis_, out_rank);
    if (!axis.is_ok())
      return ctx.error(fmt::format("attribute 'axis': {}", axis.status().message()));
    Shape out = indices;
    out.insert(out.begin() + *axis, *depth);
    return tensor_family::set_checked_output(ctx, 0, ctx.input_dtype(2), std::move(out));
  }

  Status run(KernelContext& ctx) override {
    const Tensor& indices = ctx.input(0);
    const Tensor& values = ctx.input(2);
    Tensor& y = ctx.output(0);
    const int axis = axis_ < 0 ? static_cast<int>(axis_) + y.rank() : static_cast<int>(axis_);
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t depth = y.dim(axis);
    const std::size_t elem = dtype_size(y.dtype());
    const auto* off = static_cast<const std::byte*>(values.raw_data());
    const std::byte* on = off + elem;
    auto* out = static_cast<std::byte*>(y.raw_data());
    tensor_family::fill_elements(out, y.element_count(), off, elem);
    // Output (outer, depth, inner) where indices is (outer, inner).
    const std::int64_t inner = tensor_family::dims_product(y.shape(), a + 1, y.shape().size());
    for (std::int64_t i = 0; i < indices.element_count(); ++i) {
      auto index = element_as_index(indices, i);
      if (!index.is_ok()) continue;  // NaN or huge: outside the range, an all-off row
      std::int64_t position = *index;
      if (position < -depth || position >= depth) continue;
      if (position < 0) position += depth;
      const std::int64_t o = i / inner;
      const std::int64_t r = i % inner;
      std::memcpy(out + static_cast<std::size_t>((o * depth + position) * inner + r) * elem, on,
                  elem);
    }
    return Status::ok();
  }

 private:
  explicit OneHotKernel(std::int64_t axis) : axis_(axis) {}
  std::int64_t axis_;
};

}  // namespace

OpDef one_hot_op() { return {"", "OneHot", 9, &make_kernel<OneHotKernel>}; }

}  // namespace edgebench::engine::ops
