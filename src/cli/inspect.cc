// edgebench inspect: what a model is made of and what it will cost to run.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/hash.h"
#include "edgebench/engine/plan.h"
#include "edgebench/engine/registry.h"
#include "edgebench/ir/stats.h"
#include "inspect_tflite.h"

namespace edgebench::cli {

namespace {

nlohmann::json tensor_spec_json(const std::string& name, DType dtype, const Shape& shape) {
  return {{"name", name}, {"dtype", std::string(dtype_name(dtype))}, {"shape", shape}};
}

// What inspect finds in an ONNX model, for the table and the JSON document alike.
struct Facts {
  ir::Graph graph;
  std::map<std::string, Shape, std::less<>> input_shapes;  // --input-shape
  // Inputs with symbolic dims that --input-shape does not fix: the figures that depend on them
  // (MACs, FLOPs, activation bytes, output shapes, kernel choice) are not computed at all.
  std::vector<ir::SymbolicInput> needs_shape;
  bool concrete = false;  // needs_shape is empty
  engine::GraphAnalysis analysis;
  ir::GraphStats stats;
  std::map<std::size_t, std::string> unsupported_reason;  // node index -> why
  std::map<std::string, std::uint64_t> unsupported_ops;   // op -> nodes
  // Which kernel each node gets on the native backend (fast, fallback, folded into another);
  // it depends on the shapes, so it is "undetermined" without them.
  std::vector<std::string> kernel;
  std::vector<std::string> fallback_reason;
  std::optional<int> layout_conversions;  // NCHW <-> NHWC conversions the native engine adds
  std::map<std::string, std::uint64_t> kernel_counts;
  std::map<std::string, std::uint64_t> fallback_counts;  // "op: reason" -> nodes

  // An input's shape as declared (with its dim names) and, when given, as bound.
  std::string input_shape_text(const std::string& name) const {
    const ir::ValueInfo* info = graph.find_value_info(name);
    const std::string declared =
        info ? ir::shape_with_dim_names(info->shape, info->dim_names) : "[?...]";
    auto given = input_shapes.find(name);
    if (given == input_shapes.end()) return declared;
    return fmt::format("{} (declared {})", shape_to_string(given->second), declared);
  }
  std::string input_dtype(const std::string& name) const {
    const ir::ValueInfo* info = graph.find_value_info(name);
    return std::string(dtype_name(info ? info->dtype : DType::kUndefined));
  }
};

Result<Facts> gather_facts(const InspectOptions& options, ir::Graph loaded) {
  Facts f;
  f.graph = std::move(loaded);
  const ir::Graph& graph = f.graph;
  auto parsed_shapes = parse_input_shapes(options.input_shapes);
  if (!parsed_shapes.is_ok()) return parsed_shapes.status();
  f.input_shapes = std::move(parsed_shapes).value();
  const auto* input_shapes = &f.input_shapes;
  f.needs_shape = ir::inputs_needing_shapes(graph, *input_shapes);
  const bool concrete = f.needs_shape.empty();
  f.concrete = concrete;
  // The graph with the given shapes declared on its inputs, so that every analysis below
  // (including the backend's kernel choice) sees the same concrete shapes.
  ir::Graph bound = graph;
  for (const auto& [name, shape] : *input_shapes) {
    if (std::find(graph.inputs.begin(), graph.inputs.end(), name) == graph.inputs.end()) {
      return invalid_argument(
          fmt::format("--input-shape {}=...: the model has no input named '{}' (inputs: {})", name,
                      name, fmt::join(graph.inputs, ", ")));
    }
    ir::ValueInfo& info = bound.value_info[name];
    info.shape = shape;
    info.dim_names.assign(shape.size(), "");
  }
  engine::PlanOptions plan_options;
  plan_options.input_shapes = *input_shapes;
  engine::GraphAnalysis& analysis = f.analysis;
  if (concrete) {
    auto analyzed = engine::analyze_graph(graph, engine::builtin_registry(), plan_options);
    if (!analyzed.is_ok()) {
      return with_symbolic_dims_hint(analyzed.status(), graph, *input_shapes)
          .with_context(fmt::format("model '{}'", options.model));
    }
    analysis = std::move(analyzed).value();
  } else {
    // Without shapes, only what does not depend on them: which ops the engine lacks.
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      const ir::Node& node = graph.nodes[i];
      auto kernel = engine::builtin_registry().create_kernel(node, graph.opset_for(node.domain));
      if (!kernel.is_ok()) analysis.unsupported.push_back({i, kernel.status()});
    }
  }
  ir::Graph annotated = graph;
  engine::annotate_types(annotated, analysis.types);
  f.stats = ir::compute_stats(annotated);

