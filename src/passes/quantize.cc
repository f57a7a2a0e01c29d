// Post-training quantization: static QDQ int8 and dynamic int8 (see quantize.h).
#include "edgebench/passes/quantize.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "edgebench/core/quantize.h"
#include "edgebench/engine/plan.h"
#include "edgebench/engine/registry.h"
#include "edgebench/passes/pass.h"

namespace edgebench::passes {

namespace {

using ir::is_onnx_op;

// How static quantization treats a node.
enum class Role {
  kWeighted,     // Conv, Gemm, MatMul: int8 inputs, int8 weights, int32 bias
  kElementwise,  // Add: both operands int8
  kSameScale,    // MaxPool and data-movement ops: the output keeps the input's scale
  kOwnScale,     // AveragePool, GlobalAveragePool, Concat: the output gets its own range
};

std::optional<Role> role_of(const ir::Node& node) {
  if (!node.domain.empty() && node.domain != "ai.onnx") return std::nullopt;
  const std::string& op = node.op_type;
  if (op == "Conv" || op == "Gemm" || op == "MatMul") return Role::kWeighted;
  if (op == "Add") return Role::kElementwise;
  if (op == "MaxPool" || op == "Flatten" || op == "Reshape" || op == "Transpose" ||
      op == "Squeeze" || op == "Unsqueeze") {
    return Role::kSameScale;
  }
  if (op == "AveragePool" || op == "GlobalAveragePool" || op == "Concat") return Role::kOwnScale;
  return std::nullopt;
}

bool matches_exclude(const ir::Node& node, const std::vector<std::string>& exclude) {
  return std::any_of(exclude.begin(), exclude.end(),
                     [&](const std::string& e) { return e == node.name || e == node.op_type; });
}

// Facts about the graph the quantizers read: value types, producers, consumers.
class GraphFacts {
 public:
  static Result<GraphFacts> make(const ir::Graph& graph) {
    GraphFacts facts;
    engine::PlanOptions options;
    EB_ASSIGN_OR_RETURN(engine::GraphTypes types,
                        engine::infer_types(graph, engine::builtin_registry(), options));
    for (const auto& [name, type] : types.types) facts.dtypes_[name] = type.dtype;
    for (const auto& [name, type] : types.types) facts.shapes_[name] = type.shape;
    facts.producers_ = ir::producer_index(graph);
    facts.consumers_ = ir::reader_index(graph);
    for (const ir::Node& node : graph.nodes) {
      for (const std::string& name : node.inputs) facts.names_.insert(name);
      for (const std::string& name : node.outputs) facts.names_.insert(name);
      facts.names_.insert(node.name);
    }
    for (const auto& [name, tensor] : graph.initializers) facts.names_.insert(name);
    for (const std::string& name : graph.inputs) facts.names_.insert(name);
    for (const std::string& name : graph.outputs) facts.outputs_.insert(name);
    return facts;
  }

  DType dtype(const std::string& value) const {
    auto it = dtypes_.find(value);
    return it == dtypes_.end() ? DType::kUndefined : it->second;
  }
  const Shape* shape(const std::string& value) const {
    auto it = shapes_.find(value);
    return it == shapes_.end() ? nullptr : &it->second;
  }
  const std::vector<std::size_t>& consumers(const std::string& value) const {
    static const std::vector<std::size_t> kNone;
    auto it = consumers_.find(value);
    return it == consumers_.end() ? kNone : it->second;
  }
  std::optional<std::size_t> producer(const std::string& value) const {
    auto it = producers_.find(value);
    if (it == producers_.end()) return std::nullopt;
    return it->second;
  }
  bool is_graph_output(const std::string& value) const { return outputs_.count(value) > 0; }

  // `base`, or `base_2`, `base_3`, ... : a value or node name nothing uses yet.
  std::string unique_name(const std::string& base) {
    std::string name = base;
    for (int k = 2; names_.count(name); ++k) name = fmt::format("{}_{}", base, k);
    names_.insert(name);
    return name;
  }

