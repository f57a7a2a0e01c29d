// QDQ fusion: QuantizeLinear/DequantizeLinear pairs around float Conv, MatMul, MaxPool and
// Concat become integer QLinearConv, QLinearMatMul, MaxPool and Concat nodes; then uint8
// activation values that only integer-friendly nodes touch become int8. See pass.h for the
// patterns, the conditions and the numerics.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "activation_bounds.h"
#include "edgebench/core/quantize.h"
#include "edgebench/engine/fused_ops.h"
#include "edgebench/passes/pass.h"

namespace edgebench::passes {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();
// ONNX TensorProto element types, for QuantizeLinear's output_dtype attribute (opset 21).
constexpr std::int64_t kOnnxUInt8 = 2;
constexpr std::int64_t kOnnxInt8 = 3;
constexpr std::int64_t kShift = 128;  // q_s8 = q_u8 - 128

using ir::is_onnx_op;

bool is_fused_conv(const ir::Node& node) {
  return node.domain == engine::kEdgebenchDomain && node.op_type == engine::kFusedConvOp;
}

bool is_fused_gemm(const ir::Node& node) {
  return node.domain == engine::kEdgebenchDomain && node.op_type == engine::kFusedGemmOp;
}

bool is_quantized_type(DType dtype) { return dtype == DType::kInt8 || dtype == DType::kUInt8; }

std::int64_t type_min(DType dtype) { return dtype == DType::kInt8 ? -128 : 0; }
std::int64_t type_max(DType dtype) { return dtype == DType::kInt8 ? 127 : 255; }

bool is_per_tensor_shape(const Shape& shape) {
  return shape.empty() || (shape.size() == 1 && shape[0] == 1);
}

// What the engine's QuantizeLinear gives for one float value (it divides in float).
std::int64_t quantize_float(float value, float scale, std::int64_t zero_point, DType dtype) {
  const double lo = static_cast<double>(type_min(dtype));
  const double hi = static_cast<double>(type_max(dtype));
  if (std::isnan(value)) return 0;
  const double q = round_half_even(static_cast<double>(value / scale)) + zero_point;
  return static_cast<std::int64_t>(std::clamp(q, lo, hi));
}

// Read-only facts about the graph, taken once per sweep, and the names in use (for new ones).
class GraphIndex {
 public:
  explicit GraphIndex(const ir::Graph& graph) : graph_(graph) {
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      const ir::Node& node = graph.nodes[i];
      for (std::size_t s = 0; s < node.inputs.size(); ++s) {
        if (node.inputs[s].empty()) continue;
        consumers_[node.inputs[s]].push_back({i, s});
        used_.insert(node.inputs[s]);
      }
      for (const std::string& out : node.outputs) {
        if (out.empty()) continue;
        producers_[out] = i;
        used_.insert(out);
      }
      if (is_onnx_op(node, "Constant") && node.outputs.size() == 1) add_constant_node(node);
    }
    for (const auto& [name, tensor] : graph.initializers) used_.insert(name);
    for (const auto& [name, info] : graph.value_info) used_.insert(name);
    used_.insert(graph.inputs.begin(), graph.inputs.end());
    used_.insert(graph.outputs.begin(), graph.outputs.end());
    graph_outputs_.insert(graph.outputs.begin(), graph.outputs.end());
  }

  // An initializer, or the value of a Constant node; null for anything computed.
  const Tensor* constant(std::string_view name) const {
    if (auto it = graph_.initializers.find(name); it != graph_.initializers.end()) {
      return &it->second;
    }
    auto it = constant_nodes_.find(name);
    return it == constant_nodes_.end() ? nullptr : &it->second;
  }

  const ir::Node* producer(std::string_view name) const {
    auto it = producers_.find(name);
    return it == producers_.end() ? nullptr : &graph_.nodes[it->second];
  }
  std::optional<std::size_t> producer_index(std::string_view name) const {
    auto it = producers_.find(name);
    if (it == producers_.end()) return std::nullopt;
    return it->second;
  }

  struct Use {
    std::size_t node;
    std::size_t slot;
  };
  const std::vector<Use>& consumers(std::string_view name) const {
    static const std::vector<Use> kNone;
    auto it = consumers_.find(name);
    return it == consumers_.end() ? kNone : it->second;
  }
  bool is_graph_output(std::string_view name) const { return graph_outputs_.count(name) != 0; }
  // Node inputs plus graph outputs that read the value.
  std::size_t readers(std::string_view name) const {
    return consumers(name).size() + (is_graph_output(name) ? 1 : 0);
  }

  // The dtype of an int8/uint8 value as far as the quantization ops around it tell (kUndefined
  // when unknown). Pass-through ops keep their input's type.
  DType quantized_dtype(const std::string& name) const {
    if (auto it = dtypes_.find(name); it != dtypes_.end()) return it->second;
    dtypes_[name] = DType::kUndefined;  // guards against cycles in malformed graphs
    DType dtype = DType::kUndefined;
    if (const Tensor* t = constant(name)) {
      dtype = t->dtype();
    } else if (const ir::Node* p = producer(name); p != nullptr && p->outputs[0] == name) {
      if (is_onnx_op(*p, "QuantizeLinear")) {
        dtype = quantize_output_dtype(*p);
      } else if ((is_onnx_op(*p, "QLinearConv") || is_onnx_op(*p, "QLinearMatMul")) &&
                 p->has_input(7)) {
        dtype = quantized_dtype(p->inputs[7]);
      } else if ((is_onnx_op(*p, "MaxPool") || is_onnx_op(*p, "Concat") ||
                  is_onnx_op(*p, "Clip")) &&
                 p->has_input(0)) {
        dtype = quantized_dtype(p->inputs[0]);
      }
    }
    if (dtype == DType::kUndefined) {
      if (const ir::ValueInfo* info = graph_.find_value_info(name)) dtype = info->dtype;
    }
    dtypes_[name] = dtype;
    return dtype;
  }

