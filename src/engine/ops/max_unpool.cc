// MaxUnpool: scatters X into a zero tensor at the flat positions I (MaxPool's Indices output).
// ONNX opsets 9 and 11.
//
// The indices address the tensor MaxPool read, whose spatial size is inferred from the attributes
// as (in - 1) * stride + kernel - pad_begin - pad_end. When the optional output_shape asks for a
// larger tensor, that inferred block sits at its start and the rest is zero, as the ONNX reference
// implementation and backend test data do.
#include <fmt/format.h>

#include <cstring>

#include "conv_util.h"
#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class MaxUnpoolKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::make_unique<MaxUnpoolKernel>();
    EB_ASSIGN_OR_RETURN(kernel->window_,
                        parse_window_attributes(ctx.node, {.kernel_shape_required = true}));
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 3));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt64}));
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 3) {
      return ctx.error(
          fmt::format("input X has shape {}; expected rank 3 or more (N, C, spatial axes)",
                      shape_to_string(x)));
    }
    if (ctx.input_shape(1) != x) {
      return ctx.error(fmt::format("indices I have shape {}; expected X's shape {}",
                                   shape_to_string(ctx.input_shape(1)), shape_to_string(x)));
    }
    auto inferred = inferred_shape(x);
    if (!inferred.is_ok()) return in_node(ctx, inferred.status());
    Shape y = *inferred;
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(2, {DType::kInt64}));
      EB_ASSIGN_OR_RETURN(const Tensor* value, ctx.require_value(2));
      y = value->to_int64_vector();
      if (y.size() != x.size()) {
        return ctx.error(fmt::format("input output_shape is [{}]; expected {} values (rank of X)",
                                     fmt::join(y, ","), x.size()));
      }
      for (std::size_t d = 0; d < y.size(); ++d) {
        if (d < 2 ? y[d] != x[d] : y[d] < (*inferred)[d]) {
          return ctx.error(fmt::format(
              "input output_shape is [{}]; it must keep X's N and C and be at least the unpooled "
              "shape {} along the spatial axes",
              fmt::join(y, ","), shape_to_string(*inferred)));
        }
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), std::move(y));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& indices = ctx.input(1);
    Tensor& y = ctx.output(0);
    EB_ASSIGN_OR_RETURN(const Shape inferred, inferred_shape(x.shape()));
    const std::int64_t inferred_count = element_count(inferred);
    std::memset(y.raw_data(), 0, y.byte_size());
    const std::int64_t* id = indices.data<std::int64_t>();
    // Indices are data: check each before it addresses the output.
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      if (id[i] < 0 || id[i] >= inferred_count) {
        return invalid_argument(
            fmt::format("index {} at position {} of input I is outside the unpooled shape {}",
                        id[i], i, shape_to_string(inferred)));
      }
    }
    const std::size_t element_size = dtype_size(x.dtype());
    const auto* xd = static_cast<const std::byte*>(x.raw_data());
    auto* yd = static_cast<std::byte*>(y.raw_data());
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      // Re-address the flat index from the inferred shape to the (possibly larger) output.
      std::int64_t remaining = id[i];
      std::int64_t offset = 0;
      std::int64_t scale = 1;
      for (std::size_t d = inferred.size(); d > 0; --d) {
        offset += (remaining % inferred[d - 1]) * scale;
        remaining /= inferred[d - 1];
        scale *= y.dim(static_cast<int>(d - 1));
      }
      std::memcpy(yd + static_cast<std::size_t>(offset) * element_size,
                  xd + static_cast<std::size_t>(i) * element_size, element_size);
    }
    return Status::ok();
  }

 private:
  Result<Shape> inferred_shape(const Shape& x) const {
    const std::span<const std::int64_t> x_spatial = std::span<const std::int64_t>(x).subspan(2);
    EB_ASSIGN_OR_RETURN(const WindowGeometry g,
                        expand_window_attributes(window_, x_spatial, window_.kernel_shape));
    Shape y = {x[0], x[1]};
    for (int i = 0; i < g.rank(); ++i) {
      const auto a = static_cast<std::size_t>(i);
      auto size = checked_mul(std::max<std::int64_t>(g.input[a] - 1, 0), g.strides[a]);
      if (size) size = checked_add(*size, g.kernel[a]);
      if (size) size = checked_sub(*size, g.pads_begin[a]);
      if (size) size = checked_sub(*size, g.pads_end[a]);
      if (!size) return out_of_range(fmt::format("output size overflows along spatial axis {}", i));
      if (*size <= 0) {
        return invalid_model(fmt::format(
            "output size along spatial axis {} is {} (input {}, 'kernel_shape' {}, 'strides' {}, "
            "'pads' {} and {}); it must be positive",
            i, *size, g.input[a], g.kernel[a], g.strides[a], g.pads_begin[a], g.pads_end[a]));
      }
      y.push_back(*size);
    }
    if (!checked_element_count(y).is_ok()) {
      return out_of_range(fmt::format("output shape {} is too large", shape_to_string(y)));
    }
    return y;
  }

  WindowAttributes window_;
};

}  // namespace

OpDef max_unpool_op() { return {"", "MaxUnpool", 9, &make_kernel<MaxUnpoolKernel>}; }

}  // namespace edgebench::engine::ops