 private:
  std::map<std::string, DType, std::less<>> dtypes_;
  std::map<std::string, Shape, std::less<>> shapes_;
  std::map<std::string, std::size_t, std::less<>> producers_;
  std::map<std::string, std::vector<std::size_t>, std::less<>> consumers_;
  std::set<std::string, std::less<>> names_;
  std::set<std::string, std::less<>> outputs_;
};

const Tensor* float_initializer(const ir::Graph& graph, const std::string& name) {
  auto it = graph.initializers.find(name);
  if (it == graph.initializers.end() || it->second.dtype() != DType::kFloat32) return nullptr;
  return &it->second;
}

// The value a Conv/Gemm/MatMul/Add effectively writes: its output, or the output of a Relu or
// Clip that is its only reader (the integer kernels clamp in the same step).
std::string effective_output(const ir::Graph& graph, const GraphFacts& facts,
                             const ir::Node& node) {
  const std::string& out = node.outputs[0];
  if (facts.is_graph_output(out)) return out;
  const auto& readers = facts.consumers(out);
  if (readers.size() != 1) return out;
  const ir::Node& next = graph.nodes[readers[0]];
  if (!is_onnx_op(next, "Relu") && !is_onnx_op(next, "Clip")) return out;
  for (std::size_t i = 1; i < next.inputs.size(); ++i) {
    if (!next.inputs[i].empty() && !graph.is_initializer(next.inputs[i])) return out;
  }
  return next.outputs[0];
}

// Why static quantization leaves a node float (empty: it can be quantized). `quantized_values`
// holds the values that quantized nodes produce so far (for same-scale nodes).
std::string static_blocker(const ir::Graph& graph, const GraphFacts& facts, const ir::Node& node,
                           Role role, const std::set<std::string>& quantized_values) {
  if (node.outputs.empty() || facts.dtype(node.outputs[0]) != DType::kFloat32) {
    return "output is not float32";
  }
  auto activation = [&](std::size_t i) {
    return node.has_input(i) && !graph.is_initializer(node.inputs[i]) &&
           facts.dtype(node.inputs[i]) == DType::kFloat32;
  };
  switch (role) {
    case Role::kWeighted: {
      if (!activation(0)) return "input is not a float32 activation";
      if (is_onnx_op(node, "MatMul")) {
        if (activation(1)) return "";
        const Tensor* b = float_initializer(graph, node.inputs[1]);
        if (b == nullptr || b->rank() != 2)
          return "second input is neither an activation nor "
                 "a 2-D float32 constant";
        return "";
      }
      const Tensor* w = node.has_input(1) ? float_initializer(graph, node.inputs[1]) : nullptr;
      if (w == nullptr) return "weights are not a float32 constant";
      if (node.has_input(2) && float_initializer(graph, node.inputs[2]) == nullptr) {
        return "bias is not a float32 constant";
      }
      if (is_onnx_op(node, "Gemm")) {
        if (node.attributes.get_int("transA", 0).value_or(1) != 0) return "transA is set";
        if (w->rank() != 2) return "weights are not 2-D";
        const Shape* a = facts.shape(node.inputs[0]);
        if (a == nullptr || a->size() != 2) return "input is not 2-D";
      } else if (w->rank() < 3) {
        return "weights have rank < 3";
      }
      return "";
    }
    case Role::kElementwise:
      for (std::size_t i = 0; i < 2; ++i) {
        const bool constant = node.has_input(i) && float_initializer(graph, node.inputs[i]);
        if (!activation(i) && !constant) return "operands are not float32";
      }
      if (!activation(0) && !activation(1)) return "both operands are constants";
      return "";
    case Role::kSameScale:
      if (!activation(0)) return "input is not a float32 activation";
      if (!quantized_values.count(node.inputs[0])) return "input is not quantized";
      return "";
    case Role::kOwnScale:
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        if (!activation(i)) return "an input is not a float32 activation";
      }
      return "";
  }
  return "";
}

// Symmetric int8 weights in [-127, 127]: one scale per slice along `axis` (or one for all).
struct QuantizedWeight {
  Tensor values;  // int8, the weight's shape
  std::vector<float> scales;
};

QuantizedWeight quantize_weight_symmetric(const Tensor& w, std::optional<int> axis) {
  const Shape& shape = w.shape();
  const std::int64_t n = w.element_count();
  const std::int64_t channels = axis ? shape[*axis] : 1;
  std::int64_t inner = 1;
  if (axis) {
    for (std::size_t d = *axis + 1; d < shape.size(); ++d) inner *= shape[d];
  }
  auto channel_of = [&](std::int64_t i) { return axis ? (i / inner) % channels : 0; };
  const float* src = w.data<float>();
  std::vector<float> absmax(channels, 0.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    if (std::isfinite(src[i])) {
      absmax[channel_of(i)] = std::max(absmax[channel_of(i)], std::fabs(src[i]));
    }
  }
  QuantizedWeight q;
  q.scales.resize(channels);
  for (std::int64_t c = 0; c < channels; ++c) {
    q.scales[c] = absmax[c] > 0.0f ? absmax[c] / 127.0f : 1.0f;
  }
  q.values = Tensor::zeros(DType::kInt8, shape);
  std::int8_t* dst = q.values.data<std::int8_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = std::isnan(src[i]) ? 0.0f : src[i] / q.scales[channel_of(i)];
    dst[i] = static_cast<std::int8_t>(std::clamp(round_half_even(v), -127.0, 127.0));
  }
  return q;
}

