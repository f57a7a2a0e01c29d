#include "activation_bounds.h"

namespace edgebench::passes {

std::optional<Bounds> activation_bounds(const ir::Node& node, bool attribute_bounds,
                                        const ConstantLookup& constant) {
  const bool onnx = ir::is_default_domain(node.domain);
  if (!onnx || node.outputs.size() != 1 || !node.has_input(0)) return std::nullopt;
  Bounds bounds;
  if (node.op_type == "Relu") {
    if (node.inputs.size() != 1) return std::nullopt;
    bounds.min = 0.0f;
  } else if (node.op_type == "Clip") {
    if (attribute_bounds) {
      if (node.inputs.size() != 1) return std::nullopt;
      auto min = node.attributes.get_float("min", bounds.min);
      auto max = node.attributes.get_float("max", bounds.max);
      if (!min.is_ok() || !max.is_ok()) return std::nullopt;
      bounds = {*min, *max};
    } else {
      if (node.inputs.size() > 3) return std::nullopt;
      float* targets[] = {&bounds.min, &bounds.max};
      for (std::size_t i = 1; i < 3; ++i) {
        if (!node.has_input(i)) continue;
        const Tensor* t = constant(node.inputs[i]);
        if (t == nullptr || t->dtype() != DType::kFloat32 || t->element_count() != 1) {
          return std::nullopt;
        }
        *targets[i - 1] = t->data<float>()[0];
      }
    }
  } else {
    return std::nullopt;
  }
  if (!(bounds.min <= bounds.max)) return std::nullopt;
  return bounds;
}

}  // namespace edgebench::passes
