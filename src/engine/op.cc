#include "edgebench/engine/op.h"

#include <fmt/format.h>

namespace edgebench::engine {

InferContext::InferContext(const ir::Node& node, std::int64_t opset,
                           std::span<const TensorType* const> input_types,
                           std::span<const Tensor* const> input_values)
    : node_(node),
      opset_(opset),
      input_types_(input_types),
      input_values_(input_values),
      outputs_(node.outputs.size()) {}

Result<const Tensor*> InferContext::require_value(std::size_t i) {
  if (!has_input(i)) return error(fmt::format("input {} is required", i));
  if (const Tensor* v = input_value(i)) return v;
  needs_runtime_values_ = true;
  return unsupported_error(fmt::format(
      "output shape depends on the value of input '{}', which is not known before run time",
      node_.inputs[i]));
}

bool InferContext::has_output(std::size_t i) const {
  return i < node_.outputs.size() && !node_.outputs[i].empty();
}

void InferContext::set_output(std::size_t i, DType dtype, Shape shape) {
  if (i >= outputs_.size()) return;  // optional outputs the model does not name
  outputs_[i] = TensorType{dtype, std::move(shape)};
}

Status InferContext::error(std::string message) const {
  return invalid_model(fmt::format("{}: {}", node_.describe(), message));
}

Status InferContext::unsupported_error(std::string message) const {
  return unsupported(fmt::format("{}: {}", node_.describe(), message));
}

Status InferContext::expect_input_dtype(std::size_t i, std::initializer_list<DType> allowed) const {
  if (!has_input(i)) return error(fmt::format("input {} is required", i));
  for (DType d : allowed) {
    if (d == input_dtype(i)) return Status::ok();
  }
  std::vector<std::string_view> names;
  for (DType d : allowed) names.push_back(dtype_name(d));
  return unsupported_error(fmt::format("input {} ('{}') has dtype {}; supported: {}", i,
                                       node_.inputs[i], dtype_name(input_dtype(i)),
                                       fmt::join(names, ", ")));
}

Status InferContext::expect_input_count(std::size_t min, std::size_t max) const {
  std::size_t present = 0;
  for (std::size_t i = 0; i < min && i < num_inputs(); ++i) present += has_input(i) ? 1 : 0;
  if (present < min) {
    return error(fmt::format("expects at least {} inputs, has {}", min, present));
  }
  if (num_inputs() > max) {
    return error(fmt::format("expects at most {} inputs, has {}", max, num_inputs()));
  }
  return Status::ok();
}

}  // namespace edgebench::engine
