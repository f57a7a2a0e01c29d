// edgebench analyze: how much a quantized model's tensors differ from the float model's.
//
// Pairs of tensors, found by name (the quantizer's naming, passes/quantize.h):
//   * quantized activation: T_dequantized in the quantized model vs T in the float model;
//   * layer output: a float value with the same name in both models (a layer computed from
//     quantized inputs), including the model outputs;
//   * weight: DequantizeLinear(W_quantized) vs the float model's initializer W.
// For each pair: SQNR = 10 log10(sum x^2 / sum (x - x_q)^2) in dB and the relative L2 error
// sqrt(sum (x - x_q)^2 / sum x^2), summed over all samples. The model output gets the two
// measures of the thesis: the mean over samples of ||y - y_q||_2 / ||y||_2 and the share of
// samples whose argmax changes. The weight width-dispersion ratio of each float layer is
// max|w| / std(w) per output filter, averaged over the filters (the model figure weights each
// layer by its number of weights).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "common.h"
#include "edgebench/engine/plan.h"
#include "edgebench/passes/quantize.h"
#include "optimize_commands.h"
#include "probe.h"

namespace edgebench::cli {

namespace {

struct Pair {
  std::string kind;       // "activation", "layer output", "weight"
  std::string quantized;  // value name in the quantized model
  std::string reference;  // value name in the float model
  Shape shape;
  double signal = 0;  // sum x^2
  double noise = 0;   // sum (x - x_q)^2
};

void accumulate(Pair& pair, const Tensor& quantized, const Tensor& reference) {
  const std::int64_t n = std::min(quantized.element_count(), reference.element_count());
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = reference.element_as_double(i);
    const double d = quantized.element_as_double(i) - x;
    pair.signal += x * x;
    pair.noise += d * d;
  }
}

double sqnr_db(const Pair& p) {
  if (p.noise == 0) return INFINITY;
  if (p.signal == 0) return -INFINITY;
  return 10.0 * std::log10(p.signal / p.noise);
}

double relative_error(const Pair& p) {
  if (p.signal == 0) return p.noise == 0 ? 0.0 : INFINITY;
  return std::sqrt(p.noise / p.signal);
}

// JSON has no infinity: an exact match (infinite SQNR) is written as null.
nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

std::int64_t argmax(const Tensor& t) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < t.element_count(); ++i) {
    if (t.element_as_double(i) > t.element_as_double(best)) best = i;
  }
  return best;
}

struct Dispersion {
  std::string node, op, weight;
  std::int64_t filters = 0, elements = 0;
  double ratio = 0;  // mean over filters of max|w| / std(w)
};

// Output filters of a weight: Conv [M, ...] rows; Gemm rows with transB, else columns; MatMul
// columns of [K, N].
std::optional<Dispersion> width_dispersion(const ir::Graph& graph, const ir::Node& node) {
  const bool conv = node.op_type == "Conv";
  if (!conv && node.op_type != "Gemm" && node.op_type != "MatMul") return std::nullopt;
  if (!node.has_input(1)) return std::nullopt;
  auto it = graph.initializers.find(node.inputs[1]);
  if (it == graph.initializers.end() || it->second.dtype() != DType::kFloat32) return std::nullopt;
  const Tensor& w = it->second;
  if (w.rank() < 2 || (!conv && w.rank() != 2)) return std::nullopt;
  const bool rows =
      conv || (node.op_type == "Gemm" && node.attributes.get_int("transB", 0).value_or(0) != 0);
  const std::int64_t filters = rows ? w.shape()[0] : w.shape()[1];
  const std::int64_t per_filter = w.element_count() / filters;
  const std::int64_t cols = w.shape()[1];
  Dispersion d{node.name, node.op_type, node.inputs[1], filters, w.element_count(), 0};
  std::int64_t counted = 0;
  for (std::int64_t f = 0; f < filters; ++f) {
    double sum = 0, sum_sq = 0, max_abs = 0;
    for (std::int64_t k = 0; k < per_filter; ++k) {
      const double v = rows ? w.data<float>()[f * per_filter + k] : w.data<float>()[k * cols + f];
      sum += v;
      sum_sq += v * v;
      max_abs = std::max(max_abs, std::fabs(v));
    }
    const double mean = sum / double(per_filter);
    const double var = std::max(0.0, sum_sq / double(per_filter) - mean * mean);
    if (var <= 0) continue;  // a constant filter has no spread to compare with
    d.ratio += max_abs / std::sqrt(var);
    ++counted;
  }
  if (counted == 0) return std::nullopt;
  d.ratio /= double(counted);
  return d;
}