  auto& unsupported_reason = f.unsupported_reason;
  auto& unsupported_ops = f.unsupported_ops;
  for (const auto& u : analysis.unsupported) {
    unsupported_reason[u.node_index] = u.reason.message();
    unsupported_ops[graph.nodes[u.node_index].op_type] += 1;
  }

  auto& kernel = f.kernel;
  auto& fallback_reason = f.fallback_reason;
  kernel.assign(graph.nodes.size(), concrete ? "reference" : "undetermined");
  fallback_reason.assign(graph.nodes.size(), "");
  if (auto native = backends::make_backend("native"); concrete && native.is_ok()) {
    for (const backends::NodeSupport& s : native.value()->support(bound)) {
      if (s.node_index >= kernel.size() || !s.supported) continue;
      kernel[s.node_index] = s.kernel;
      if (s.kernel == "reference") fallback_reason[s.node_index] = s.reason;
    }
    f.layout_conversions = native.value()->layout_conversions(bound);
  }
  for (const auto& [i, why] : unsupported_reason) kernel[i] = "unsupported";
  auto& kernel_counts = f.kernel_counts;
  auto& fallback_counts = f.fallback_counts;
  for (std::size_t i = 0; i < kernel.size(); ++i) {
    kernel_counts[kernel[i]] += 1;
    if (kernel[i] == "reference") {
      fallback_counts[fmt::format("{}: {}", graph.nodes[i].op_type,
                                  fallback_reason[i].empty() ? "-" : fallback_reason[i])] += 1;
    }
  }
  return f;
}

// The human-readable table of `edgebench inspect`.
void print_table(const Facts& f, const InspectOptions& options) {
  const ir::Graph& graph = f.graph;
  const bool concrete = f.concrete;
  const auto& needs_shape = f.needs_shape;
  const auto& analysis = f.analysis;
  const ir::GraphStats& stats = f.stats;
  const auto& kernel = f.kernel;
  const auto& layout_conversions = f.layout_conversions;
  const auto input_dtype = [&](const std::string& name) { return f.input_dtype(name); };
  const auto input_shape_text = [&](const std::string& name) { return f.input_shape_text(name); };
  fmt::print("model       {}\n", options.model);
  fmt::print("producer    {} {}   ir_version {}   opset {}\n",
             graph.producer_name.empty() ? "-" : graph.producer_name, graph.producer_version,
             graph.ir_version, graph.onnx_opset());
  fmt::print("\ninputs\n");
  for (const std::string& name : graph.inputs) {
    fmt::print("  {:<32} {:<8} {}\n", name, input_dtype(name), input_shape_text(name));
  }
  fmt::print("outputs\n");
  for (const std::string& name : graph.outputs) {
    auto t = analysis.types.types.find(name);
    const ir::ValueInfo* declared = graph.find_value_info(name);
    if (t != analysis.types.types.end()) {
      fmt::print("  {:<32} {:<8} {}\n", name, dtype_name(t->second.dtype),
                 shape_to_string(t->second.shape));
    } else if (!concrete && declared != nullptr) {
      fmt::print("  {:<32} {:<8} {}\n", name, dtype_name(declared->dtype),
                 ir::shape_with_dim_names(declared->shape, declared->dim_names));
    } else {
      fmt::print("  {:<32} (not inferred)\n", name);
    }
  }
  fmt::print("\nparameters  {} ({})", human_count(static_cast<double>(stats.params_total)),
             human_bytes(static_cast<double>(stats.params_bytes)));
  for (const auto& [dtype, count] : stats.params_by_dtype) {
    fmt::print("   {}: {}", dtype, count);
  }
  if (concrete) {
    fmt::print("\nMACs        {}   ({} exactly)\n",
               human_count(static_cast<double>(stats.macs_total)), stats.macs_total);
    fmt::print("FLOPs       {}\n", human_count(static_cast<double>(stats.flops_total)));
    fmt::print("activations {} planned arena (liveness reuse), {} naive sum\n",
               human_bytes(static_cast<double>(analysis.memory.arena_bytes)),
               human_bytes(static_cast<double>(analysis.memory.naive_bytes)));
  } else {
    fmt::print("\nMACs, FLOPs, activations: not computed, they depend on symbolic input dims\n");
    for (const ir::SymbolicInput& input : needs_shape) {
      fmt::print("  needs --input-shape {}=DIMS  (declared {})\n", input.name,
                 ir::shape_with_dim_names(input.shape, input.dim_names));
    }
  }
  if (analysis.types.dynamic) {
    fmt::print("            (shapes after this point depend on run-time values: {})\n",
               analysis.types.dynamic_reason);
  }

  fmt::print("\nops ({} nodes)\n", graph.nodes.size());
  std::vector<std::pair<std::string, std::uint64_t>> ops(stats.op_counts.begin(),
                                                         stats.op_counts.end());
  std::stable_sort(ops.begin(), ops.end(), [](auto& a, auto& b) { return a.second > b.second; });
  for (const auto& [op, count] : ops) fmt::print("  {:<24} {}\n", op, count);

  std::vector<std::size_t> order(stats.nodes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const std::size_t shown =
      options.all_nodes ? order.size() : std::min<std::size_t>(15, order.size());
  if (!options.all_nodes && concrete) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return stats.nodes[a].macs > stats.nodes[b].macs;
    });
  }
  fmt::print("\nnodes{}\n", options.all_nodes || !concrete ? "" : " (top by MACs)");
  fmt::print("  {:<5} {:<36} {:<20} {:>12} {:>6}  {}\n", "#", "name", "op", "MACs", "share",
             "kernel");
  for (std::size_t k = 0; k < shown; ++k) {
    const std::size_t i = order[k];
    const ir::NodeStats& n = stats.nodes[i];
    const double share = stats.macs_total ? 100.0 * static_cast<double>(n.macs) /
                                                static_cast<double>(stats.macs_total)
                                          : 0.0;
    if (!concrete) {
      fmt::print("  {:<5} {:<36} {:<20} {:>12} {:>6}  {}\n", i,
                 n.name.empty() ? "-" : n.name.substr(0, 36), n.op_type, "-", "-", kernel[i]);
      continue;
    }
    fmt::print("  {:<5} {:<36} {:<20} {:>12} {:>5.1f}%  {}\n", i,
               n.name.empty() ? "-" : n.name.substr(0, 36), n.op_type,
               human_count(static_cast<double>(n.macs)), share, kernel[i]);
  }
  if (shown < order.size()) {
    fmt::print("  ... {} more (--all-nodes, or --json for every figure)\n", order.size() - shown);
  }
  fmt::print("\nkernels on the native backend:");
  for (const auto& [k, count] : f.kernel_counts) fmt::print("  {} {}", k, count);
  fmt::print("\n");
  if (layout_conversions) {
    fmt::print("  layout conversions (NCHW <-> NHWC) {}\n", *layout_conversions);
  }
  for (const auto& [what, count] : f.fallback_counts) {
    fmt::print("  reference  {:>4} x {}\n", count, what);
  }
  if (f.unsupported_ops.empty()) {
    fmt::print("\nunsupported ops: none\n");
  } else {
    fmt::print("\nunsupported ops:\n");
    for (const auto& [i, why] : f.unsupported_reason) fmt::print("  {}\n", why);
  }
}