Tensor float_vector(const std::vector<float>& values) {
  if (values.size() == 1) return Tensor::scalar<float>(DType::kFloat32, values[0]);
  return Tensor::vector<float>(DType::kFloat32, values);
}

// Adds Q -> DQ nodes and their parameters; returns DQ's node.
ir::Node make_qdq_node(std::string op, std::string name, std::string input, std::string scale,
                       std::string zero_point, std::string output, std::optional<int> axis) {
  ir::Node node;
  node.name = std::move(name);
  node.op_type = std::move(op);
  node.inputs = {std::move(input), std::move(scale), std::move(zero_point)};
  node.outputs = {std::move(output)};
  if (axis) node.attributes.set("axis", std::int64_t{*axis});
  return node;
}

class StaticQuantizer {
 public:
  StaticQuantizer(ir::Graph& graph, GraphFacts facts, const QuantizeOptions& options)
      : graph_(graph), facts_(std::move(facts)), options_(options) {}

  Result<QuantizeReport> run(const StaticQuantizationPlan& plan,
                             const std::map<std::string, TensorRange>& ranges) {
    const std::int64_t opset = graph_.onnx_opset();
    if (opset < 10) {
      return unsupported(fmt::format(
          "static quantization needs opset 10 or newer (QuantizeLinear); the model has opset {}",
          opset));
    }
    per_channel_ = options_.per_channel && opset >= 13;
    if (options_.per_channel && !per_channel_) {
      report_.kept_float.emplace_back(
          "(all)",
          fmt::format("weights per tensor: per-channel needs opset 13, model has {}", opset));
    }
    // Parameters of every activation: from its range, or from the input of a same-scale node.
    for (const std::string& name : plan.activations) {
      auto it = ranges.find(name);
      if (it == ranges.end()) {
        return invalid_argument(fmt::format("no calibration range for value '{}'", name));
      }
      params_[name] = int8_parameters(it->second);
    }
    std::set<std::size_t> quantized(plan.nodes.begin(), plan.nodes.end());
    for (std::size_t index : plan.nodes) {
      const ir::Node& node = graph_.nodes[index];
      if (role_of(node) == Role::kSameScale) params_[node.outputs[0]] = params_[node.inputs[0]];
    }
    // Values to quantize: activations quantized nodes read, and graph outputs they write.
    std::vector<std::string> targets;
    std::set<std::string> seen;
    for (std::size_t index : plan.nodes) {
      const ir::Node& node = graph_.nodes[index];
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        if (reads_activation(node, i) && seen.insert(node.inputs[i]).second) {
          targets.push_back(node.inputs[i]);
        }
      }
      const std::string out = effective_output(graph_, facts_, node);
      if (facts_.is_graph_output(out) && params_.count(out) && seen.insert(out).second) {
        targets.push_back(out);
      }
    }
    std::map<std::string, std::string> dequantized;  // value -> the name quantized nodes read
    std::vector<ir::Node> added;
    for (const std::string& value : targets) {
      auto p = params_.find(value);
      if (p == params_.end()) {
        return internal_error(fmt::format("no quantization parameters for '{}'", value));
      }
      dequantized[value] = add_activation_qdq(value, p->second, added);
    }
    for (std::size_t index : plan.nodes) {
      ir::Node& node = graph_.nodes[index];
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        if (!reads_activation(node, i)) continue;
        const std::string x = node.inputs[i];
        node.inputs[i] = dequantized.at(x);
        if (role_of(node) == Role::kWeighted && i == 0) {
          EB_RETURN_IF_ERROR(quantize_weights(node, params_.at(x), added));
        } else if (role_of(node) == Role::kElementwise) {
          quantize_constant_operand(node, added);
        }
      }
      report_.quantized.push_back(node.name);
    }
    for (ir::Node& node : added) graph_.nodes.push_back(std::move(node));
    report_.quantized_tensors = static_cast<int>(targets.size());
    EB_RETURN_IF_ERROR(ir::sort_topologically(graph_));
    return report_;
  }

 private:
  bool reads_activation(const ir::Node& node, std::size_t i) const {
    if (!node.has_input(i) || graph_.is_initializer(node.inputs[i])) return false;
    const Role role = *role_of(node);
    if (role == Role::kSameScale || (role == Role::kWeighted && !is_onnx_op(node, "MatMul"))) {
      return i == 0;
    }
    if (is_onnx_op(node, "MatMul") || role == Role::kElementwise) return i < 2;
    return true;
  }

  // Q -> DQ on `value`; returns the name its quantized readers read from now on. A graph output
  // keeps its name on DQ's output (its producer writes `value`_float).
  std::string add_activation_qdq(const std::string& value, QuantParameters p,
                                 std::vector<ir::Node>& added) {
    const std::string scale = facts_.unique_name(value + "_scale");
    const std::string zero_point = facts_.unique_name(value + "_zero_point");
    graph_.initializers[scale] = Tensor::scalar<float>(DType::kFloat32, p.scale);
    graph_.initializers[zero_point] =
        Tensor::scalar<std::int8_t>(DType::kInt8, static_cast<std::int8_t>(p.zero_point));
    const std::string quantized = facts_.unique_name(value + std::string(kQuantizedSuffix));
    std::string source = value;
    std::string result = facts_.unique_name(value + std::string(kDequantizedSuffix));
    if (facts_.is_graph_output(value)) {
      source = facts_.unique_name(value + "_float");
      for (ir::Node& node : graph_.nodes) {
        for (std::string& out : node.outputs) {
          if (out == value) out = source;
        }
      }
      result = value;
    }
    added.push_back(make_qdq_node("QuantizeLinear", facts_.unique_name(value + "_QuantizeLinear"),
                                  source, scale, zero_point, quantized, std::nullopt));
    added.push_back(make_qdq_node("DequantizeLinear",
                                  facts_.unique_name(value + "_DequantizeLinear"), quantized, scale,
                                  zero_point, result, std::nullopt));
    return result;
  }

  // Weight axis of the output channels: Conv [M, C/g, k...] axis 0, Gemm B [K, N] axis 1 or
  // [N, K] (transB) axis 0, MatMul B [K, N] axis 1.
  std::optional<int> weight_axis(const ir::Node& node) const {
    if (!per_channel_) return std::nullopt;
    if (is_onnx_op(node, "Conv")) return 0;
    if (is_onnx_op(node, "Gemm")) return node.attributes.get_int("transB", 0).value_or(0) ? 0 : 1;
    return 1;
  }

  Status quantize_weights(ir::Node& node, QuantParameters x, std::vector<ir::Node>& added) {
    if (!node.has_input(1) || !graph_.is_initializer(node.inputs[1])) return Status::ok();
    const std::string w_name = node.inputs[1];
    const Tensor w = graph_.initializers.at(w_name);
    const std::optional<int> axis = weight_axis(node);
    const std::string key = fmt::format("{}#{}", w_name, axis ? *axis : -1);
    auto done = weights_.find(key);
    if (done == weights_.end()) {
      QuantizedWeight q = quantize_weight_symmetric(w, axis);
      const std::string values = facts_.unique_name(w_name + std::string(kQuantizedSuffix));
      const std::string scale = facts_.unique_name(w_name + "_scale");
      const std::string zero_point = facts_.unique_name(w_name + "_zero_point");
      graph_.initializers[values] = q.values;
      graph_.initializers[scale] = float_vector(q.scales);
      graph_.initializers[zero_point] =
          q.scales.size() == 1 ? Tensor::scalar<std::int8_t>(DType::kInt8, 0)
                               : Tensor::zeros(DType::kInt8, {std::int64_t(q.scales.size())});
      const std::string output = facts_.unique_name(w_name + std::string(kDequantizedSuffix));
      added.push_back(make_qdq_node(
          "DequantizeLinear", facts_.unique_name(w_name + "_DequantizeLinear"), values, scale,
          zero_point, output, q.scales.size() == 1 ? std::nullopt : axis));
      done = weights_.emplace(key, WeightEntry{output, std::move(q.scales)}).first;
      ++report_.quantized_weights;
    }
    node.inputs[1] = done->second.dequantized;
    // Bias: int32 with scale x_scale * w_scale, per output channel.
    const bool gemm = is_onnx_op(node, "Gemm");
    if (!node.has_input(2) || is_onnx_op(node, "MatMul")) return Status::ok();
    if (gemm && node.attributes.get_float("beta", 1.0f).value_or(0.0f) != 1.0f) return Status::ok();
    const Tensor* b = float_initializer(graph_, node.inputs[2]);
    const std::vector<float>& w_scales = done->second.scales;
    const std::int64_t channels =
        gemm ? w.shape()[node.attributes.get_int("transB", 0).value_or(0) ? 0 : 1] : w.shape()[0];
    if (b == nullptr || b->rank() != 1 || b->shape()[0] != channels) return Status::ok();
    std::vector<float> scales(channels);
    Tensor values = Tensor::zeros(DType::kInt32, {channels});
    for (std::int64_t c = 0; c < channels; ++c) {
      scales[c] = x.scale * w_scales[w_scales.size() == 1 ? 0 : c];
      values.data<std::int32_t>()[c] =
          saturate_to<std::int32_t>(round_half_even(double(b->data<float>()[c]) / scales[c]));
    }
    const std::string b_name = node.inputs[2];
    const std::string q_name = facts_.unique_name(b_name + std::string(kQuantizedSuffix));
    const std::string scale = facts_.unique_name(b_name + "_scale");
    const std::string zero_point = facts_.unique_name(b_name + "_zero_point");
    const bool per_channel = w_scales.size() > 1;
    graph_.initializers[q_name] = values;
    graph_.initializers[scale] =
        per_channel ? float_vector(scales) : Tensor::scalar<float>(DType::kFloat32, scales[0]);
    graph_.initializers[zero_point] = per_channel ? Tensor::zeros(DType::kInt32, {channels})
                                                  : Tensor::scalar<std::int32_t>(DType::kInt32, 0);
    const std::string output = facts_.unique_name(b_name + std::string(kDequantizedSuffix));
    added.push_back(make_qdq_node(
        "DequantizeLinear", facts_.unique_name(b_name + "_DequantizeLinear"), q_name, scale,
        zero_point, output, per_channel ? std::optional<int>(0) : std::nullopt));
    node.inputs[2] = output;
    return Status::ok();
  }

  // A constant operand of Add: int8 with its own range (per tensor).
  void quantize_constant_operand(ir::Node& node, std::vector<ir::Node>& added) {
    for (std::size_t i = 0; i < 2; ++i) {
      const Tensor* c = float_initializer(graph_, node.inputs[i]);
      if (c == nullptr) continue;
      TensorRange range;
      for (std::int64_t k = 0; k < c->element_count(); ++k) {
        const float v = c->data<float>()[k];
        if (!std::isfinite(v)) continue;
        range.min = std::min(range.min, v);
        range.max = std::max(range.max, v);
      }
      const QuantParameters p = int8_parameters(range);
      const std::string name = node.inputs[i];
      Tensor q = Tensor::zeros(DType::kInt8, c->shape());
      for (std::int64_t k = 0; k < c->element_count(); ++k) {
        q.data<std::int8_t>()[k] =
            quantize_value<std::int8_t>(c->data<float>()[k] / p.scale, p.zero_point);
      }
      const std::string values = facts_.unique_name(name + std::string(kQuantizedSuffix));
      const std::string scale = facts_.unique_name(name + "_scale");
      const std::string zero_point = facts_.unique_name(name + "_zero_point");
      graph_.initializers[values] = q;
      graph_.initializers[scale] = Tensor::scalar<float>(DType::kFloat32, p.scale);
      graph_.initializers[zero_point] =
          Tensor::scalar<std::int8_t>(DType::kInt8, static_cast<std::int8_t>(p.zero_point));
      const std::string output = facts_.unique_name(name + std::string(kDequantizedSuffix));
      added.push_back(make_qdq_node("DequantizeLinear",
                                    facts_.unique_name(name + "_DequantizeLinear"), values, scale,
                                    zero_point, output, std::nullopt));
      node.inputs[i] = output;
      ++report_.quantized_weights;
    }
  }

  struct WeightEntry {
    std::string dequantized;
    std::vector<float> scales;
  };

  ir::Graph& graph_;
  GraphFacts facts_;
  const QuantizeOptions& options_;
  bool per_channel_ = false;
  std::map<std::string, QuantParameters> params_;
  std::map<std::string, WeightEntry> weights_;
  QuantizeReport report_;
};

