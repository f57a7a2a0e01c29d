// GatherND: gathers slices of `data` addressed by the index tuples in the last axis of
// `indices`, optionally per batch (`batch_dims`). ONNX opsets 11, 12 (batch_dims), 13. Index
// values are checked while the kernel runs.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class GatherNDKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t batch_dims, ctx.node.attributes.get_int("batch_dims", 0));
    if (batch_dims < 0) {
      return invalid_model(fmt::format("attribute 'batch_dims' {} must be >= 0", batch_dims));
    }
    return std::unique_ptr<OpKernel>(new GatherNDKernel(static_cast<std::size_t>(batch_dims)));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt64, DType::kInt32}));
    const Shape& data = ctx.input_shape(0);
    const Shape& indices = ctx.input_shape(1);
    const std::size_t b = batch_dims_;
    if (data.empty() || indices.empty()) return ctx.error("'data' and 'indices' need rank >= 1");
    if (b >= std::min(data.size(), indices.size())) {
      return ctx.error(fmt::format("attribute 'batch_dims' {} must be below both ranks ({}, {})", b,
                                   data.size(), indices.size()));
    }
    for (std::size_t d = 0; d < b; ++d) {
      if (data[d] != indices[d]) {
        return ctx.error(fmt::format("batch dims of 'data' {} and 'indices' {} differ",
                                     shape_to_string(data), shape_to_string(indices)));
      }
    }
    const std::int64_t m = indices.back();
    if (m < 1 || m > static_cast<std::int64_t>(data.size() - b)) {
      return ctx.error(fmt::format("the last dim of 'indices' {} must be in [1, {}]",
                                   shape_to_string(indices), data.size() - b));
    }
    Shape out(indices.begin(), indices.end() - 1);
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(b) + m, data.end());
    ctx.set_output(0, ctx.input_dtype(0), std::move(out));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    const Shape& ds = data.shape();
    const Shape& is = indices.shape();
    const std::size_t b = batch_dims_;
    const auto m = static_cast<std::size_t>(is.back());
    const std::vector<std::int64_t> strides = strides_of(ds);
    const std::int64_t batches = tensor_family::dims_product(ds, 0, b);
    const std::int64_t batch_stride = tensor_family::dims_product(ds, b, ds.size());
    const std::int64_t tuples_per_batch = tensor_family::dims_product(is, b, is.size() - 1);
    const std::size_t slice_bytes =
        static_cast<std::size_t>(tensor_family::dims_product(ds, b + m, ds.size())) *
        dtype_size(data.dtype());
    const auto* src = static_cast<const std::byte*>(data.raw_data());
    auto* dst = static_cast<std::byte*>(ctx.output(0).raw_data());
    const std::size_t elem = dtype_size(data.dtype());
    std::int64_t k = 0;  // position in indices
    for (std::int64_t batch = 0; batch < batches; ++batch) {
      for (std::int64_t t = 0; t < tuples_per_batch; ++t) {
        std::int64_t offset = batch * batch_stride;
        for (std::size_t j = 0; j < m; ++j, ++k) {
          const std::int64_t dim = ds[b + j];
          std::int64_t position = indices.element_as_int64(k);
          if (position < -dim || position >= dim) {
            return out_of_range(
                fmt::format("index {} (indices element {}) is out of range for "
                            "data axis {} of length {}",
                            position, k, b + j, dim));
          }
          if (position < 0) position += dim;
          offset += position * strides[b + j];
        }
        if (slice_bytes > 0) {
          std::memcpy(dst, src + static_cast<std::size_t>(offset) * elem, slice_bytes);
        }
        dst += slice_bytes;
      }
    }
    return Status::ok();
  }

 private:
  explicit GatherNDKernel(std::size_t batch_dims) : batch_dims_(batch_dims) {}
  std::size_t batch_dims_;
};

}  // namespace

OpDef gather_nd_op() { return {"", "GatherND", 11, &make_kernel<GatherNDKernel>}; }

}  // namespace edgebench::engine::ops