Result<std::map<std::string, engine::TensorType, std::less<>>> value_types(const ir::Graph& graph) {
  EB_ASSIGN_OR_RETURN(engine::GraphAnalysis analysis,
                      engine::analyze_graph(graph, engine::builtin_registry()));
  std::map<std::string, engine::TensorType, std::less<>> types = analysis.types.types;
  for (const auto& [name, type] : analysis.types.inputs) types[name] = type;
  return types;
}

bool is_node_output(const ir::Graph& graph, const std::string& name) {
  return std::any_of(graph.nodes.begin(), graph.nodes.end(), [&](const ir::Node& n) {
    return std::find(n.outputs.begin(), n.outputs.end(), name) != n.outputs.end();
  });
}

Result<std::vector<Pair>> find_pairs(const ir::Graph& quantized, const ir::Graph& reference) {
  EB_ASSIGN_OR_RETURN(auto q_types, value_types(quantized));
  EB_ASSIGN_OR_RETURN(auto f_types, value_types(reference));
  std::vector<Pair> pairs;
  std::set<std::string> f_values(reference.inputs.begin(), reference.inputs.end());
  for (const ir::Node& n : reference.nodes) f_values.insert(n.outputs.begin(), n.outputs.end());
  auto float_type = [](const auto& types, const std::string& name) -> const engine::TensorType* {
    auto it = types.find(name);
    return it != types.end() && it->second.dtype == DType::kFloat32 ? &it->second : nullptr;
  };
  const std::string suffix(passes::kDequantizedSuffix);
  for (const ir::Node& node : quantized.nodes) {
    for (const std::string& out : node.outputs) {
      const engine::TensorType* qt = float_type(q_types, out);
      if (qt == nullptr) continue;
      std::string base = out;
      std::string kind = "layer output";
      if (out.size() > suffix.size() && out.ends_with(suffix)) {
        base = out.substr(0, out.size() - suffix.size());
        kind = "activation";
      }
      if (kind == "activation" && reference.is_initializer(base)) {
        kind = "weight";
      } else if (!f_values.count(base)) {
        continue;
      }
      const Tensor* w = nullptr;
      if (kind == "weight") w = &reference.initializers.at(base);
      const Shape& f_shape = w ? w->shape() : Shape{};
      const engine::TensorType* ft = w ? nullptr : float_type(f_types, base);
      if (!w && (ft == nullptr)) continue;
      if ((w ? f_shape : ft->shape) != qt->shape) continue;
      pairs.push_back({kind, out, base, qt->shape});
    }
  }
  return pairs;
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

Result<nlohmann::json> analyze_report(const AnalyzeOptions& options) {
  if (options.threads < 1) return invalid_argument("--threads must be at least 1");
  Result<ir::Graph> quantized = load_model_file(options.model);
  if (!quantized.is_ok()) return quantized.status();
  Result<ir::Graph> reference = load_model_file(options.reference);
  if (!reference.is_ok()) return reference.status();
  if (quantized->outputs.size() != reference->outputs.size()) {
    return invalid_argument(fmt::format("'{}' has {} output(s), the reference '{}' has {}",
                                        options.model, quantized->outputs.size(), options.reference,
                                        reference->outputs.size()));
  }
  auto pairs = find_pairs(*quantized, *reference);
  if (!pairs.is_ok()) return pairs.status().with_context("analyze");

  // Activations are probed on both models; weights are dequantized once from the constants.
  std::vector<std::string> q_probe, f_probe;
  std::vector<std::size_t> probed_pairs;
  for (std::size_t i = 0; i < pairs->size(); ++i) {
    Pair& p = (*pairs)[i];
    if (p.kind == "weight") continue;
    const bool q_output = std::find(quantized->outputs.begin(), quantized->outputs.end(),
                                    p.quantized) != quantized->outputs.end();
    const bool f_output = std::find(reference->outputs.begin(), reference->outputs.end(),
                                    p.reference) != reference->outputs.end();
    if (q_output || f_output || !is_node_output(*reference, p.reference)) continue;
    q_probe.push_back(p.quantized);
    f_probe.push_back(p.reference);
    probed_pairs.push_back(i);
  }
  for (const ir::Node& node : quantized->nodes) {
    if (node.op_type != "DequantizeLinear") continue;
    auto p = std::find_if(pairs->begin(), pairs->end(), [&](const Pair& pair) {
      return pair.kind == "weight" && pair.quantized == node.outputs[0];
    });
    if (p == pairs->end()) continue;
    std::vector<Tensor> inputs;
    for (const std::string& in : node.inputs) {
      auto it = quantized->initializers.find(in);
      inputs.push_back(it == quantized->initializers.end() ? Tensor() : it->second);
    }
    auto dq = engine::run_node(node, quantized->onnx_opset(), inputs);
    if (!dq.is_ok()) return dq.status().with_context(node.describe());
    accumulate(*p, (*dq)[0], reference->initializers.at(p->reference));
  }

  auto samples = load_samples(*reference, options.dataset, options.limit);
  if (!samples.is_ok()) return samples.status();
  auto q_model = ProbedModel::compile(*quantized, q_probe, options.backend, options.threads);
  if (!q_model.is_ok()) return q_model.status().with_context(options.model);
  auto f_model = ProbedModel::compile(*reference, f_probe, options.backend, options.threads);
  if (!f_model.is_ok()) return f_model.status().with_context(options.reference);

  std::vector<Pair> outputs;
  for (std::size_t i = 0; i < quantized->outputs.size(); ++i) {
    outputs.push_back({"model output", quantized->outputs[i], reference->outputs[i], {}});
  }
  double relative_sum = 0;
  std::size_t argmax_changed = 0;
  std::vector<Tensor> q_out, f_out;
  for (const std::vector<Tensor>& sample : *samples) {
    Status st = q_model->run(sample, q_out);
    if (!st.is_ok()) return st.with_context(options.model);
    st = f_model->run(sample, f_out);
    if (!st.is_ok()) return st.with_context(options.reference);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      if (q_out[i].shape() != f_out[i].shape()) {
        return invalid_argument(fmt::format("output {} is {} in '{}' but {} in the reference", i,
                                            shape_to_string(q_out[i].shape()), options.model,
                                            shape_to_string(f_out[i].shape())));
      }
      outputs[i].shape = q_out[i].shape();
      accumulate(outputs[i], q_out[i], f_out[i]);
    }
    relative_sum += relative_l2(q_out[0], f_out[0]);
    argmax_changed += argmax(q_out[0]) != argmax(f_out[0]);
    for (std::size_t k = 0; k < probed_pairs.size(); ++k) {
      accumulate((*pairs)[probed_pairs[k]], q_out[q_model->probe_index(k)],
                 f_out[f_model->probe_index(k)]);
    }
  }
  const double n = static_cast<double>(samples->size());
  std::vector<Pair> rows;
  for (std::size_t i = 0; i < pairs->size(); ++i) {
    const Pair& p = (*pairs)[i];
    const bool probed =
        std::find(probed_pairs.begin(), probed_pairs.end(), i) != probed_pairs.end();
    if (p.kind == "weight" || probed) rows.push_back(p);
  }
  for (const Pair& p : outputs) rows.push_back(p);

  std::vector<Dispersion> dispersion;
  double weighted = 0;
  std::int64_t weights = 0;
  for (const ir::Node& node : reference->nodes) {
    if (auto d = width_dispersion(*reference, node)) {
      weighted += d->ratio * double(d->elements);
      weights += d->elements;
      dispersion.push_back(*d);
    }
  }

  nlohmann::json j;
  j["schema"] = "edgebench.analyze/1";
  j["model"] = options.model;
  j["reference"] = options.reference;
  j["dataset"] = options.dataset;
  j["samples"] = samples->size();
  j["output_relative_error"] = relative_sum / n;
  j["argmax_changed"] = double(argmax_changed) / n;
  j["tensors"] = nlohmann::json::array();
  for (const Pair& p : rows) {
    j["tensors"].push_back({{"kind", p.kind},
                            {"name", p.reference},
                            {"quantized_name", p.quantized},
                            {"shape", p.shape},
                            {"sqnr_db", finite_or_null(sqnr_db(p))},
                            {"relative_l2", finite_or_null(relative_error(p))}});
  }
  j["width_dispersion"] = nlohmann::json::array();
  for (const Dispersion& d : dispersion) {
    j["width_dispersion"].push_back({{"node", d.node},
                                     {"op", d.op},
                                     {"weight", d.weight},
                                     {"filters", d.filters},
                                     {"ratio", d.ratio}});
  }
  j["width_dispersion_model"] = weights ? weighted / double(weights) : 0.0;
  return j;
}

}  // namespace edgebench::api