Status remove_unread(ir::Graph& graph) {
  const auto dead = make_dead_node_elimination();
  return dead->run(graph).status();
}

// ---- dynamic quantization ----

class DynamicQuantizer {
 public:
  DynamicQuantizer(ir::Graph& graph, GraphFacts facts, const QuantizeOptions& options)
      : graph_(graph), facts_(std::move(facts)), options_(options) {}

  Result<QuantizeReport> run() {
    const std::int64_t opset = graph_.onnx_opset();
    if (opset < 11) {
      return unsupported(fmt::format(
          "dynamic quantization needs opset 11 or newer (DynamicQuantizeLinear); the model has "
          "opset {}",
          opset));
    }
    std::vector<ir::Node> kept;
    const std::vector<ir::Node> nodes = graph_.nodes;
    for (const ir::Node& node : nodes) {
      const bool weighted =
          is_onnx_op(node, "Conv") || is_onnx_op(node, "Gemm") || is_onnx_op(node, "MatMul");
      if (!weighted) {
        kept.push_back(node);
        continue;
      }
      if (matches_exclude(node, options_.exclude)) {
        report_.kept_float.emplace_back(node.name, "excluded (--exclude)");
        kept.push_back(node);
        continue;
      }
      const std::string why = blocker(node);
      if (!why.empty()) {
        report_.kept_float.emplace_back(node.name, why);
        kept.push_back(node);
        continue;
      }
      rewrite(node, kept);
      report_.quantized.push_back(node.name);
    }
    graph_.nodes = std::move(kept);
    EB_RETURN_IF_ERROR(ir::sort_topologically(graph_));
    return report_;
  }