  // QuantizeLinear's output type: its zero point's, else output_dtype's, else uint8.
  DType quantize_output_dtype(const ir::Node& q) const {
    if (q.has_input(2)) {
      const Tensor* zp = constant(q.inputs[2]);
      if (zp != nullptr) return zp->dtype();
      const ir::ValueInfo* info = graph_.find_value_info(q.inputs[2]);
      return info != nullptr ? info->dtype : DType::kUndefined;
    }
    const std::int64_t output_dtype = q.attributes.get_int("output_dtype", 0).value_or(-1);
    if (output_dtype == 0 || output_dtype == kOnnxUInt8) return DType::kUInt8;
    if (output_dtype == kOnnxInt8) return DType::kInt8;
    return DType::kUndefined;
  }

  std::string fresh_name(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.count(name) != 0; ++k) name = fmt::format("{}_{}", base, k);
    used_.insert(name);
    return name;
  }

 private:
  void add_constant_node(const ir::Node& node) {
    if (const ir::AttributeValue* v = node.attributes.find("value");
        v != nullptr && std::holds_alternative<Tensor>(*v)) {
      constant_nodes_[node.outputs[0]] = std::get<Tensor>(*v);
    } else if (const ir::AttributeValue* f = node.attributes.find("value_float");
               f != nullptr && std::holds_alternative<float>(*f)) {
      constant_nodes_[node.outputs[0]] = Tensor::scalar(DType::kFloat32, std::get<float>(*f));
    }
  }

  const ir::Graph& graph_;
  std::map<std::string, std::size_t, std::less<>> producers_;
  std::map<std::string, std::vector<Use>, std::less<>> consumers_;
  std::map<std::string, Tensor, std::less<>> constant_nodes_;
  std::set<std::string, std::less<>> graph_outputs_;
  std::set<std::string, std::less<>> used_;
  mutable std::map<std::string, DType, std::less<>> dtypes_;
};

bool is_qdq_node(const ir::Node& node, std::string_view op) {
  if (!is_onnx_op(node, op) || node.inputs.size() < 2 || node.inputs.size() > 3 ||
      node.outputs.size() != 1 || !node.has_input(0) || !node.has_input(1)) {
    return false;
  }
  // Blocked quantization (opset 21) is not per tensor nor per axis.
  return node.attributes.get_int("block_size", 0).value_or(1) == 0;
}

// Per-tensor parameters of a QuantizeLinear or DequantizeLinear with constant scale and zero
// point. A missing zero point is 0.
struct TensorQuant {
  DType dtype = DType::kUndefined;
  float scale = 0.0f;
  std::int64_t zero_point = 0;
  std::string scale_name;
  std::string zero_point_name;  // empty when the node has none
};

bool usable_scale(float s) { return std::isfinite(s) && s > 0.0f; }

std::optional<TensorQuant> per_tensor_params(const GraphIndex& index, const ir::Node& node) {
  const bool quantize = is_onnx_op(node, "QuantizeLinear");
  if (!is_qdq_node(node, quantize ? "QuantizeLinear" : "DequantizeLinear")) return std::nullopt;
  TensorQuant p;
  p.scale_name = node.inputs[1];
  const Tensor* scale = index.constant(p.scale_name);
  if (scale == nullptr || scale->dtype() != DType::kFloat32 || !is_per_tensor_shape(scale->shape()))
    return std::nullopt;
  p.scale = scale->data<float>()[0];
  if (!usable_scale(p.scale)) return std::nullopt;
  if (node.has_input(2)) {
    p.zero_point_name = node.inputs[2];
    const Tensor* zp = index.constant(p.zero_point_name);
    if (zp == nullptr || !is_quantized_type(zp->dtype()) || !is_per_tensor_shape(zp->shape()))
      return std::nullopt;
    p.dtype = zp->dtype();
    p.zero_point = zp->element_as_int64(0);
  } else {
    p.dtype = quantize ? index.quantize_output_dtype(node) : index.quantized_dtype(node.inputs[0]);
  }
  if (!is_quantized_type(p.dtype)) return std::nullopt;
  return p;
}

bool same_params(const TensorQuant& a, const TensorQuant& b) {
  return a.dtype == b.dtype && a.scale == b.scale && a.zero_point == b.zero_point;
}

// A constant int8/uint8 weight behind a DequantizeLinear, per tensor or per channel along
// `channel_axis` (of `channels` entries). int8 weights need zero points of 0 (what symmetric
// integer kernels take); uint8 weights must be per tensor.
struct WeightQuant {
  std::string data_name;
  std::string scale_name;
  std::string zero_point_name;  // empty: the caller adds zeros
  const Tensor* data = nullptr;
  const Tensor* scale = nullptr;
  bool per_channel = false;

