#include "edgebench/plan/planner.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "edgebench/ir/stats.h"

namespace edgebench::plan {

namespace {

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64;
}

std::uint64_t pad_to(std::uint64_t x, std::uint64_t multiple) {
  return multiple <= 1 ? x : (x + multiple - 1) / multiple * multiple;
}

// Ops that only pass a constant on: DequantizeLinear of a constant is a weight's storage
// format, Identity of a constant an exporter's alias; neither is an op on the device.
bool is_constant_passthrough(const ir::Node& node) {
  return node.op_type == "DequantizeLinear" || node.op_type == "Identity";
}

// What the planner needs to know about a graph's values.
class GraphView {
 public:
  explicit GraphView(const ir::Graph& graph) : graph_(graph) {
    for (const ir::Node& node : graph.nodes) {
      for (const std::string& out : node.outputs) producer_[out] = &node;
    }
  }

  // The constant tensor behind a value: an initializer, a Constant node's value, or either
  // through DequantizeLinear / Identity. nullptr for activations.
  const Tensor* constant_behind(const std::string& value, int depth = 0) const {
    if (value.empty() || depth > 8) return nullptr;
    if (auto it = graph_.initializers.find(value); it != graph_.initializers.end()) {
      return &it->second;
    }
    auto p = producer_.find(value);
    if (p == producer_.end()) return nullptr;
    const ir::Node& node = *p->second;
    if (is_constant_passthrough(node) && node.has_input(0)) {
      return constant_behind(node.inputs[0], depth + 1);
    }
    if (node.op_type == "Constant") {
      const ir::AttributeValue* v = node.attributes.find("value");
      if (v != nullptr && std::holds_alternative<Tensor>(*v)) return &std::get<Tensor>(*v);
    }
    return nullptr;
  }

  bool is_constant(const std::string& value) const { return constant_behind(value) != nullptr; }

  const ir::ValueInfo* info(const std::string& value) const {
    return graph_.find_value_info(value);
  }

  // Elements of an activation (1 byte each once quantized); 0 when its shape is unknown.
  std::uint64_t activation_bytes(const std::string& value) const {
    const ir::ValueInfo* vi = info(value);
    if (vi == nullptr || !vi->has_static_shape()) return 0;
    std::uint64_t n = 1;
    for (std::int64_t d : *vi->shape) n *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
    return n;
  }