 private:
  std::string blocker(const ir::Node& node) const {
    if (!node.has_input(0) || facts_.dtype(node.inputs[0]) != DType::kFloat32 ||
        graph_.is_initializer(node.inputs[0])) {
      return "input is not a float32 activation";
    }
    const Tensor* w = node.has_input(1) ? float_initializer(graph_, node.inputs[1]) : nullptr;
    if (w == nullptr) return "weights are not a float32 constant";
    if (node.has_input(2) && float_initializer(graph_, node.inputs[2]) == nullptr) {
      return "bias is not a float32 constant";
    }
    if (is_onnx_op(node, "Conv")) return w->rank() >= 3 ? "" : "weights have rank < 3";
    if (w->rank() != 2) return "weights are not 2-D";
    if (is_onnx_op(node, "Gemm")) {
      if (node.attributes.get_int("transA", 0).value_or(1) != 0) return "transA is set";
      if (node.attributes.get_float("alpha", 1.0f).value_or(0.0f) != 1.0f) return "alpha != 1";
      const Shape* a = facts_.shape(node.inputs[0]);
      if (a == nullptr || a->size() != 2) return "input is not 2-D";
      if (node.has_input(2)) {
        const Tensor* c = float_initializer(graph_, node.inputs[2]);
        const std::int64_t n = w->shape()[node.attributes.get_int("transB", 0).value_or(0) ? 0 : 1];
        if (c->element_count() != n && c->element_count() != 1) return "bias is not per column";
      }
    }
    return "";
  }

