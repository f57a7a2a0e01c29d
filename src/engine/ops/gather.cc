// Gather: picks slices of `data` along one axis at the positions in `indices` (int32 or
// int64; negative counts from the end). ONNX opsets 1, 11 (negative axis and indices), 13.
// Indices are data, so they are checked while the kernel runs: an index outside the axis is
// an error status, never an out-of-bounds read.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class GatherKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", 0));
    return std::unique_ptr<OpKernel>(new GatherKernel(axis));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt32, DType::kInt64}));
    const Shape& data = ctx.input_shape(0);
    const int rank = ctx.input_rank(0);
    if (rank == 0) return ctx.error("input 'data' must have rank >= 1");
    auto axis = normalize_axis(axis_, rank);
    if (!axis.is_ok())
      return ctx.error(fmt::format("attribute 'axis': {}", axis.status().message()));
    const auto a = static_cast<std::size_t>(*axis);
    Shape out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(a));
    const Shape& indices = ctx.input_shape(1);
    out.insert(out.end(), indices.begin(), indices.end());
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(a) + 1, data.end());
    return tensor_family::set_checked_output(ctx, 0, ctx.input_dtype(0), std::move(out));
  }

  Status run(KernelContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const int axis = axis_ < 0 ? static_cast<int>(axis_) + data.rank() : static_cast<int>(axis_);
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t dim = data.dim(axis);
    const std::int64_t outer = tensor_family::dims_product(data.shape(), 0, a);
    const std::size_t block = static_cast<std::size_t>(tensor_family::dims_product(
                                  data.shape(), a + 1, data.shape().size())) *
                              dtype_size(data.dtype());
    const std::int64_t count = indices.element_count();
    const auto* src = static_cast<const std::byte*>(data.raw_data());
    auto* dst = static_cast<std::byte*>(ctx.output(0).raw_data());
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t index = indices.element_as_int64(k);
      if (index < -dim || index >= dim) {
        return out_of_range(
            fmt::format("index {} (indices element {}) is out of range for "
                        "axis {} of length {}",
                        index, k, axis, dim));
      }
    }
    if (block == 0) return Status::ok();
    // One item per output block (outer index o, indices element k), numbered o * count + k.
    parallel_outer(ctx.thread_pool(), outer * count, static_cast<std::int64_t>(block / 4) + 1,
                   [&](std::int64_t first, std::int64_t last) {
                     for (std::int64_t item = first; item < last; ++item) {
                       const std::int64_t o = item / count;
                       std::int64_t index = indices.element_as_int64(item % count);
                       if (index < 0) index += dim;
                       std::memcpy(dst + static_cast<std::size_t>(item) * block,
                                   src + static_cast<std::size_t>(o * dim + index) * block, block);
                     }
                   });
    return Status::ok();
  }

 private:
  explicit GatherKernel(std::int64_t axis) : axis_(axis) {}
  std::int64_t axis_;
};

}  // namespace

OpDef gather_op() { return {"", "Gather", 1, &make_kernel<GatherKernel>}; }

}  // namespace edgebench::engine::ops