 private:
  const ir::Graph& graph_;
  std::map<std::string, const ir::Node*, std::less<>> producer_;
};

// Why `node` cannot map to `device` ("" when it can). Sets *has_float when a float tensor is
// involved (the node is then planned as quantized).
std::string unmapped_reason(const ir::Node& node, const Device& device, const GraphView& view,
                            bool* has_float) {
  if (!device.maps_op(node.op_type)) {
    return fmt::format("op type {} has no {} kernel", node.op_type, device.name);
  }
  auto check_value = [&](const std::string& value, bool is_input) -> std::string {
    if (value.empty()) return "";
    const Tensor* constant = is_input ? view.constant_behind(value) : nullptr;
    DType dtype = DType::kUndefined;
    if (constant != nullptr) {
      dtype = constant->dtype();
    } else if (const ir::ValueInfo* vi = view.info(value); vi != nullptr) {
      dtype = vi->dtype;
      if (!vi->has_static_shape()) return fmt::format("tensor '{}' has no static shape", value);
    } else {
      return fmt::format("tensor '{}' has no inferred type or shape", value);
    }
    if (is_float(dtype)) {
      *has_float = true;
      return "";
    }
    const std::string name(dtype_name(dtype));
    if (std::find(device.dtypes.begin(), device.dtypes.end(), name) != device.dtypes.end()) {
      return "";
    }
    // Integer constants are shapes, axes and biases: they do not run through the array.
    if (constant != nullptr && (dtype == DType::kInt32 || dtype == DType::kInt64)) return "";
    return fmt::format("tensor '{}' is {} (the device runs {} only)", value, name,
                       fmt::join(device.dtypes, "/"));
  };
  for (const std::string& in : node.inputs) {
    if (std::string why = check_value(in, true); !why.empty()) return why;
  }
  for (const std::string& out : node.outputs) {
    if (std::string why = check_value(out, false); !why.empty()) return why;
  }
  return "";
}

void place_parameters(ModelPlan& plan, std::uint64_t cache_bytes) {
  std::uint64_t used = 0;
  for (LayerPlan& layer : plan.layers) {
    if (!layer.mapped || layer.param_bytes == 0) continue;
    if (layer.param_bytes <= cache_bytes - used) {
      used += layer.param_bytes;
      layer.placement = Placement::kOnChip;
      plan.on_chip_bytes += layer.param_bytes;
    } else {
      layer.placement = Placement::kOffChip;
      plan.off_chip_bytes += layer.param_bytes;
    }
  }
}

void form_subgraphs(ModelPlan& plan, const ir::Graph& graph, const GraphView& view) {
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    LayerPlan& layer = plan.layers[i];
    if (!layer.mapped) continue;
    if (i == 0 || !plan.layers[i - 1].mapped) plan.subgraphs.emplace_back();
    layer.subgraph = static_cast<int>(plan.subgraphs.size() - 1);
    plan.subgraphs.back().layers.push_back(i);
  }
  for (SubgraphPlan& sub : plan.subgraphs) {
    std::set<std::size_t> inside;
    for (std::size_t li : sub.layers) inside.insert(plan.layers[li].node_index);
    std::set<std::string> produced;
    std::set<std::string> counted_inputs;
    for (std::size_t li : sub.layers) {
      const ir::Node& node = graph.nodes[plan.layers[li].node_index];
      for (const std::string& in : node.inputs) {
        if (in.empty() || view.is_constant(in) || produced.count(in) != 0 ||
            !counted_inputs.insert(in).second) {
          continue;
        }
        sub.input_bytes += view.activation_bytes(in);
      }
      for (const std::string& out : node.outputs) produced.insert(out);
    }
    // Outputs leave the device when a graph output or an op outside the subgraph reads them.
    std::set<std::string> read_outside(graph.outputs.begin(), graph.outputs.end());
    for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
      if (inside.count(n) != 0) continue;
      for (const std::string& in : graph.nodes[n].inputs) read_outside.insert(in);
    }
    for (const std::string& out : produced) {
      if (read_outside.count(out) != 0) sub.output_bytes += view.activation_bytes(out);
    }
  }
}

void predict_latency(ModelPlan& plan, const Device& device) {
  LatencyBreakdown& t = plan.latency;
  LatencyTerms& terms = plan.terms;
  t.per_inference_s = plan.subgraphs.empty() ? 0.0 : device.per_inference_s;
  terms.device_subgraphs = plan.subgraphs.size();
  for (const SubgraphPlan& sub : plan.subgraphs) {
    const double output_bw = device.link_output_bytes_per_s > 0 ? device.link_output_bytes_per_s
                                                                : device.link_bytes_per_s;
    t.io_s += 2 * device.link_latency_s +
              static_cast<double>(sub.input_bytes) / device.link_bytes_per_s +
              static_cast<double>(sub.output_bytes) / output_bw;
    terms.io_bytes += sub.input_bytes + sub.output_bytes;
    terms.output_bytes += sub.output_bytes;
  }
  for (LayerPlan& layer : plan.layers) {
    if (!layer.mapped) {
      ++plan.unmapped_ops;
      layer.time_s =
          device.host.per_op_s + static_cast<double>(layer.macs) / device.host.macs_per_s;
      t.host_s += layer.time_s;
      continue;
    }
    ++plan.mapped_ops;
    ++terms.mapped_ops;
    double compute = static_cast<double>(layer.padded_macs) / device.int8_macs_per_s;
    if (device.activation_elements_per_s > 0) {
      compute += static_cast<double>(layer.output_elements) / device.activation_elements_per_s;
    }
    terms.padded_macs += layer.padded_macs;
    terms.output_elements += layer.output_elements;
    if (layer.placement == Placement::kOffChip) {
      const double stream = static_cast<double>(layer.param_bytes) / device.link_bytes_per_s;
      layer.time_s = device.per_layer_s + device.link_latency_s + stream + compute;
      t.streaming_s += layer.time_s;
      terms.streamed_bytes += layer.param_bytes;
      ++terms.streamed_layers;
    } else {
      const double read = static_cast<double>(layer.param_bytes) / device.param_read_bytes_per_s;
      layer.time_s = device.per_layer_s + compute + read;
      t.compute_s += layer.time_s;
      terms.on_chip_bytes += layer.param_bytes;
    }
  }
  if (plan.on_chip_bytes > 0) {
    t.cache_load_s =
        device.link_latency_s + static_cast<double>(plan.on_chip_bytes) / device.link_bytes_per_s;
  }
  t.interval_low = device.interval_low;
  t.interval_high = device.interval_high;
  t.interval_coverage = device.interval_coverage;
}

}  // namespace