  // x -> DynamicQuantizeLinear (once per activation).
  const std::array<std::string, 3>& quantized_input(const std::string& x,
                                                    std::vector<ir::Node>& out) {
    auto it = inputs_.find(x);
    if (it != inputs_.end()) return it->second;
    ir::Node node;
    node.name = facts_.unique_name(x + "_DynamicQuantizeLinear");
    node.op_type = "DynamicQuantizeLinear";
    node.inputs = {x};
    node.outputs = {facts_.unique_name(x + std::string(kQuantizedSuffix)),
                    facts_.unique_name(x + "_scale"), facts_.unique_name(x + "_zero_point")};
    std::array<std::string, 3> names{node.outputs[0], node.outputs[1], node.outputs[2]};
    out.push_back(std::move(node));
    ++report_.quantized_tensors;
    return inputs_.emplace(x, names).first->second;
  }

  std::string add_initializer(const std::string& base, Tensor value) {
    const std::string name = facts_.unique_name(base);
    graph_.initializers[name] = std::move(value);
    return name;
  }

  ir::Node simple_node(const std::string& op, const std::string& base,
                       std::vector<std::string> inputs, std::string output) {
    ir::Node node;
    node.name = facts_.unique_name(base + "_" + op);
    node.op_type = op;
    node.inputs = std::move(inputs);
    node.outputs = {std::move(output)};
    return node;
  }