  double scale_at(std::int64_t channel) const {
    return scale->data<float>()[per_channel ? channel : 0];
  }
};

std::optional<WeightQuant> weight_params(const GraphIndex& index, const ir::Node& dq,
                                         std::int64_t opset, int channel_axis,
                                         int required_rank_min) {
  if (!is_qdq_node(dq, "DequantizeLinear")) return std::nullopt;
  WeightQuant w;
  w.data_name = dq.inputs[0];
  w.scale_name = dq.inputs[1];
  w.data = index.constant(w.data_name);
  w.scale = index.constant(w.scale_name);
  if (w.data == nullptr || !is_quantized_type(w.data->dtype()) ||
      w.data->rank() < required_rank_min || channel_axis >= w.data->rank() || w.scale == nullptr ||
      w.scale->dtype() != DType::kFloat32) {
    return std::nullopt;
  }
  const std::int64_t channels = w.data->dim(channel_axis);
  if (!is_per_tensor_shape(w.scale->shape())) {
    if (opset < 13 || w.scale->shape() != Shape{channels}) return std::nullopt;
    std::int64_t axis = dq.attributes.get_int("axis", 1).value_or(-1000);
    if (axis < 0) axis += w.data->rank();
    if (axis != channel_axis) return std::nullopt;
    w.per_channel = true;
  }
  for (std::int64_t i = 0; i < w.scale->element_count(); ++i) {
    if (!usable_scale(w.scale->data<float>()[i])) return std::nullopt;
  }
  if (w.data->dtype() == DType::kUInt8 && w.per_channel) return std::nullopt;
  if (dq.has_input(2)) {
    w.zero_point_name = dq.inputs[2];
    const Tensor* zp = index.constant(w.zero_point_name);
    if (zp == nullptr || zp->dtype() != w.data->dtype() ||
        zp->element_count() != w.scale->element_count()) {
      return std::nullopt;
    }
    if (w.data->dtype() == DType::kInt8) {
      for (std::int64_t i = 0; i < zp->element_count(); ++i) {
        if (zp->element_as_int64(i) != 0) return std::nullopt;
      }
    }
  }
  return w;
}

// The interval a Relu or a Clip with constant bounds (initializers or Constant nodes) clamps to.
std::optional<Bounds> activation_bounds(const GraphIndex& index, const ir::Node& node,
                                        std::int64_t opset) {
  return passes::activation_bounds(node, opset < 11,
                                   [&](std::string_view name) { return index.constant(name); });
}

std::optional<Bounds> fused_conv_bounds(const ir::Node& node) {
  auto min = node.attributes.get_float(engine::kActivationMinAttribute, -kInfinity);
  auto max = node.attributes.get_float(engine::kActivationMaxAttribute, kInfinity);
  if (!min.is_ok() || !max.is_ok() || !(*min <= *max)) return std::nullopt;
  return Bounds{*min, *max};
}

// The nodes one QDQ match replaces, the nodes it adds in the QuantizeLinear's place and the
// initializers those read.
struct Rewrite {
  std::vector<std::size_t> removed;  // besides the QuantizeLinear itself
  std::vector<ir::Node> replacement;
  std::map<std::string, Tensor> initializers;
};

class QdqFusion final : public Pass {
 public:
  std::string_view name() const override { return "qdq-fusion"; }

  Result<bool> run(ir::Graph& graph) const override {
    const bool fused = fuse_patterns(graph);
    const bool converted = convert_uint8_groups(graph);
    return fused || converted;
  }

 private:
  // ---- Stage 1: QDQ patterns into integer ops --------------------------------------------

  static bool fuse_patterns(ir::Graph& graph) {
    GraphIndex index(graph);
    std::map<std::size_t, Rewrite> rewrites;  // by the QuantizeLinear's index
    std::set<std::size_t> claimed;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      if (!is_onnx_op(graph.nodes[i], "QuantizeLinear")) continue;
      std::optional<Rewrite> rewrite = match(graph, index, i);
      if (!rewrite) continue;
      bool overlaps = false;
      for (std::size_t r : rewrite->removed) overlaps = overlaps || claimed.count(r) != 0;
      if (overlaps) continue;
      claimed.insert(rewrite->removed.begin(), rewrite->removed.end());
      rewrites.emplace(i, std::move(*rewrite));
    }
    if (rewrites.empty()) return false;