int weight_input_axis(const ir::Node& node, std::size_t input_index, int rank) {
  const std::string& op = node.op_type;
  if (rank < 2) return -1;
  if ((op == "Conv" || op == "ConvInteger") && input_index == 1) return 1;
  if (op == "QLinearConv" && input_index == 3) return 1;
  if (op == "ConvTranspose" && input_index == 1) return 0;
  if (op == "Gemm" && input_index == 1) {
    auto trans_b = node.attributes.get_int("transB", 0);
    return trans_b.is_ok() && *trans_b != 0 ? 1 : 0;
  }
  if ((op == "MatMul" || op == "MatMulInteger") && input_index == 1) return rank - 2;
  if (op == "QLinearMatMul" && input_index == 3) return rank - 2;
  return -1;
}

std::string_view placement_name(Placement p) {
  switch (p) {
    case Placement::kHost: return "host";
    case Placement::kOnChip: return "on-chip";
    case Placement::kOffChip: return "off-chip";
    case Placement::kNoParams: return "-";
  }
  return "?";
}

int weight_output_axis(const ir::Node& node, std::size_t input_index, int rank) {
  const std::string& op = node.op_type;
  if (rank < 2) return -1;
  if ((op == "Conv" || op == "ConvInteger") && input_index == 1) return 0;
  if (op == "QLinearConv" && input_index == 3) return 0;
  if (op == "ConvTranspose" && input_index == 1) return 1;
  if (op == "Gemm" && input_index == 1) {
    auto trans_b = node.attributes.get_int("transB", 0);
    return trans_b.is_ok() && *trans_b != 0 ? 0 : 1;
  }
  if ((op == "MatMul" || op == "MatMulInteger") && input_index == 1) return rank - 1;
  if (op == "QLinearMatMul" && input_index == 3) return rank - 1;
  return -1;
}

