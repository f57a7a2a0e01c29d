// Squeeze: removes length-1 axes. ONNX opsets 1 and 11 (`axes` attribute; 11 allows negative
// axes), 13 (optional `axes` input). Without axes every length-1 axis is removed.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class SqueezeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<SqueezeKernel>(new SqueezeKernel());
    kernel->axes_from_input_ = ctx.opset == 0 || ctx.opset >= 13;
    if (!kernel->axes_from_input_ && ctx.node.attributes.has("axes")) {
      EB_ASSIGN_OR_RETURN(std::vector<std::int64_t> axes, ctx.node.attributes.get_ints("axes", {}));
      kernel->axes_attr_ = std::move(axes);
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, axes_from_input_ ? 2 : 1));
    std::optional<std::vector<std::int64_t>> axes = axes_attr_;
    if (ctx.has_input(1)) {
      EB_ASSIGN_OR_RETURN(axes, tensor_family::require_int_list(ctx, 1, "axes"));
    }
    const Shape& in = ctx.input_shape(0);
    std::vector<bool> removed(in.size(), false);
    if (axes) {
      auto normalized = tensor_family::normalize_axes(*axes, ctx.input_rank(0));
      if (!normalized.is_ok())
        return ctx.error(fmt::format("'axes': {}", normalized.status().message()));
      for (int a : *normalized) {
        if (in[static_cast<std::size_t>(a)] != 1) {
          return ctx.error(fmt::format("cannot squeeze axis {} of length {} (shape {})", a,
                                       in[static_cast<std::size_t>(a)], shape_to_string(in)));
        }
        removed[static_cast<std::size_t>(a)] = true;
      }
    } else {
      for (std::size_t d = 0; d < in.size(); ++d) removed[d] = in[d] == 1;
    }
    Shape out;
    for (std::size_t d = 0; d < in.size(); ++d) {
      if (!removed[d]) out.push_back(in[d]);
    }
    ctx.set_output(0, ctx.input_dtype(0), std::move(out));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.byte_size() > 0) std::memcpy(ctx.output(0).raw_data(), x.raw_data(), x.byte_size());
    return Status::ok();
  }

 private:
  SqueezeKernel() = default;

  bool axes_from_input_ = true;
  std::optional<std::vector<std::int64_t>> axes_attr_;
};

}  // namespace

OpDef squeeze_op() { return {"", "Squeeze", 1, &make_kernel<SqueezeKernel>}; }

}  // namespace edgebench::engine::ops