  void rewrite(const ir::Node& node, std::vector<ir::Node>& out) {
    const bool conv = is_onnx_op(node, "Conv");
    const bool gemm = is_onnx_op(node, "Gemm");
    const bool trans_b = gemm && node.attributes.get_int("transB", 0).value_or(0) != 0;
    Tensor w = graph_.initializers.at(node.inputs[1]);
    if (trans_b) w = transpose_2d(w);
    // Conv: per output channel (axis 0); MatMul/Gemm: per column (axis 1) of [K, N].
    const std::optional<int> axis =
        options_.per_channel ? std::optional<int>(conv ? 0 : 1) : std::nullopt;
    QuantizedWeight q = quantize_weight_symmetric(w, axis);
    const std::string w_name = node.inputs[1];
    const std::string w_values =
        add_initializer(w_name + std::string(kQuantizedSuffix), std::move(q.values));
    const std::int64_t channels = static_cast<std::int64_t>(q.scales.size());
    // Symmetric weights: one zero point (0) serves every channel; the per-channel scales apply
    // after the integer product (ONNX Runtime's ConvInteger takes only a per-tensor one).
    const std::string w_zero_point =
        add_initializer(w_name + "_zero_point", Tensor::scalar<std::int8_t>(DType::kInt8, 0));
    // The scale multiplies the int32 result: [M, 1, ...] for Conv's NCHW output, [N] for MatMul.
    Tensor scale = float_vector(q.scales);
    const std::int64_t out_rank =
        facts_.shape(node.outputs[0])
            ? static_cast<std::int64_t>(facts_.shape(node.outputs[0])->size())
            : w.rank();
    Shape column_shape{channels};
    if (conv) column_shape.resize(std::max<std::int64_t>(out_rank - 1, 1), 1);
    if (channels > 1) scale = scale.reshaped(column_shape);
    const std::string w_scale = add_initializer(w_name + "_scale", scale);
    ++report_.quantized_weights;

    const auto& x = quantized_input(node.inputs[0], out);
    const std::string base = node.name.empty() ? node.outputs[0] : node.name;
    const std::string acc = facts_.unique_name(node.outputs[0] + "_int32");
    ir::Node integer = simple_node(conv ? "ConvInteger" : "MatMulInteger", base,
                                   {x[0], w_values, x[2], w_zero_point}, acc);
    if (conv) integer.attributes = node.attributes;
    out.push_back(std::move(integer));
    const std::string acc_float = facts_.unique_name(node.outputs[0] + "_int32_float");
    ir::Node cast = simple_node("Cast", base, {acc}, acc_float);
    cast.attributes.set("to", std::int64_t{1});  // FLOAT
    out.push_back(std::move(cast));
    const std::string out_scale = facts_.unique_name(base + "_output_scale");
    out.push_back(simple_node("Mul", base + "_scale", {x[1], w_scale}, out_scale));
    const bool bias = node.has_input(2);
    const std::string scaled =
        bias ? facts_.unique_name(node.outputs[0] + "_unbiased") : node.outputs[0];
    out.push_back(simple_node("Mul", base, {acc_float, out_scale}, scaled));
    if (!bias) return;
    Tensor b = graph_.initializers.at(node.inputs[2]);
    if (gemm) {
      const float beta = node.attributes.get_float("beta", 1.0f).value_or(1.0f);
      if (beta != 1.0f) {
        b = b.clone();
        for (std::int64_t i = 0; i < b.element_count(); ++i) b.data<float>()[i] *= beta;
      }
    }
    if (conv) {
      Shape bias_shape{b.element_count()};
      bias_shape.resize(std::max<std::int64_t>(out_rank - 1, 1), 1);
      b = b.reshaped(bias_shape);
    }
    const std::string b_name = add_initializer(node.inputs[2] + "_reshaped", b);
    out.push_back(simple_node("Add", base, {scaled, b_name}, node.outputs[0]));
  }