namespace edgebench::cli {

int run_analyze(const AnalyzeOptions& options) {
  Result<nlohmann::json> report = analyze_report(options);
  if (!report.is_ok()) return report_error(report.status());
  const nlohmann::json& j = *report;
  // A NaN or infinite figure is null in the document; the table shows it as nan.
  auto number = [](const nlohmann::json& v) {
    return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
  };
  const auto samples = j["samples"].get<std::size_t>();
  const double changed = j["argmax_changed"].get<double>();
  fmt::print("{} vs {} on {} sample(s) of {}\n", options.model, options.reference, samples,
             options.dataset);
  fmt::print("model output: mean relative error {:.4g}, argmax changed {:.2f}% ({} of {})\n\n",
             number(j["output_relative_error"]), 100.0 * changed,
             std::llround(changed * double(samples)), samples);
  fmt::print("{:<14} {:<44} {:<16} {:>9} {:>10}\n", "kind", "tensor", "shape", "SQNR dB",
             "rel. L2");
  for (const nlohmann::json& t : j["tensors"]) {
    fmt::print("{:<14} {:<44} {:<16} {:>9.2f} {:>10.4g}\n", t["kind"].get<std::string>(),
               t["name"].get<std::string>(), shape_to_string(t["shape"].get<Shape>()),
               number(t["sqnr_db"]), number(t["relative_l2"]));
  }
  if (!j["width_dispersion"].empty()) {
    fmt::print("\nweight width-dispersion (max|w| / std(w) per output filter, mean)\n");
    for (const nlohmann::json& d : j["width_dispersion"]) {
      fmt::print("  {:<32} {:<8} {:>6} filters  {:>8.2f}\n", d["node"].get<std::string>(),
                 d["op"].get<std::string>(), d["filters"].get<std::int64_t>(),
                 d["ratio"].get<double>());
    }
    fmt::print("  model (weighted by layer size): {:.2f}\n",
               j["width_dispersion_model"].get<double>());
  }
  if (!options.json_path.empty()) {
    if (Status st = write_text_file(options.json_path, j.dump(2) + "\n", "--json"); !st.is_ok()) {
      return report_error(st);
    }
    fmt::print("wrote {}\n", options.json_path);
  }
  return kExitOk;
}

}  // namespace edgebench::cli