    std::set<std::string> dropped_values;
    std::vector<ir::Node> nodes;
    nodes.reserve(graph.nodes.size());
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      if (claimed.count(i) != 0) {
        for (const std::string& out : graph.nodes[i].outputs) dropped_values.insert(out);
        continue;
      }
      auto r = rewrites.find(i);
      if (r == rewrites.end()) {
        nodes.push_back(std::move(graph.nodes[i]));
        continue;
      }
      for (ir::Node& n : r->second.replacement) nodes.push_back(std::move(n));
    }
    graph.nodes = std::move(nodes);
    for (auto& [at, rewrite] : rewrites) {
      for (auto& [name, tensor] : rewrite.initializers) graph.initializers[name] = tensor;
    }
    for (const std::string& v : dropped_values) graph.value_info.erase(v);
    return true;
  }

  // Adds initializers to one rewrite (the graph gets them only if the rewrite is applied).
  // The activation as an integer Clip on the quantized output: Q is monotonic, so
  // Q(clamp(v, lo, hi)) = clamp(Q(v), Q(lo), Q(hi)). Not needed when it spans the whole type.
  struct IntegerClamp {
    std::int64_t lo = 0, hi = 0;
    bool needed = false;
  };
  static IntegerClamp integer_clamp(const Bounds& bounds, const TensorQuant& y) {
    IntegerClamp c;
    c.lo = bounds.min == -kInfinity ? type_min(y.dtype)
                                    : quantize_float(bounds.min, y.scale, y.zero_point, y.dtype);
    c.hi = bounds.max == kInfinity ? type_max(y.dtype)
                                   : quantize_float(bounds.max, y.scale, y.zero_point, y.dtype);
    c.needed = c.lo != type_min(y.dtype) || c.hi != type_max(y.dtype);
    return c;
  }

  struct Builder {
    GraphIndex& index;
    Rewrite& rewrite;

    std::string add(const std::string& base, Tensor tensor) {
      std::string name = index.fresh_name(base);
      rewrite.initializers[name] = std::move(tensor);
      return name;
    }
    // The zero-point input for per-tensor params (a new 0 when the node had none).
    std::string zero_point(const TensorQuant& p, const std::string& base) {
      if (!p.zero_point_name.empty()) return p.zero_point_name;
      return add(base + "_zero_point", Tensor::scalar(p.dtype, std::int64_t{0}));
    }
  };

  static ir::Node clip_node(Builder& builder, const std::string& base, const std::string& input,
                            const IntegerClamp& clamp, DType dtype, const std::string& output) {
    ir::Node clip;
    clip.name = builder.index.fresh_name(base + "/clip");
    clip.op_type = "Clip";
    clip.inputs = {input, builder.add(base + ".clip_min", Tensor::scalar(dtype, clamp.lo)),
                   builder.add(base + ".clip_max", Tensor::scalar(dtype, clamp.hi))};
    clip.outputs = {output};
    return clip;
  }

  static std::optional<Rewrite> match(const ir::Graph& graph, GraphIndex& index, std::size_t q_at) {
    const ir::Node& q = graph.nodes[q_at];
    const std::optional<TensorQuant> y = per_tensor_params(index, q);
    if (!y) return std::nullopt;
    const std::string& float_value = q.inputs[0];
    if (index.readers(float_value) != 1) return std::nullopt;
    const std::optional<std::size_t> p = index.producer_index(float_value);
    if (!p) return std::nullopt;
    const ir::Node& producer = graph.nodes[*p];
    if (is_onnx_op(producer, "MaxPool") || is_onnx_op(producer, "Concat")) {
      return match_pass_through(graph, index, q, *y, *p);
    }
    return match_linear(graph, index, q, *y, *p);
  }

  // Q <- MaxPool/Concat <- DQ...: the op moves quantized values unchanged when every DQ and
  // the Q share scale and zero point (dequantization is monotonic and Q(DQ(v)) = v).
  static std::optional<Rewrite> match_pass_through(const ir::Graph& graph, const GraphIndex& index,
                                                   const ir::Node& q, const TensorQuant& y,
                                                   std::size_t op_at) {
    const ir::Node& op = graph.nodes[op_at];
    const bool max_pool = is_onnx_op(op, "MaxPool");
    const std::int64_t opset = graph.onnx_opset();
    // Integer MaxPool came with opset 12, integer Concat with 4.
    if (opset < (max_pool ? 12 : 4)) return std::nullopt;
    if (op.outputs.size() != 1 || op.inputs.empty()) return std::nullopt;
    if (max_pool && op.inputs.size() != 1) return std::nullopt;
    ir::Node fused = op;
    for (std::string& in : fused.inputs) {
      const ir::Node* dq = in.empty() ? nullptr : index.producer(in);
      if (dq == nullptr || !is_onnx_op(*dq, "DequantizeLinear")) return std::nullopt;
      const std::optional<TensorQuant> x = per_tensor_params(index, *dq);
      if (!x || !same_params(*x, y)) return std::nullopt;
      in = dq->inputs[0];
    }
    fused.outputs = q.outputs;
    Rewrite rewrite;
    rewrite.removed = {op_at};
    rewrite.replacement.push_back(std::move(fused));
    return rewrite;
  }

  // Q <- [Relu/Clip] <- Conv/FusedConv/MatMul(DQ(x), DQ(w const), [bias]).
  static std::optional<Rewrite> match_linear(const ir::Graph& graph, GraphIndex& index,
                                             const ir::Node& q, const TensorQuant& y,
                                             std::size_t p) {
    const std::int64_t opset = graph.onnx_opset();
    Rewrite rewrite;
    Bounds bounds;
    std::size_t op_at = p;
    if (std::optional<Bounds> act = activation_bounds(index, graph.nodes[p], opset)) {
      bounds = *act;
      const std::string& pre_activation = graph.nodes[p].inputs[0];
      if (index.readers(pre_activation) != 1) return std::nullopt;
      const std::optional<std::size_t> op = index.producer_index(pre_activation);
      if (!op) return std::nullopt;
      rewrite.removed.push_back(p);
      op_at = *op;
    }
    const ir::Node& op = graph.nodes[op_at];
    if (is_onnx_op(op, "Gemm") || is_fused_gemm(op)) {
      return match_gemm(index, q, y, op, bounds, opset, std::move(rewrite), op_at);
    }
    const bool conv = is_onnx_op(op, "Conv") || is_fused_conv(op);
    const bool matmul = is_onnx_op(op, "MatMul");
    if ((!conv && !matmul) || op.outputs.size() != 1 || opset < 10) return std::nullopt;
    if (is_fused_conv(op)) {
      const std::optional<Bounds> fused = fused_conv_bounds(op);
      if (!fused) return std::nullopt;
      bounds.min = std::max(bounds.min, fused->min);
      bounds.max = std::min(bounds.max, fused->max);
      // Disjoint clamps do not compose into one clamp.
      if (!(bounds.min <= bounds.max)) return std::nullopt;
    }
    rewrite.removed.push_back(op_at);

    const std::size_t max_inputs = conv ? 3 : 2;
    if (op.inputs.size() < 2 || op.inputs.size() > max_inputs || !op.has_input(0) ||
        !op.has_input(1)) {
      return std::nullopt;
    }
    const ir::Node* x_dq = index.producer(op.inputs[0]);
    const ir::Node* w_dq = index.producer(op.inputs[1]);
    if (x_dq == nullptr || w_dq == nullptr || !is_onnx_op(*x_dq, "DequantizeLinear")) {
      return std::nullopt;
    }
    const std::optional<TensorQuant> x = per_tensor_params(index, *x_dq);
    if (!x || x->dtype != y.dtype) return std::nullopt;
    // Conv weights [M, C/group, k...] per output channel (axis 0); MatMul B [K, N] per column.
    const std::optional<WeightQuant> w =
        weight_params(index, *w_dq, opset, conv ? 0 : 1, conv ? 3 : 2);
    if (!w || (matmul && w->data->rank() != 2)) return std::nullopt;
    // A Conv over a single input channel (a grayscale first layer) stays float: integer
    // kernels pad each kernel tap's reduction to 8 or 16 channels, which makes them several
    // times slower there than the float kernel; DQ -> Conv -> Q keeps the numerics.
    if (conv && w->data->dim(1) == 1 && op.attributes.get_int("group", 1).value_or(1) == 1) {
      return std::nullopt;
    }

    const IntegerClamp clamp = integer_clamp(bounds, y);
    // Integer Clip came with opset 12.
    if (clamp.needed && opset < 12) return std::nullopt;

    Builder builder{index, rewrite};
    const std::string base = op.name.empty() ? op.outputs[0] : op.name;
    std::optional<std::string> bias;
    if (conv && op.has_input(2)) {
      bias = integer_bias(index, builder, op.inputs[2], *x, *w, base);
      if (!bias) return std::nullopt;
    }
    std::vector<std::string> inputs = {x_dq->inputs[0],
                                       x->scale_name,
                                       builder.zero_point(*x, base + ".x"),
                                       w->data_name,
                                       w->scale_name,
                                       w->zero_point_name,
                                       q.inputs[1],
                                       builder.zero_point(y, base + ".y")};
    if (inputs[5].empty()) {
      inputs[5] =
          builder.add(base + ".w_zero_point", Tensor::zeros(w->data->dtype(), w->scale->shape()));
    }
    if (bias) inputs.push_back(*bias);

    ir::Node fused;
    fused.name = op.name;
    fused.op_type = conv ? "QLinearConv" : "QLinearMatMul";
    fused.inputs = std::move(inputs);
    if (conv) {
      for (const auto& [key, value] : op.attributes.all()) {
        if (key == engine::kActivationMinAttribute || key == engine::kActivationMaxAttribute)
          continue;
        fused.attributes.set(key, value);
      }
    }
    fused.outputs = {clamp.needed ? index.fresh_name(q.outputs[0] + "_unclipped") : q.outputs[0]};
    const std::string last = fused.outputs[0];
    rewrite.replacement.push_back(std::move(fused));
    if (clamp.needed) {
      rewrite.replacement.push_back(clip_node(builder, base, last, clamp, y.dtype, q.outputs[0]));
    }
    return rewrite;
  }

  // Q <- [Relu/Clip] <- Gemm/FusedGemm(DQ(x), DQ(w const), [bias]) with int8 activations:
  // a 1x1 QLinearConv between two Reshapes ([B, K] -> [B, K, 1, 1] and back), which carries the
  // per-channel weights and the int32 bias that QLinearMatMul cannot.
  static std::optional<Rewrite> match_gemm(GraphIndex& index, const ir::Node& q,
                                           const TensorQuant& y, const ir::Node& op, Bounds bounds,
                                           std::int64_t opset, Rewrite rewrite, std::size_t op_at) {
    if (opset < 10 || y.dtype != DType::kInt8 || op.outputs.size() != 1 || op.inputs.size() < 2 ||
        op.inputs.size() > 3 || !op.has_input(0) || !op.has_input(1)) {
      return std::nullopt;
    }
    if (op.attributes.get_int("transA", 0).value_or(1) != 0 ||
        op.attributes.get_float("alpha", 1.0f).value_or(0.0f) != 1.0f ||
        op.attributes.get_float("beta", 1.0f).value_or(0.0f) != 1.0f) {
      return std::nullopt;
    }
    if (is_fused_gemm(op)) {
      const std::optional<Bounds> fused = fused_conv_bounds(op);
      if (!fused) return std::nullopt;
      bounds.min = std::max(bounds.min, fused->min);
      bounds.max = std::min(bounds.max, fused->max);
      if (!(bounds.min <= bounds.max)) return std::nullopt;
    }
    rewrite.removed.push_back(op_at);
    const ir::Node* x_dq = index.producer(op.inputs[0]);
    const ir::Node* w_dq = index.producer(op.inputs[1]);
    if (x_dq == nullptr || w_dq == nullptr || !is_onnx_op(*x_dq, "DequantizeLinear")) {
      return std::nullopt;
    }
    const std::optional<TensorQuant> x = per_tensor_params(index, *x_dq);
    if (!x || x->dtype != y.dtype) return std::nullopt;
    const bool trans_b = op.attributes.get_int("transB", 0).value_or(0) != 0;
    std::optional<WeightQuant> w = weight_params(index, *w_dq, opset, trans_b ? 0 : 1, 2);
    if (!w || w->data->rank() != 2 || w->data->dtype() != DType::kInt8) return std::nullopt;
    // [N, K] (transB) or [K, N] -> [N, K, 1, 1].
    const std::int64_t n = w->data->dim(trans_b ? 0 : 1), k = w->data->dim(trans_b ? 1 : 0);
    Tensor w4 = Tensor::zeros(DType::kInt8, {n, k, 1, 1});
    const auto* src = w->data->data<std::int8_t>();
    for (std::int64_t r = 0; r < n; ++r) {
      for (std::int64_t c = 0; c < k; ++c) {
        w4.data<std::int8_t>()[r * k + c] = trans_b ? src[r * k + c] : src[c * n + r];
      }
    }
    const IntegerClamp clamp = integer_clamp(bounds, y);
    if (clamp.needed && opset < 12) return std::nullopt;

    Builder builder{index, rewrite};
    const std::string base = op.name.empty() ? op.outputs[0] : op.name;
    WeightQuant w_conv = *w;
    w_conv.data = &w4;
    w_conv.data_name = builder.add(base + ".weight_1x1", w4);
    std::optional<std::string> bias;
    if (op.has_input(2)) {
      bias = integer_bias(index, builder, op.inputs[2], *x, w_conv, base);
      if (!bias) return std::nullopt;
    }
    auto shape = [&](const std::string& name, std::vector<std::int64_t> dims) {
      return builder.add(base + name, Tensor::vector<std::int64_t>(DType::kInt64, dims));
    };
    ir::Node to_4d;
    to_4d.name = index.fresh_name(base + "/to_4d");
    to_4d.op_type = "Reshape";
    to_4d.inputs = {x_dq->inputs[0], shape(".shape_4d", {0, 0, 1, 1})};
    to_4d.outputs = {index.fresh_name(base + "/x_4d")};
    ir::Node conv;
    conv.name = op.name;
    conv.op_type = "QLinearConv";
    conv.inputs = {to_4d.outputs[0],
                   x->scale_name,
                   builder.zero_point(*x, base + ".x"),
                   w_conv.data_name,
                   w->scale_name,
                   w->zero_point_name,
                   q.inputs[1],
                   builder.zero_point(y, base + ".y")};
    if (conv.inputs[5].empty()) {
      conv.inputs[5] =
          builder.add(base + ".w_zero_point", Tensor::zeros(DType::kInt8, w->scale->shape()));
    }
    if (bias) conv.inputs.push_back(*bias);
    conv.attributes.set("kernel_shape", std::vector<std::int64_t>{1, 1});
    conv.outputs = {index.fresh_name(base + "/y_4d")};
    ir::Node to_2d;
    to_2d.name = index.fresh_name(base + "/to_2d");
    to_2d.op_type = "Reshape";
    to_2d.inputs = {conv.outputs[0], shape(".shape_2d", {0, 0})};
    to_2d.outputs = {clamp.needed ? index.fresh_name(q.outputs[0] + "_unclipped") : q.outputs[0]};
    const std::string last = to_2d.outputs[0];
    rewrite.replacement.push_back(std::move(to_4d));
    rewrite.replacement.push_back(std::move(conv));
    rewrite.replacement.push_back(std::move(to_2d));
    if (clamp.needed) {
      rewrite.replacement.push_back(clip_node(builder, base, last, clamp, y.dtype, q.outputs[0]));
    }
    return rewrite;
  }

  // The int32 bias QLinearConv adds to its accumulator (scale x_scale * w_scale[c], zero point
  // 0): from DQ(int32 constant) or a float32 constant. Kept as is when its scale already is
  // that product (what quantizers write); nullopt when a value leaves int32.
  static std::optional<std::string> integer_bias(const GraphIndex& index, Builder& builder,
                                                 const std::string& name, const TensorQuant& x,
                                                 const WeightQuant& w, const std::string& base) {
    const std::int64_t channels = w.data->dim(0);
    std::vector<double> real(static_cast<std::size_t>(channels));
    if (const Tensor* b = index.constant(name)) {
      if (b->dtype() != DType::kFloat32 || b->shape() != Shape{channels}) return std::nullopt;
      for (std::int64_t c = 0; c < channels; ++c) real[c] = b->data<float>()[c];
    } else {
      const ir::Node* dq = index.producer(name);
      if (dq == nullptr || !is_qdq_node(*dq, "DequantizeLinear")) return std::nullopt;
      const Tensor* q = index.constant(dq->inputs[0]);
      const Tensor* scale = index.constant(dq->inputs[1]);
      const Tensor* zp = dq->has_input(2) ? index.constant(dq->inputs[2]) : nullptr;
      if (q == nullptr || q->dtype() != DType::kInt32 || q->shape() != Shape{channels} ||
          scale == nullptr || scale->dtype() != DType::kFloat32 ||
          (dq->has_input(2) && zp == nullptr)) {
        return std::nullopt;
      }
      const bool per_channel = !is_per_tensor_shape(scale->shape());
      if (per_channel) {
        std::int64_t axis = dq->attributes.get_int("axis", 1).value_or(-1000);
        if (axis < 0) axis += 1;
        if (scale->shape() != Shape{channels} || axis != 0) return std::nullopt;
      }
      if (zp != nullptr) {
        for (std::int64_t i = 0; i < zp->element_count(); ++i) {
          if (zp->element_as_int64(i) != 0) return std::nullopt;
        }
      }
      bool fits = true;
      for (std::int64_t c = 0; c < channels; ++c) {
        const float s = scale->data<float>()[per_channel ? c : 0];
        const std::int32_t v = q->data<std::int32_t>()[c];
        real[c] = static_cast<double>(v) * s;
        fits = fits && s == static_cast<float>(static_cast<double>(x.scale) * w.scale_at(c));
      }
      if (fits) return dq->inputs[0];
    }
    Tensor bias = Tensor::zeros(DType::kInt32, {channels});
    for (std::int64_t c = 0; c < channels; ++c) {
      const double v = round_half_even(real[c] / (static_cast<double>(x.scale) * w.scale_at(c)));
      if (!(v >= std::numeric_limits<std::int32_t>::min() &&
            v <= std::numeric_limits<std::int32_t>::max())) {
        return std::nullopt;
      }
      bias.data<std::int32_t>()[c] = static_cast<std::int32_t>(v);
    }
    return builder.add(base + ".bias_int32", std::move(bias));
  }

  // ---- Stage 2: uint8 activations to int8 ------------------------------------------------
  //
  // Values joined by MaxPool/Concat/Clip (which keep their input's type) form groups that flip
  // together; a group flips only when every producer and consumer of its values can follow.

  static bool is_pass_through(const ir::Node& node) {
    return is_onnx_op(node, "MaxPool") || is_onnx_op(node, "Concat") || is_onnx_op(node, "Clip");
  }

  // The inputs of a pass-through node that carry data (Clip's bounds do not).
  static std::size_t data_input_count(const ir::Node& node) {
    return is_onnx_op(node, "Concat") ? node.inputs.size()
                                      : std::min<std::size_t>(1, node.inputs.size());
  }

  // A node input slot that holds a uint8 zero point (or bound) to replace: absent or constant.
  static bool flippable_constant(const GraphIndex& index, const ir::Node& node, std::size_t slot) {
    if (!node.has_input(slot)) return true;
    const Tensor* t = index.constant(node.inputs[slot]);
    return t != nullptr && t->dtype() == DType::kUInt8;
  }

  static bool int8_weights(const GraphIndex& index, const ir::Node& node) {
    return node.has_input(3) && index.quantized_dtype(node.inputs[3]) == DType::kInt8;
  }

  // True when a node producing the uint8 `value` can produce int8 instead.
  static bool producer_can_flip(const GraphIndex& index, const ir::Node& node) {
    if (node.outputs.size() != 1) return false;
    if (is_onnx_op(node, "QuantizeLinear"))
      return is_qdq_node(node, "QuantizeLinear") && flippable_constant(index, node, 2);
    if (is_onnx_op(node, "QLinearConv") || is_onnx_op(node, "QLinearMatMul")) {
      return node.has_input(7) && int8_weights(index, node) && flippable_constant(index, node, 7);
    }
    if (is_onnx_op(node, "Clip")) {
      return node.inputs.size() <= 3 && flippable_constant(index, node, 1) &&
             flippable_constant(index, node, 2);
    }
    return is_onnx_op(node, "MaxPool") || is_onnx_op(node, "Concat");
  }

  // True when a node reading a uint8 value at `slot` can read int8 instead.
  static bool consumer_can_flip(const GraphIndex& index, const ir::Node& node, std::size_t slot) {
    if (is_onnx_op(node, "DequantizeLinear")) {
      return slot == 0 && is_qdq_node(node, "DequantizeLinear") &&
             flippable_constant(index, node, 2);
    }
    if (is_onnx_op(node, "QLinearConv") || is_onnx_op(node, "QLinearMatMul")) {
      return slot == 0 && int8_weights(index, node) && node.has_input(2) &&
             flippable_constant(index, node, 2);
    }
    if (is_pass_through(node)) return slot < data_input_count(node) && node.outputs.size() == 1;
    return false;
  }

  static bool convert_uint8_groups(ir::Graph& graph) {
    GraphIndex index(graph);
    const std::set<std::string, std::less<>> graph_inputs(graph.inputs.begin(), graph.inputs.end());
    // Union-find over uint8 values that nodes produce.
    std::map<std::string, std::string, std::less<>> parent;
    std::function<std::string(const std::string&)> root = [&](const std::string& v) {
      auto it = parent.find(v);
      if (it == parent.end()) {
        parent[v] = v;
        return v;
      }
      if (it->second == v) return v;
      std::string r = root(it->second);
      parent[v] = r;
      return r;
    };
    auto unite = [&](const std::string& a, const std::string& b) {
      const std::string ra = root(a);
      const std::string rb = root(b);
      if (ra != rb) parent[ra] = rb;
    };

    std::set<std::string, std::less<>> candidates;
    std::vector<std::string> blocked;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      const ir::Node& node = graph.nodes[i];
      if (node.outputs.empty() || node.outputs[0].empty()) continue;
      const std::string& out = node.outputs[0];
      const bool producer_kind = is_onnx_op(node, "QuantizeLinear") ||
                                 is_onnx_op(node, "QLinearConv") ||
                                 is_onnx_op(node, "QLinearMatMul") || is_pass_through(node);
      if (!producer_kind || index.quantized_dtype(out) != DType::kUInt8) continue;
      root(out);
      candidates.insert(out);
      if (!producer_can_flip(index, node) || index.is_graph_output(out) ||
          graph_inputs.count(out) != 0) {
        blocked.push_back(out);
      }
      if (is_pass_through(node)) {
        for (std::size_t s = 0; s < data_input_count(node); ++s) {
          const std::string& in = node.inputs[s];
          if (in.empty()) {
            blocked.push_back(out);
            continue;
          }
          unite(in, out);
        }
      }
      for (const GraphIndex::Use& use : index.consumers(out)) {
        if (!consumer_can_flip(index, graph.nodes[use.node], use.slot)) blocked.push_back(out);
      }
    }
    // A value joined to a group that no candidate node produces (a graph input, an initializer,
    // another op's output) blocks the group.
    for (const auto& [value, unused] : parent) {
      if (candidates.count(value) == 0) blocked.push_back(value);
    }
    std::set<std::string> blocked_roots;
    for (const std::string& v : blocked) blocked_roots.insert(root(v));

    std::set<std::string, std::less<>> flipping;
    for (const auto& [value, unused] : parent) {
      const std::string r = root(value);
      if (blocked_roots.count(r) == 0) flipping.insert(value);
    }
    if (flipping.empty()) return false;

    // New int8 copies of uint8 constants (zero points, Clip bounds), shared within the sweep.
    std::map<std::string, std::string> flipped;
    std::map<std::string, Tensor> new_initializers;
    auto flip_input = [&](ir::Node& node, std::size_t slot) {
      const std::string old = node.has_input(slot) ? node.inputs[slot] : std::string();
      auto it = flipped.find(old);
      if (it == flipped.end()) {
        Tensor t;
        std::string base;
        if (old.empty()) {
          // An absent zero point is a uint8 0.
          t = Tensor::scalar(DType::kInt8, -kShift);
          base = node.name.empty() ? node.outputs[0] + "_zero_point" : node.name + ".zero_point";
        } else {
          const Tensor* u8 = index.constant(old);
          t = Tensor::zeros(DType::kInt8, u8->shape());
          for (std::int64_t i = 0; i < u8->element_count(); ++i) {
            t.data<std::int8_t>()[i] = static_cast<std::int8_t>(u8->element_as_int64(i) - kShift);
          }
          base = old + "_s8";
        }
        const std::string name = index.fresh_name(base);
        new_initializers[name] = std::move(t);
        it = flipped.emplace(old, name).first;
      }
      if (node.inputs.size() <= slot) node.inputs.resize(slot + 1);
      node.inputs[slot] = it->second;
    };

    std::set<std::pair<std::size_t, std::size_t>> done;  // (node, slot) already replaced
    auto flip_once = [&](std::size_t node_at, std::size_t slot) {
      if (!done.insert({node_at, slot}).second) return;
      ir::Node& node = graph.nodes[node_at];
      // Absent zero points are flipped into fresh ones, absent Clip bounds stay absent.
      if (is_onnx_op(node, "Clip") && !node.has_input(slot)) return;
      flip_input(node, slot);
    };
    for (const std::string& value : flipping) {
      const std::size_t p = *index.producer_index(value);
      ir::Node& producer = graph.nodes[p];
      if (is_onnx_op(producer, "QuantizeLinear")) {
        flip_once(p, 2);
        if (producer.attributes.has("output_dtype")) {
          producer.attributes.set("output_dtype", kOnnxInt8);
        }
      } else if (is_onnx_op(producer, "QLinearConv") || is_onnx_op(producer, "QLinearMatMul")) {
        flip_once(p, 7);
      } else if (is_onnx_op(producer, "Clip")) {
        flip_once(p, 1);
        flip_once(p, 2);
      }
      for (const GraphIndex::Use& use : index.consumers(value)) {
        const ir::Node& consumer = graph.nodes[use.node];
        if (is_onnx_op(consumer, "DequantizeLinear") || is_onnx_op(consumer, "QLinearConv") ||
            is_onnx_op(consumer, "QLinearMatMul")) {
          flip_once(use.node, 2);
        }
      }
      if (auto it = graph.value_info.find(value); it != graph.value_info.end()) {
        it->second.dtype = DType::kInt8;
      }
    }
    for (auto& [name, tensor] : new_initializers) graph.initializers[name] = std::move(tensor);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> make_qdq_fusion() { return std::make_unique<QdqFusion>(); }

}  // namespace edgebench::passes