// The `edgebench.inspect/1` document (`--json`, and what the library returns).
nlohmann::json to_json(const Facts& f, const std::string& model_path) {
  nlohmann::json j;
  j["schema"] = "edgebench.inspect/1";
  auto sha = sha256_file(model_path);
  j["model"] = {{"path", model_path},
                {"sha256", sha.is_ok() ? *sha : ""},
                {"producer", f.graph.producer_name},
                {"producer_version", f.graph.producer_version},
                {"ir_version", f.graph.ir_version},
                {"opset", f.graph.onnx_opset()}};
  // Figures that depend on symbolic input dims are null until --input-shape fixes them.
  const auto figure = [&](std::uint64_t value) {
    return f.concrete ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  j["needs_input_shape"] = nlohmann::json::array();
  for (const ir::SymbolicInput& input : f.needs_shape) j["needs_input_shape"].push_back(input.name);
  j["input_shapes"] = nlohmann::json::object();
  for (const auto& [name, shape] : f.input_shapes) j["input_shapes"][name] = shape;
  j["macs_total"] = figure(f.stats.macs_total);
  j["flops_total"] = figure(f.stats.flops_total);
  j["params_total"] = f.stats.params_total;
  j["params_bytes"] = f.stats.params_bytes;
  j["params_by_dtype"] = f.stats.params_by_dtype;
  j["params_bytes_by_dtype"] = f.stats.params_bytes_by_dtype;
  j["activation_peak_bytes"] = figure(f.analysis.memory.arena_bytes);
  j["activation_naive_bytes"] = figure(f.analysis.memory.naive_bytes);
  j["shapes_dynamic"] = f.analysis.types.dynamic;
  j["conventions"] = {
      {"macs",
       "multiply-accumulates of Conv/ConvTranspose/Gemm/MatMul (and integer forms); "
       "biases not counted"},
      {"flops", "2 x MACs + bias adds + one per output element of elementwise ops"}};
  j["inputs"] = nlohmann::json::array();
  for (const std::string& name : f.graph.inputs) {
    auto bound_type = f.analysis.types.inputs.find(name);
    const ir::ValueInfo* info = f.graph.find_value_info(name);
    nlohmann::json input =
        bound_type != f.analysis.types.inputs.end()
            ? tensor_spec_json(name, bound_type->second.dtype, bound_type->second.shape)
            : nlohmann::json{{"name", name}, {"dtype", f.input_dtype(name)}};
    if (bound_type == f.analysis.types.inputs.end()) {
      // Unknown dims are null; their names are in dim_names.
      nlohmann::json dims = nullptr;
      if (info != nullptr && info->shape) {
        dims = nlohmann::json::array();
        for (std::int64_t d : *info->shape) dims.push_back(d >= 0 ? nlohmann::json(d) : nullptr);
      }
      input["shape"] = dims;
    }
    input["declared_shape"] = info ? ir::shape_with_dim_names(info->shape, info->dim_names) : "";
    input["dim_names"] = info ? info->dim_names : std::vector<std::string>{};
    j["inputs"].push_back(std::move(input));
  }
  j["outputs"] = nlohmann::json::array();
  for (const std::string& name : f.graph.outputs) {
    auto t = f.analysis.types.types.find(name);
    if (t != f.analysis.types.types.end()) {
      j["outputs"].push_back(tensor_spec_json(name, t->second.dtype, t->second.shape));
    } else {
      j["outputs"].push_back({{"name", name}, {"dtype", nullptr}, {"shape", nullptr}});
    }
  }
  j["op_counts"] = f.stats.op_counts;
  j["nodes"] = nlohmann::json::array();
  for (std::size_t i = 0; i < f.stats.nodes.size(); ++i) {
    const ir::NodeStats& n = f.stats.nodes[i];
    nlohmann::json node = {{"index", i},
                           {"name", n.name},
                           {"op", n.op_type},
                           {"macs", figure(n.macs)},
                           {"flops", figure(n.flops)},
                           {"params", n.param_count},
                           {"shapes_known", n.shapes_known},
                           {"kernel", f.kernel[i]},
                           {"fast", f.concrete ? nlohmann::json(f.kernel[i] != "reference" &&
                                                                f.kernel[i] != "unsupported")
                                               : nlohmann::json(nullptr)}};
    if (f.unsupported_reason.count(i)) node["unsupported_reason"] = f.unsupported_reason.at(i);
    if (!f.fallback_reason[i].empty()) node["fallback_reason"] = f.fallback_reason[i];
    nlohmann::json outs = nlohmann::json::array();
    for (const std::string& out : f.graph.nodes[i].outputs) {
      auto t = f.analysis.types.types.find(out);
      if (t != f.analysis.types.types.end()) outs.push_back(t->second.shape);
    }
    node["output_shapes"] = outs;
    j["nodes"].push_back(std::move(node));
  }
  // Nodes per kernel on the native backend (null: the choice needs concrete shapes).
  j["kernel_counts"] = f.concrete ? nlohmann::json(f.kernel_counts) : nlohmann::json(nullptr);
  // ToNhwc / ToNchw nodes the native engine adds (null: needs concrete shapes).
  j["layout_conversions"] =
      f.layout_conversions ? nlohmann::json(*f.layout_conversions) : nlohmann::json(nullptr);
  j["unsupported_ops"] = nlohmann::json::array();
  for (const auto& [op, count] : f.unsupported_ops) {
    j["unsupported_ops"].push_back({{"op", op}, {"count", count}});
  }
  return j;
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

Result<nlohmann::json> inspect_report(const InspectOptions& options) {
  Result<ir::Graph> loaded = load_model_file(options.model);
  if (!loaded.is_ok()) return loaded.status();
  if (loaded->foreign) return inspect_tflite_report(options, *loaded);  // inspect_tflite.cc
  auto facts = gather_facts(options, std::move(loaded).value());
  if (!facts.is_ok()) return facts.status();
  return to_json(*facts, options.model);
}

}  // namespace edgebench::api

namespace edgebench::cli {

int run_inspect(const InspectOptions& options) {
  Result<ir::Graph> loaded = load_model_file(options.model);
  if (!loaded.is_ok()) return report_error(loaded.status());
  if (loaded->foreign) return run_inspect_tflite(options, *loaded);  // inspect_tflite.cc
  auto facts = gather_facts(options, std::move(loaded).value());
  if (!facts.is_ok()) return report_error(facts.status());
  print_table(*facts, options);
  if (options.json_path.empty()) return kExitOk;
  const std::string text = to_json(*facts, options.model).dump(2) + "\n";
  if (Status st = write_text_file(options.json_path, text, "--json"); !st.is_ok()) {
    return report_error(st);
  }
  return kExitOk;
}

}  // namespace edgebench::cli
