#include "fused_util.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "edgebench/engine/fused_ops.h"

namespace edgebench::engine::ops {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

class ClampedKernel final : public OpKernel {
 public:
  ClampedKernel(std::unique_ptr<OpKernel> inner, float min, float max)
      : inner_(std::move(inner)), min_(min), max_(max) {}

  Status infer(InferContext& ctx) const override {
    // Checked before the inner op so that a float64 or float16 model is reported as an
    // unsupported dtype of this op rather than accepted by Conv and then not clamped.
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    EB_RETURN_IF_ERROR(inner_->infer(ctx));
    if (ctx.num_outputs() != 1 || ctx.outputs()[0].dtype != DType::kFloat32) {
      return ctx.error("expects exactly one float32 output");
    }
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    EB_RETURN_IF_ERROR(inner_->run(ctx));
    Tensor& y = ctx.output(0);
    float* data = y.data<float>();
    const std::int64_t count = y.element_count();
    // The comparisons are Clip's, so that a fused Clip gives the same bits (NaN stays NaN).
    if (min_ != -kInfinity) {
      for (std::int64_t i = 0; i < count; ++i) data[i] = data[i] < min_ ? min_ : data[i];
    }
    if (max_ != kInfinity) {
      for (std::int64_t i = 0; i < count; ++i) data[i] = data[i] > max_ ? max_ : data[i];
    }
    return Status::ok();
  }

 private:
  std::unique_ptr<OpKernel> inner_;
  float min_;
  float max_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> create_clamped_kernel(const KernelCreateContext& ctx,
                                                        const OpDef& inner) {
  const ir::Node& node = ctx.node;
  EB_ASSIGN_OR_RETURN(const float min,
                      node.attributes.get_float(kActivationMinAttribute, -kInfinity));
  EB_ASSIGN_OR_RETURN(const float max,
                      node.attributes.get_float(kActivationMaxAttribute, kInfinity));
  if (!(min <= max)) {
    return invalid_model(fmt::format("{}: attribute '{}' ({}) must not be greater than '{}' ({})",
                                     node.describe(), kActivationMinAttribute, min,
                                     kActivationMaxAttribute, max));
  }
  ir::Node inner_node;
  inner_node.name = node.name;
  inner_node.op_type = std::string(inner.op_type);
  inner_node.domain = std::string(inner.domain);
  inner_node.inputs = node.inputs;
  inner_node.outputs = node.outputs;
  for (const auto& [name, value] : node.attributes.all()) {
    if (name != kActivationMinAttribute && name != kActivationMaxAttribute) {
      inner_node.attributes.set(name, value);
    }
  }
  auto inner_kernel = inner.create(KernelCreateContext{inner_node, kFusedInnerOpset});
  if (!inner_kernel.is_ok()) return inner_kernel.status().with_context(node.describe());
  return std::unique_ptr<OpKernel>(
      std::make_unique<ClampedKernel>(std::move(inner_kernel).value(), min, max));
}

}  // namespace edgebench::engine::ops
