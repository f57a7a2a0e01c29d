// edgebench inspect MODEL.tflite: the TFLite flatbuffer as the model's own description says it.
#include "inspect_tflite.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common.h"
#include "edgebench/core/hash.h"
#include "edgebench/ir/stats.h"
#include "edgebench/tflite/model.h"

namespace edgebench::cli {

namespace {

// MACs of the ops whose cost is one product per output element and reduction step, from the
// shapes the file declares: CONV_2D (filter [O,KH,KW,I]), DEPTHWISE_CONV_2D (filter
// [1,KH,KW,C*M]: KH*KW per output) and FULLY_CONNECTED (weights [units, in]). Biases are not
// counted (as for ONNX). Nothing for other ops.
std::uint64_t node_macs(const ir::Graph& graph, const ir::Node& node) {
  auto shape_of = [&](std::size_t i) -> const Shape* {
    if (i >= node.inputs.size() || node.inputs[i].empty()) return nullptr;
    const ir::ValueInfo* info = graph.find_value_info(node.inputs[i]);
    return info && info->has_static_shape() ? &*info->shape : nullptr;
  };
  if (node.outputs.empty()) return 0;
  const ir::ValueInfo* out = graph.find_value_info(node.outputs[0]);
  if (!out || !out->has_static_shape()) return 0;
  auto count = checked_element_count(*out->shape);
  if (!count.is_ok()) return 0;
  const Shape* w = shape_of(1);
  if (!w) return 0;
  std::uint64_t per_output = 0;
  if (node.op_type == "CONV_2D" && w->size() == 4) {
    per_output = static_cast<std::uint64_t>((*w)[1] * (*w)[2] * (*w)[3]);
  } else if (node.op_type == "DEPTHWISE_CONV_2D" && w->size() == 4) {
    per_output = static_cast<std::uint64_t>((*w)[1] * (*w)[2]);
  } else if (node.op_type == "FULLY_CONNECTED" && w->size() == 2) {
    per_output = static_cast<std::uint64_t>((*w)[1]);
  }
  return per_output * *count;
}

nlohmann::json quant_json(const std::optional<QuantParams>& q) {
  if (!q) return nullptr;
  nlohmann::json j = {{"scale", q->scales}, {"zero_point", q->zero_points}};
  if (q->axis) j["quantized_dimension"] = *q->axis;
  return j;
}

std::string quant_text(const std::optional<QuantParams>& q) {
  if (!q) return "";
  if (q->scales.size() == 1) {
    return fmt::format("scale {:.6g} zero_point {}", q->scales[0], q->zero_points[0]);
  }
  return fmt::format("per-axis {} scales on dim {}", q->scales.size(), q->axis.value_or(0));
}

std::string shape_text(const tflite::TensorInfo& t) {
  std::vector<std::string> dims;
  for (std::size_t d = 0; d < t.shape.size(); ++d) {
    const bool symbolic = d < t.shape_signature.size() && t.shape_signature[d] < 0 &&
                          t.shape_signature.size() == t.shape.size();
    dims.push_back(symbolic ? fmt::format("{} (-1)", t.shape[d]) : std::to_string(t.shape[d]));
  }
  return "[" + fmt::format("{}", fmt::join(dims, ",")) + "]";
}

// What inspect reads from a TFLite file, for the table and the JSON document alike.
struct TfliteFacts {
  tflite::ModelInfo model;
  ir::GraphStats stats;
  std::uint64_t macs_total = 0;
  std::vector<std::uint64_t> macs;  // per node
};

Result<TfliteFacts> gather_facts(const InspectOptions& options, const ir::Graph& graph) {
  auto model = tflite::parse_model(*graph.foreign->bytes, fmt::format("model '{}'", options.model));
  if (!model.is_ok()) return model.status();
  TfliteFacts f{std::move(model).value(), ir::compute_stats(graph), 0, {}};
  f.macs.resize(graph.nodes.size());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    f.macs[i] = node_macs(graph, graph.nodes[i]);
    f.macs_total += f.macs[i];
  }
  return f;
}

void print_table(const TfliteFacts& f, const InspectOptions& options, const ir::Graph& graph) {
  const tflite::ModelInfo* model = &f.model;
  const tflite::SubGraphInfo& main = model->subgraphs[0];
  const ir::GraphStats& stats = f.stats;
  const std::uint64_t macs_total = f.macs_total;
  fmt::print("model       {}\n", options.model);
  fmt::print("format      TFLite (schema version {}, {} subgraph{}){}\n", model->version,
             model->subgraphs.size(), model->subgraphs.size() == 1 ? "" : "s",
             model->description.empty() ? "" : ", \"" + model->description + "\"");
  auto print_io = [&](const char* title, const std::vector<std::int32_t>& indices) {
    fmt::print("{}\n", title);
    for (std::int32_t index : indices) {
      const tflite::TensorInfo& t = main.tensors[static_cast<std::size_t>(index)];
      const auto dtype = tflite::dtype_from_tensor_type(t.type);
      fmt::print("  {:<32} {:<8} {:<18} {}\n", t.name,
                 dtype ? std::string(dtype_name(*dtype)) : tflite::tensor_type_name(t.type),
                 shape_text(t), quant_text(tflite::quant_params(t)));
    }
  };
  fmt::print("\n");
  print_io("inputs", main.inputs);
  print_io("outputs", main.outputs);
  fmt::print("\nparameters  {} ({})", human_count(static_cast<double>(stats.params_total)),
             human_bytes(static_cast<double>(stats.params_bytes)));
  for (const auto& [dtype, count] : stats.params_by_dtype) {
    fmt::print("   {}: {} ({})", dtype, count,
               human_bytes(static_cast<double>(stats.params_bytes_by_dtype.at(dtype))));
  }
  fmt::print("\nMACs        {}   ({} exactly; CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED)\n",
             human_count(static_cast<double>(macs_total)), macs_total);
  fmt::print("\nops ({} nodes)\n", graph.nodes.size());
  std::vector<std::pair<std::string, std::uint64_t>> ops(stats.op_counts.begin(),
                                                         stats.op_counts.end());
  std::stable_sort(ops.begin(), ops.end(), [](auto& a, auto& b) { return a.second > b.second; });
  for (const auto& [op, count] : ops) fmt::print("  {:<24} {}\n", op, count);
  fmt::print("\nrun it with --backend tflite (the native engine does not run TFLite models)\n");
}

nlohmann::json to_json(const TfliteFacts& f, const std::string& model_path,
                       const ir::Graph& graph) {
  const tflite::ModelInfo* model = &f.model;
  const tflite::SubGraphInfo& main = model->subgraphs[0];
  const ir::GraphStats& stats = f.stats;
  nlohmann::json j;
  j["schema"] = "edgebench.inspect/1";
  j["format"] = "tflite";
  auto sha = sha256_file(model_path);
  j["model"] = {{"path", model_path},
                {"sha256", sha.is_ok() ? *sha : ""},
                {"producer", graph.producer_name},
                {"schema_version", model->version},
                {"description", model->description},
                {"subgraphs", model->subgraphs.size()}};
  j["macs_total"] = f.macs_total;
  j["params_total"] = stats.params_total;
  j["params_bytes"] = stats.params_bytes;
  j["params_by_dtype"] = stats.params_by_dtype;
  j["params_bytes_by_dtype"] = stats.params_bytes_by_dtype;
  j["conventions"] = {{"macs",
                       "multiply-accumulates of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED "
                       "from the declared shapes; biases not counted; other ops 0"}};
  auto io_json = [&](const std::vector<std::int32_t>& indices) {
    nlohmann::json list = nlohmann::json::array();
    for (std::int32_t index : indices) {
      const tflite::TensorInfo& t = main.tensors[static_cast<std::size_t>(index)];
      const auto dtype = tflite::dtype_from_tensor_type(t.type);
      nlohmann::json e = {
          {"name", t.name},
          {"dtype", dtype ? std::string(dtype_name(*dtype)) : tflite::tensor_type_name(t.type)},
          {"shape", t.shape},
          {"quantization", quant_json(tflite::quant_params(t))}};
      if (!t.shape_signature.empty()) e["shape_signature"] = t.shape_signature;
      list.push_back(std::move(e));
    }
    return list;
  };
  j["inputs"] = io_json(main.inputs);
  j["outputs"] = io_json(main.outputs);
  j["op_counts"] = stats.op_counts;
  j["nodes"] = nlohmann::json::array();
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    nlohmann::json outs = nlohmann::json::array();
    for (const std::string& out : n.outputs) {
      const ir::ValueInfo* info = graph.find_value_info(out);
      outs.push_back(info && info->shape ? nlohmann::json(*info->shape) : nlohmann::json());
    }
    j["nodes"].push_back({{"index", i},
                          {"name", n.name},
                          {"op", n.op_type},
                          {"macs", f.macs[i]},
                          {"params", stats.nodes.size() > i ? stats.nodes[i].param_count : 0},
                          {"output_shapes", outs}});
  }
  j["unsupported_ops"] = nlohmann::json::array();  // the runtime decides; none known here
  return j;
}

}  // namespace

Result<nlohmann::json> inspect_tflite_report(const InspectOptions& options,
                                             const ir::Graph& graph) {
  auto facts = gather_facts(options, graph);
  if (!facts.is_ok()) return facts.status();
  return to_json(*facts, options.model, graph);
}

int run_inspect_tflite(const InspectOptions& options, const ir::Graph& graph) {
  auto facts = gather_facts(options, graph);
  if (!facts.is_ok()) return report_error(facts.status());
  print_table(*facts, options, graph);
  if (options.json_path.empty()) return kExitOk;
  const std::string text = to_json(*facts, options.model, graph).dump(2) + "\n";
  if (Status st = write_text_file(options.json_path, text, "--json"); !st.is_ok()) {
    return report_error(st);
  }
  return kExitOk;
}

}  // namespace edgebench::cli
