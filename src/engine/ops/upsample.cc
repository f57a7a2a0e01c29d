// Upsample (deprecated): opsets 7 (scales attribute) and 9 (scales input); removed in opset 10
// in favour of Resize, whose opset-10 form it matches (asymmetric coordinates, nearest or
// N-linear), so it reuses Resize's math with scales of at least 1.
#include "resize_util.h"

namespace edgebench::engine::ops {
namespace {

class UpsampleKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    if (ctx.opset >= 10) {
      return invalid_model(fmt::format(
          "Upsample was removed in opset 10 (use Resize); the model imports opset {}", ctx.opset));
    }
    // Upsample's mode attribute and coordinate rules are Resize-10's.
    EB_ASSIGN_OR_RETURN(ResizeAttributes attributes,
                        parse_resize_attributes(ctx.node.attributes, /*opset=*/10));
    auto kernel = std::unique_ptr<UpsampleKernel>(new UpsampleKernel(std::move(attributes)));
    if (ctx.opset < 9) {
      EB_ASSIGN_OR_RETURN(std::vector<float> scales, ctx.node.attributes.get_floats("scales", {}));
      if (scales.empty()) return invalid_model("attribute 'scales' is required before opset 9");
      kernel->scales_attribute_.assign(scales.begin(), scales.end());
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    const bool scales_input = scales_attribute_.empty();
    EB_RETURN_IF_ERROR(ctx.expect_input_count(scales_input ? 2 : 1, scales_input ? 2 : 1));
    EB_RETURN_IF_ERROR(
        expect_numeric_input(ctx, 0, /*with_bool=*/attributes_.mode == ResizeMode::kNearest));
    const Tensor* scales = nullptr;
    if (scales_input) {
      EB_ASSIGN_OR_RETURN(scales, ctx.require_value(1));
    }
    auto geometry = resolve(scales, ctx.input_shape(0));
    if (!geometry.is_ok()) return geometry.status().with_context(ctx.node().describe());
    auto bytes = checked_byte_size(ctx.input_dtype(0), geometry->output_shape);
    if (!bytes.is_ok()) return bytes.status().with_context(ctx.node().describe());
    ctx.set_output(0, ctx.input_dtype(0), geometry->output_shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    EB_ASSIGN_OR_RETURN(
        ResizeGeometry geometry,
        resolve(scales_attribute_.empty() ? &ctx.input(1) : nullptr, ctx.input(0).shape()));
    return resize(attributes_, geometry, ctx.input(0), ctx.output(0), ctx.thread_pool());
  }

 private:
  explicit UpsampleKernel(ResizeAttributes attributes) : attributes_(std::move(attributes)) {}

  Result<ResizeGeometry> resolve(const Tensor* scales_input, const Shape& input) const {
    ResizeTargets targets;
    targets.scales = scales_attribute_;
    if (scales_input != nullptr) {
      EB_ASSIGN_OR_RETURN(targets.scales, read_float_list(*scales_input, "input 'scales'"));
      if (targets.scales.empty()) return invalid_model("input 'scales' is empty");
    }
    return resolve_resize_geometry(attributes_, input, targets, /*min_scale=*/1.0);
  }

  ResizeAttributes attributes_;
  std::vector<double> scales_attribute_;  // opset 7
};

}  // namespace

OpDef upsample_op() { return {"", "Upsample", 7, &make_kernel<UpsampleKernel>}; }

}  // namespace edgebench::engine::ops