  static Tensor transpose_2d(const Tensor& w) {
    const std::int64_t rows = w.shape()[0], cols = w.shape()[1];
    Tensor t = Tensor::zeros(DType::kFloat32, {cols, rows});
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < cols; ++c) {
        t.data<float>()[c * rows + r] = w.data<float>()[r * cols + c];
      }
    }
    return t;
  }

  ir::Graph& graph_;
  GraphFacts facts_;
  const QuantizeOptions& options_;
  std::map<std::string, std::array<std::string, 3>> inputs_;
  QuantizeReport report_;
};

}  // namespace

QuantParameters int8_parameters(TensorRange range) {
  const double lo = std::min(0.0, static_cast<double>(range.min));
  const double hi = std::max(0.0, static_cast<double>(range.max));
  QuantParameters p;
  if (!(hi - lo > 0.0) || !std::isfinite(hi - lo)) return p;  // all zero (or broken): scale 1
  p.scale = static_cast<float>((hi - lo) / 255.0);
  const double zero_point = std::nearbyint(-128.0 - lo / p.scale);
  p.zero_point = static_cast<std::int32_t>(std::clamp(zero_point, -128.0, 127.0));
  return p;
}

Result<StaticQuantizationPlan> plan_static_quantization(const ir::Graph& graph,
                                                        const QuantizeOptions& options) {
  EB_ASSIGN_OR_RETURN(GraphFacts facts, GraphFacts::make(graph));
  StaticQuantizationPlan plan;
  std::set<std::string> produced;  // effective outputs of quantized nodes
  std::set<std::string> activations;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    const std::optional<Role> role = role_of(node);
    if (!role) continue;
    if (matches_exclude(node, options.exclude)) {
      plan.kept_float.emplace_back(node.name, "excluded (--exclude)");
      continue;
    }
    const std::string why = static_blocker(graph, facts, node, *role, produced);
    if (!why.empty()) {
      plan.kept_float.emplace_back(node.name, why);
      continue;
    }
    plan.nodes.push_back(i);
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string& in = node.inputs[k];
      if (in.empty() || graph.is_initializer(in)) continue;
      if (*role == Role::kSameScale && k > 0) continue;
      if (*role == Role::kWeighted && !is_onnx_op(node, "MatMul") && k > 0) continue;
      if (activations.insert(in).second) plan.activations.push_back(in);
    }
    const std::string out = effective_output(graph, facts, node);
    produced.insert(out);
    if (facts.is_graph_output(out) && activations.insert(out).second) {
      plan.activations.push_back(out);
    }
  }
  return plan;
}

Result<QuantizeReport> quantize_static(ir::Graph& graph,
                                       const std::map<std::string, TensorRange>& ranges,
                                       const QuantizeOptions& options) {
  EB_ASSIGN_OR_RETURN(StaticQuantizationPlan plan, plan_static_quantization(graph, options));
  ir::Graph work = graph;
  EB_ASSIGN_OR_RETURN(GraphFacts facts, GraphFacts::make(work));
  StaticQuantizer quantizer(work, std::move(facts), options);
  EB_ASSIGN_OR_RETURN(QuantizeReport report, quantizer.run(plan, ranges));
  for (auto& kept : plan.kept_float) report.kept_float.push_back(std::move(kept));
  EB_RETURN_IF_ERROR(remove_unread(work));
  graph = std::move(work);
  return report;
}

Result<QuantizeReport> quantize_dynamic(ir::Graph& graph, const QuantizeOptions& options) {
  ir::Graph work = graph;
  EB_RETURN_IF_ERROR(ir::sort_topologically(work));
  EB_ASSIGN_OR_RETURN(GraphFacts facts, GraphFacts::make(work));
  DynamicQuantizer quantizer(work, std::move(facts), options);
  EB_ASSIGN_OR_RETURN(QuantizeReport report, quantizer.run());
  EB_RETURN_IF_ERROR(remove_unread(work));
  graph = std::move(work);
  return report;
}

Status expose_values(ir::Graph& graph, const std::vector<std::string>& names) {
  std::set<std::string, std::less<>> known(graph.inputs.begin(), graph.inputs.end());
  for (const ir::Node& node : graph.nodes) known.insert(node.outputs.begin(), node.outputs.end());
  std::set<std::string, std::less<>> outputs(graph.outputs.begin(), graph.outputs.end());
  for (const std::string& name : names) {
    if (!known.count(name)) {
      return not_found(fmt::format("value '{}' is not a graph input or a node output", name));
    }
    if (outputs.insert(name).second) graph.outputs.push_back(name);
  }
  return Status::ok();
}

}  // namespace edgebench::passes
