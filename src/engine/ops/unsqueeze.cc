// Unsqueeze: inserts length-1 axes at the given positions of the output. ONNX opsets 1 and 11
// (`axes` attribute; 11 allows negative axes, counted from the output's rank), 13 (`axes`
// input).
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

// Far beyond any real model; keeps the output rank well inside int.
constexpr std::size_t kMaxInsertedAxes = 1 << 16;

class UnsqueezeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<UnsqueezeKernel>(new UnsqueezeKernel());
    kernel->axes_from_input_ = ctx.opset == 0 || ctx.opset >= 13;
    if (!kernel->axes_from_input_) {
      if (!ctx.node.attributes.has("axes")) {
        return invalid_model("attribute 'axes' is required before opset 13");
      }
      EB_ASSIGN_OR_RETURN(kernel->axes_attr_, ctx.node.attributes.get_ints("axes", {}));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    std::vector<std::int64_t> axes = axes_attr_;
    if (axes_from_input_) {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
      EB_ASSIGN_OR_RETURN(axes, tensor_family::require_int_list(ctx, 1, "axes"));
    } else {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    }
    const Shape& in = ctx.input_shape(0);
    if (axes.size() > kMaxInsertedAxes) {
      return ctx.error(fmt::format("'axes' has {} values; at most {} are supported", axes.size(),
                                   kMaxInsertedAxes));
    }
    const int out_rank = ctx.input_rank(0) + static_cast<int>(axes.size());
    auto normalized = tensor_family::normalize_axes(axes, out_rank);
    if (!normalized.is_ok())
      return ctx.error(fmt::format("'axes': {}", normalized.status().message()));
    Shape out(static_cast<std::size_t>(out_rank), 1);
    std::vector<bool> inserted(out.size(), false);
    for (int a : *normalized) inserted[static_cast<std::size_t>(a)] = true;
    std::size_t next = 0;
    for (std::size_t d = 0; d < out.size(); ++d) {
      if (!inserted[d]) out[d] = in[next++];
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
  UnsqueezeKernel() = default;

  bool axes_from_input_ = true;
  std::vector<std::int64_t> axes_attr_;
};

}  // namespace

OpDef unsqueeze_op() { return {"", "Unsqueeze", 1, &make_kernel<UnsqueezeKernel>}; }

}  // namespace edgebench::engine::ops
