// ScatterND: a copy of `data` where each index tuple in the last axis of `indices` addresses a
// slice that is replaced by (or, with `reduction`, combined with) the matching slice of
// `updates`. ONNX opsets 11, 13, 16 (add/mul), 18 (max/min). Index values are checked while
// the kernel runs.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

using tensor_family::ScatterReduction;

class ScatterNDKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(ScatterReduction reduction, tensor_family::parse_scatter_reduction(ctx));
    return std::unique_ptr<OpKernel>(new ScatterNDKernel(reduction));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 3));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt64, DType::kInt32}));
    const Shape& data = ctx.input_shape(0);
    const Shape& indices = ctx.input_shape(1);
    if (data.empty() || indices.empty()) return ctx.error("'data' and 'indices' need rank >= 1");
    const std::int64_t m = indices.back();
    if (m < 1 || m > static_cast<std::int64_t>(data.size())) {
      return ctx.error(fmt::format("the last dim of 'indices' {} must be in [1, {}]",
                                   shape_to_string(indices), data.size()));
    }
    Shape expected(indices.begin(), indices.end() - 1);
    expected.insert(expected.end(), data.begin() + m, data.end());
    if (ctx.input_dtype(2) != ctx.input_dtype(0) || ctx.input_shape(2) != expected) {
      return ctx.error(fmt::format("'updates' is {}{}, expected {}{}",
                                   dtype_name(ctx.input_dtype(2)),
                                   shape_to_string(ctx.input_shape(2)),
                                   dtype_name(ctx.input_dtype(0)), shape_to_string(expected)));
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
    const Shape& ds = data.shape();
    const auto m = static_cast<std::size_t>(indices.shape().back());
    const std::vector<std::int64_t> strides = strides_of(ds);
    const std::int64_t slice = tensor_family::dims_product(ds, m, ds.size());
    const std::int64_t tuples = m == 0 ? 0 : indices.element_count() / static_cast<std::int64_t>(m);
    const std::size_t elem = dtype_size(data.dtype());
    auto* out = static_cast<std::byte*>(y.raw_data());
    const auto* src = static_cast<const std::byte*>(updates.raw_data());
    for (std::int64_t t = 0; t < tuples; ++t) {
      std::int64_t offset = 0;
      for (std::size_t j = 0; j < m; ++j) {
        const std::int64_t k = t * static_cast<std::int64_t>(m) + static_cast<std::int64_t>(j);
        std::int64_t position = indices.element_as_int64(k);
        if (position < -ds[j] || position >= ds[j]) {
          return out_of_range(
              fmt::format("index {} (indices element {}) is out of range for "
                          "data axis {} of length {}",
                          position, k, j, ds[j]));
        }
        if (position < 0) position += ds[j];
        offset += position * strides[j];
      }
      tensor_family::scatter_elements(reduction_, data.dtype(),
                                      out + static_cast<std::size_t>(offset) * elem,
                                      src + static_cast<std::size_t>(t * slice) * elem, slice);
    }
    return Status::ok();
  }

 private:
  explicit ScatterNDKernel(ScatterReduction reduction) : reduction_(reduction) {}
  ScatterReduction reduction_;
};

}  // namespace

OpDef scatter_nd_op() { return {"", "ScatterND", 11, &make_kernel<ScatterNDKernel>}; }

}  // namespace edgebench::engine::ops
