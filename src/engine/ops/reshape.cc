// Reshape: same elements, new shape. ONNX opsets 1 (`shape` attribute), 5 (`shape` input),
// 13, 14 (`allowzero`). In the shape, 0 copies the input's dim at that position (or means a
// zero-length dim with allowzero=1) and one -1 is inferred from the element count.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

Result<Shape> reshaped_shape(const Shape& input, std::span<const std::int64_t> requested,
                             bool allow_zero) {
  Shape out(requested.begin(), requested.end());
  std::optional<std::size_t> inferred;
  bool has_zero = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t v = out[i];
    if (v == -1) {
      if (inferred) return invalid_argument("'shape' has more than one -1");
      inferred = i;
    } else if (v == 0) {
      has_zero = true;
      if (!allow_zero) {
        if (i >= input.size()) {
          return invalid_argument(fmt::format(
              "'shape' has 0 at position {}, beyond the input's rank {}", i, input.size()));
        }
        out[i] = input[i];
      }
    } else if (v < -1) {
      return invalid_argument(fmt::format("'shape' value {} is invalid", v));
    }
  }
  if (allow_zero && has_zero && inferred) {
    return invalid_argument("'shape' may not hold both 0 and -1 when allowzero is 1");
  }
  const std::int64_t total = element_count(input);
  std::int64_t known = 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (inferred && i == *inferred) continue;
    auto product = tensor_family::checked_mul(known, out[i]);
    if (!product.is_ok()) {
      return out_of_range(fmt::format("'shape' {} overflows", shape_to_string(requested)));
    }
    known = *product;
  }
  if (inferred) {
    if (known == 0 || total % known != 0) {
      return invalid_argument(fmt::format("cannot reshape {} elements (shape {}) into {}", total,
                                          shape_to_string(input), shape_to_string(requested)));
    }
    out[*inferred] = total / known;
  } else if (known != total) {
    return invalid_argument(fmt::format("cannot reshape {} elements (shape {}) into {}", total,
                                        shape_to_string(input), shape_to_string(out)));
  }
  return out;
}

class ReshapeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<ReshapeKernel>(new ReshapeKernel());
    const ir::Attributes& attrs = ctx.node.attributes;
    kernel->from_attribute_ = ctx.opset != 0 && ctx.opset < 5;
    if (kernel->from_attribute_) {
      if (!attrs.has("shape")) return invalid_model("attribute 'shape' is required before opset 5");
      EB_ASSIGN_OR_RETURN(kernel->shape_attr_, attrs.get_ints("shape", {}));
    }
    if (ctx.opset == 0 || ctx.opset >= 14) {
      EB_ASSIGN_OR_RETURN(std::int64_t allow_zero, attrs.get_int("allowzero", 0));
      if (allow_zero != 0 && allow_zero != 1) {
        return invalid_model(
            fmt::format("attribute 'allowzero' must be 0 or 1, got {}", allow_zero));
      }
      kernel->allow_zero_ = allow_zero == 1;
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    std::vector<std::int64_t> requested = shape_attr_;
    if (from_attribute_) {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    } else {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
      EB_ASSIGN_OR_RETURN(requested, tensor_family::require_int_list(ctx, 1, "shape"));
    }
    auto out = reshaped_shape(ctx.input_shape(0), requested, allow_zero_);
    if (!out.is_ok()) return ctx.error(out.status().message());
    ctx.set_output(0, ctx.input_dtype(0), std::move(out).value());
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.byte_size() > 0) std::memcpy(ctx.output(0).raw_data(), x.raw_data(), x.byte_size());
    return Status::ok();
  }

 private:
  ReshapeKernel() = default;

  bool from_attribute_ = false;
  bool allow_zero_ = false;
  std::vector<std::int64_t> shape_attr_;
};

}  // namespace

OpDef reshape_op() { return {"", "Reshape", 1, &make_kernel<ReshapeKernel>}; }

}  // namespace edgebench::engine::ops