Result<ModelPlan> plan_model(const PlanInput& input, const Device& device,
                             std::uint64_t cache_bytes) {
  if (input.graph == nullptr) return invalid_argument("plan: no graph given");
  const ir::Graph& graph = *input.graph;
  EB_ASSIGN_OR_RETURN(std::vector<std::size_t> order, ir::topological_order(graph));
  const ir::GraphStats stats = ir::compute_stats(graph);
  const GraphView view(graph);

  ModelPlan plan;
  plan.name = input.name;
  plan.cache_available_bytes = cache_bytes;
  const auto alignment = static_cast<std::uint64_t>(device.column_alignment);
  const auto in_alignment = static_cast<std::uint64_t>(device.input_channel_alignment);

  std::set<const Tensor*> counted_weights;  // a shared initializer is stored once
  bool cut = false;                         // Partition::kPrefix: the graph was cut already
  for (std::size_t index : order) {
    const ir::Node& node = graph.nodes[index];
    if (node.op_type == "Constant") continue;
    if (is_constant_passthrough(node) && node.has_input(0) && view.is_constant(node.inputs[0])) {
      continue;
    }
    LayerPlan layer;
    layer.node_index = index;
    layer.name = node.name;
    layer.op_type = node.op_type;
    layer.macs = index < stats.nodes.size() ? stats.nodes[index].macs : 0;
    layer.padded_macs = layer.macs;

    bool has_float = false;
    layer.reason = unmapped_reason(node, device, view, &has_float);
    if (layer.reason.empty() && cut) {
      layer.reason = "after the first unmapped op (the compiler cuts the graph only once)";
    }
    layer.mapped = layer.reason.empty();
    if (!layer.mapped && device.partition == Partition::kPrefix) cut = true;
    if (has_float) plan.planned_as_int8 = true;

    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const Tensor* w = view.constant_behind(node.inputs[i]);
      if (w == nullptr || w->rank() < 2) continue;
      if (is_float(w->dtype())) plan.planned_as_int8 = true;
      const int axis = weight_output_axis(node, i, w->rank());
      std::uint64_t bytes = static_cast<std::uint64_t>(w->element_count());
      if (axis >= 0 && w->dim(axis) > 0) {
        const auto out = static_cast<std::uint64_t>(w->dim(axis));
        const std::uint64_t padded = pad_to(out, alignment);
        bytes = bytes / out * padded;
        // MACs x padded_out / out x padded_in / in, in integers (exact for whole channels).
        std::uint64_t padded_macs = layer.macs / out * padded + layer.macs % out * padded / out;
        // Grouped (depthwise) convolutions do not fill the array's depth with input channels.
        auto group = node.attributes.get_int("group", 1);
        const int in_axis =
            group.is_ok() && *group > 1 ? -1 : weight_input_axis(node, i, w->rank());
        if (in_axis >= 0 && w->dim(in_axis) > 0) {
          const auto in = static_cast<std::uint64_t>(w->dim(in_axis));
          const std::uint64_t padded_in = pad_to(in, in_alignment);
          padded_macs = padded_macs / in * padded_in + padded_macs % in * padded_in / in;
        }
        layer.padded_macs = padded_macs;
        if (layer.output_elements == 0) {
          for (const std::string& o : node.outputs) {
            layer.output_elements += view.activation_bytes(o);
          }
        }
      }
      if (counted_weights.insert(w).second) layer.param_bytes += bytes;
    }
    layer.placement = layer.mapped ? Placement::kNoParams : Placement::kHost;
    plan.layers.push_back(std::move(layer));
  }

  form_subgraphs(plan, graph, view);
  place_parameters(plan, cache_bytes);
  predict_latency(plan, device);
  return plan;
}

Result<std::vector<ModelPlan>> co_compile(const std::vector<PlanInput>& inputs,
                                          const Device& device) {
  std::vector<ModelPlan> plans;
  std::uint64_t left = device.param_cache_bytes;
  for (const PlanInput& input : inputs) {
    auto plan = plan_model(input, device, left);
    if (!plan.is_ok()) return plan.status().with_context(fmt::format("model '{}'", input.name));
    left -= std::min(left, plan->on_chip_bytes);
    plans.push_back(std::move(plan).value());
  }
  return plans;
}

Result<std::vector<ModelPlan>> compile_separately(const std::vector<PlanInput>& inputs,
                                                  const Device& device) {
  std::vector<ModelPlan> plans;
  for (const PlanInput& input : inputs) {
    auto plan = plan_model(input, device, device.param_cache_bytes);
    if (!plan.is_ok()) return plan.status().with_context(fmt::format("model '{}'", input.name));
    plans.push_back(std::move(plan).value());
  }
  return plans;
}

}  // namespace edgebench::plan
