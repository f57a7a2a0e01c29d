// Resize: nearest, N-linear and N-cubic resampling. Opsets 10 (scales input, asymmetric
// coordinates), 11 (roi, scales, sizes; coordinate_transformation_mode, nearest_mode, cubic),
// 13 (optional inputs; tf_half_pixel_for_nn removed), 18 (antialias, axes,
// keep_aspect_ratio_policy). The math lives in resize_util.cc, shared with Upsample.
#include "resize_util.h"

namespace edgebench::engine::ops {
namespace {

class ResizeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(ResizeAttributes attributes,
                        parse_resize_attributes(ctx.node.attributes, ctx.opset));
    return std::unique_ptr<OpKernel>(new ResizeKernel(std::move(attributes), ctx.opset));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(opset_ < 11 ? ctx.expect_input_count(2, 2) : ctx.expect_input_count(1, 4));
    EB_RETURN_IF_ERROR(
        expect_numeric_input(ctx, 0, /*with_bool=*/attributes_.mode == ResizeMode::kNearest));
    // Only the non-empty one of scales and sizes decides the shape. roi's values do not: a
    // run-time roi is checked at run time.
    const Tensor* inputs[4] = {nullptr, nullptr, nullptr, nullptr};
    for (std::size_t i : {scales_input(), sizes_input()}) {
      if (ctx.has_input(i) && element_count(ctx.input_shape(i)) > 0) {
        EB_ASSIGN_OR_RETURN(inputs[i], ctx.require_value(i));
      }
    }
    const bool roi_known = opset_ < 11 || !ctx.has_input(1) || ctx.input_value(1) != nullptr;
    auto geometry =
        resolve(opset_ >= 11 ? ctx.input_value(1) : nullptr, inputs[scales_input()],
                opset_ >= 11 ? inputs[sizes_input()] : nullptr, ctx.input_shape(0), roi_known);
    if (!geometry.is_ok()) return geometry.status().with_context(ctx.node().describe());
    auto bytes = checked_byte_size(ctx.input_dtype(0), geometry->output_shape);
    if (!bytes.is_ok()) return bytes.status().with_context(ctx.node().describe());
    ctx.set_output(0, ctx.input_dtype(0), geometry->output_shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    auto input = [&](std::size_t i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
    EB_ASSIGN_OR_RETURN(
        ResizeGeometry geometry,
        resolve(opset_ >= 11 ? input(1) : nullptr, input(scales_input()),
                opset_ >= 11 ? input(sizes_input()) : nullptr, ctx.input(0).shape()));
    return resize(attributes_, geometry, ctx.input(0), ctx.output(0), ctx.thread_pool());
  }

 private:
  ResizeKernel(ResizeAttributes attributes, std::int64_t opset)
      : attributes_(std::move(attributes)), opset_(opset) {}

  std::size_t scales_input() const { return opset_ < 11 ? 1 : 2; }
  std::size_t sizes_input() const { return 3; }  // opset 11 on

  Result<ResizeGeometry> resolve(const Tensor* roi, const Tensor* scales, const Tensor* sizes,
                                 const Shape& input, bool roi_known = true) const {
    ResizeTargets targets;
    targets.roi_known = roi_known;
    // roi only matters for tf_crop_and_resize; other modes ignore it, whatever it holds.
    if (roi != nullptr && attributes_.transform == CoordinateTransform::kTfCropAndResize) {
      EB_ASSIGN_OR_RETURN(targets.roi, read_float_list(*roi, "input 'roi'"));
    }
    if (scales != nullptr) {
      EB_ASSIGN_OR_RETURN(targets.scales, read_float_list(*scales, "input 'scales'"));
    }
    if (sizes != nullptr) {
      EB_ASSIGN_OR_RETURN(targets.sizes, read_int_list(*sizes, "input 'sizes'", {DType::kInt64}));
    }
    return resolve_resize_geometry(attributes_, input, targets);
  }

  ResizeAttributes attributes_;
  std::int64_t opset_;
};

}  // namespace

OpDef resize_op() { return {"", "Resize", 10, &make_kernel<ResizeKernel>}; }

}  // namespace edgebench::engine::ops
