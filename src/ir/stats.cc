#include "edgebench/ir/stats.h"

#include <set>
#include <string_view>

namespace edgebench::ir {

namespace {

const Shape* shape_of(const Graph& graph, const std::string& name) {
  if (name.empty()) return nullptr;
  auto init = graph.initializers.find(name);
  if (init != graph.initializers.end()) return &init->second.shape();
  const ValueInfo* info = graph.find_value_info(name);
  if (info == nullptr || !info->has_static_shape()) return nullptr;
  return &*info->shape;
}

std::uint64_t count(const Shape& s) {
  std::uint64_t n = 1;
  for (std::int64_t d : s) n *= static_cast<std::uint64_t>(d);
  return n;
}

bool is_one_of(std::string_view op, std::initializer_list<std::string_view> ops) {
  for (std::string_view o : ops) {
    if (o == op) return true;
  }
  return false;
}

// Elementwise ops and activations: one FLOP per output element.
bool is_elementwise(std::string_view op) {
  return is_one_of(op, {"Add",
                        "Sub",
                        "Mul",
                        "Div",
                        "Pow",
                        "Sqrt",
                        "Exp",
                        "Log",
                        "Abs",
                        "Neg",
                        "Erf",
                        "Relu",
                        "LeakyRelu",
                        "PRelu",
                        "Elu",
                        "Clip",
                        "Sigmoid",
                        "HardSigmoid",
                        "HardSwish",
                        "Tanh",
                        "Equal",
                        "Less",
                        "Greater",
                        "Where",
                        "Min",
                        "Max",
                        "Sum",
                        "Mean",
                        "Reciprocal",
                        "Floor",
                        "Ceil",
                        "Round",
                        "Selu",
                        "Softplus",
                        "Softsign",
                        "Sin",
                        "Cos",
                        "QuantizeLinear",
                        "DequantizeLinear",
                        "Not",
                        "And",
                        "Or",
                        "Xor",
                        "LessOrEqual",
                        "GreaterOrEqual",
                        "Mod",
                        "Celu",
                        "ThresholdedRelu"});
}

void count_node(const Graph& graph, const Node& node, NodeStats& s) {
  const std::string_view op = node.op_type;
  const Shape* out = node.outputs.empty() ? nullptr : shape_of(graph, node.outputs[0]);
  const Shape* in0 = node.inputs.empty() ? nullptr : shape_of(graph, node.inputs[0]);
  const bool has_bias = [&] {
    if (op == "Conv" || op == "ConvTranspose") return node.has_input(2);
    if (op == "QLinearConv") return node.has_input(8);
    if (op == "Gemm") return node.has_input(2);
    return false;
  }();

  if (is_one_of(op, {"Conv", "ConvInteger", "QLinearConv"})) {
    const std::size_t w_index = op == "QLinearConv" ? 3 : 1;
    const Shape* w = node.has_input(w_index) ? shape_of(graph, node.inputs[w_index]) : nullptr;
    if (out == nullptr || w == nullptr || w->size() < 2) {
      s.shapes_known = false;
      return;
    }
    // Each output element takes (C_in / group) * prod(kernel) MACs = prod(w dims 1..).
    std::uint64_t per_output = 1;
    for (std::size_t i = 1; i < w->size(); ++i) per_output *= static_cast<std::uint64_t>((*w)[i]);
    s.macs = count(*out) * per_output;
    s.flops = 2 * s.macs + (has_bias ? count(*out) : 0);
    return;
  }
  if (op == "ConvTranspose") {
    const Shape* w = node.has_input(1) ? shape_of(graph, node.inputs[1]) : nullptr;
    if (in0 == nullptr || w == nullptr || w->size() < 2 || out == nullptr) {
      s.shapes_known = false;
      return;
    }
    // Every input element is scattered through (C_out / group) * prod(kernel) weights.
    std::uint64_t per_input = 1;
    for (std::size_t i = 1; i < w->size(); ++i) per_input *= static_cast<std::uint64_t>((*w)[i]);
    s.macs = count(*in0) * per_input;
    s.flops = 2 * s.macs + (has_bias ? count(*out) : 0);
    return;
  }
  if (is_one_of(op, {"Gemm", "MatMul", "MatMulInteger", "QLinearMatMul"})) {
    const std::size_t b_index = op == "QLinearMatMul" ? 3 : 1;
    const Shape* a = in0;
    if (op == "QLinearMatMul") a = node.has_input(0) ? shape_of(graph, node.inputs[0]) : nullptr;
    const Shape* b = node.has_input(b_index) ? shape_of(graph, node.inputs[b_index]) : nullptr;
    if (a == nullptr || b == nullptr || out == nullptr || a->empty() || b->empty()) {
      s.shapes_known = false;
      return;
    }
    std::int64_t k = 0;
    if (op == "Gemm") {
      const auto trans_a = node.attributes.get_int("transA", 0);
      k = (trans_a.is_ok() && *trans_a != 0) ? (*a)[0] : a->back();
    } else {
      k = a->back();
    }
    s.macs = count(*out) * static_cast<std::uint64_t>(k);
    s.flops = 2 * s.macs + (has_bias ? count(*out) : 0);
    return;
  }
  if (out == nullptr) {
    s.shapes_known = false;
    return;
  }
  if (is_elementwise(op)) {
    s.flops = count(*out);
  } else if (is_one_of(op, {"MaxPool", "AveragePool"})) {
    const auto kernel = node.attributes.get_ints("kernel_shape", {});
    std::uint64_t window = 1;
    if (kernel.is_ok()) {
      for (std::int64_t k : *kernel) window *= static_cast<std::uint64_t>(k);
    }
    s.flops = count(*out) * window;
  } else if (is_one_of(op, {"GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum",
                            "ReduceMax", "ReduceMin", "ArgMax", "ArgMin"})) {
    if (in0 != nullptr) s.flops = count(*in0);
  } else if (op == "BatchNormalization") {
    s.flops = 2 * count(*out);  // folded to one scale and one shift per element
  } else if (is_one_of(op, {"Softmax", "LogSoftmax"})) {
    s.flops = 3 * count(*out);  // exp, sum, divide
  } else if (op == "HardSwish") {
    s.flops = 3 * count(*out);
  } else if (op == "Resize") {
    s.flops = count(*out);
  }
}

}  // namespace

GraphStats compute_stats(const Graph& graph) {
  GraphStats stats;
  for (const auto& [name, tensor] : graph.initializers) {
    const auto elements = static_cast<std::uint64_t>(tensor.element_count());
    const std::string dtype(dtype_name(tensor.dtype()));
    stats.params_total += elements;
    stats.params_bytes += tensor.byte_size();
    stats.params_by_dtype[dtype] += elements;
    stats.params_bytes_by_dtype[dtype] += tensor.byte_size();
  }
  for (const Node& node : graph.nodes) {
    NodeStats s;
    s.name = node.name;
    s.op_type = node.op_type;
    for (const std::string& in : node.inputs) {
      auto it = graph.initializers.find(in);
      if (it != graph.initializers.end()) {
        s.param_count += static_cast<std::uint64_t>(it->second.element_count());
      }
    }
    count_node(graph, node, s);
    stats.macs_total += s.macs;
    stats.flops_total += s.flops;
    stats.op_counts[node.op_type] += 1;
    stats.nodes.push_back(std::move(s));
  }
  return stats;
}

std::vector<SymbolicInput> inputs_needing_shapes(
    const Graph& graph, const std::map<std::string, Shape, std::less<>>& given) {
  std::vector<SymbolicInput> out;
  for (const std::string& name : graph.inputs) {
    if (given.find(name) != given.end()) continue;
    const ValueInfo* info = graph.find_value_info(name);
    if (info != nullptr && info->has_static_shape()) continue;
    SymbolicInput input;
    input.name = name;
    if (info != nullptr) {
      input.shape = info->shape;
      input.dim_names = info->dim_names;
    }
    out.push_back(std::move(input));
  }
  return out;
}

std::string shape_with_dim_names(const std::optional<Shape>& shape,
                                 const std::vector<std::string>& dim_names) {
  if (!shape) return "[?...]";
  std::string text = "[";
  for (std::size_t i = 0; i < shape->size(); ++i) {
    if (i > 0) text += ",";
    if ((*shape)[i] >= 0) {
      text += std::to_string((*shape)[i]);
    } else if (i < dim_names.size() && !dim_names[i].empty()) {
      text += dim_names[i];
    } else {
      text += "?";
    }
  }
  return text + "]";
}

std::string describe_symbolic_inputs(const std::vector<SymbolicInput>& inputs) {
  std::string text;
  for (const SymbolicInput& input : inputs) {
    if (!text.empty()) text += "; ";
    text += input.shape ? "input '" + input.name + "' has symbolic dims " +
                              shape_with_dim_names(input.shape, input.dim_names)
                        : "input '" + input.name + "' has no declared shape";
  }
  return text;
}

}  // namespace edgebench::ir
