// edgebench plan: a compile report for an accelerator device, like the vendor compiler's, with
// predicted latencies, co-compilation and request traces.
#include "edgebench/engine/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common.h"
#include "edgebench/engine/registry.h"
#include "edgebench/plan/device.h"
#include "edgebench/plan/planner.h"
#include "edgebench/plan/trace.h"
#include "plan_commands.h"

namespace edgebench::cli {

nlohmann::json latency_terms_json(const plan::LatencyTerms& terms) {
  return {{"device_subgraphs", terms.device_subgraphs}, {"mapped_ops", terms.mapped_ops},
          {"padded_macs", terms.padded_macs},           {"output_elements", terms.output_elements},
          {"on_chip_bytes", terms.on_chip_bytes},       {"streamed_bytes", terms.streamed_bytes},
          {"streamed_layers", terms.streamed_layers},   {"io_bytes", terms.io_bytes},
          {"output_bytes", terms.output_bytes}};
}

std::string interval_text(const nlohmann::json& latency_ms) {
  const double coverage = latency_ms.value("interval_coverage", 0.0);
  if (coverage <= 0) return "";
  return fmt::format(" ({:.0f}% interval {:.3f} - {:.3f} ms)", coverage * 100,
                     latency_ms.at("warm_low").get<double>(),
                     latency_ms.at("warm_high").get<double>());
}

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Sizes as the vendor compiler prints them.
std::string size_text(std::uint64_t bytes) {
  if (bytes == 0) return "0.00B";
  if (bytes < 1024 * 1024) return fmt::format("{:.2f}KiB", static_cast<double>(bytes) / 1024.0);
  return fmt::format("{:.2f}MiB", static_cast<double>(bytes) / kMiB);
}

double ms(double s) { return s * 1e3; }

struct LoadedModel {
  std::string path;
  std::string name;
  ir::Graph graph;  // annotated with inferred shapes
};

Result<LoadedModel> load_for_plan(const std::string& path,
                                  const std::map<std::string, Shape, std::less<>>& shapes) {
  EB_ASSIGN_OR_RETURN(ir::Graph graph, load_model_file(path));
  engine::PlanOptions options;
  options.input_shapes = shapes;
  auto analysis = engine::analyze_graph(graph, engine::builtin_registry(), options);
  if (!analysis.is_ok()) return analysis.status().with_context(fmt::format("model '{}'", path));
  engine::annotate_types(graph, analysis->types);
  LoadedModel m;
  m.path = path;
  m.name = std::filesystem::path(path).stem().string();
  m.graph = std::move(graph);
  return m;
}

// The vendor compiler's operator table: op type, count, status.
struct OpRow {
  std::string op;
  std::uint64_t count = 0;
  std::string status;
};

std::vector<OpRow> op_table(const plan::ModelPlan& p, const plan::Device& device) {
  std::map<std::pair<std::string, std::string>, std::uint64_t> rows;
  for (const plan::LayerPlan& l : p.layers) {
    rows[{l.op_type, l.mapped ? fmt::format("Mapped to {}", device.name)
                              : fmt::format("Not mapped: {}", l.reason)}] += 1;
  }
  std::vector<OpRow> out;
  for (const auto& [key, count] : rows) out.push_back({key.first, count, key.second});
  return out;
}

// One model of a plan document, as the vendor compiler prints its compile report.
void print_model(const nlohmann::json& m, bool all_layers) {
  auto bytes = [&](const char* key) { return size_text(m.at(key).get<std::uint64_t>()); };
  fmt::print("\nInput model: {}\n", m.at("path").get<std::string>());
  if (m.at("planned_as_int8").get<bool>()) {
    fmt::print(
        "Planned as int8: the model has float tensors; weights and activations are counted at 1 "
        "byte and \"mapped\" means \"would map once quantized\"\n");
  }
  fmt::print("On-chip memory available for caching model parameters: {}\n",
             bytes("cache_available_bytes"));
  fmt::print("On-chip memory used for caching model parameters: {}\n", bytes("on_chip_bytes"));
  fmt::print("Off-chip memory used for streaming uncached model parameters: {}\n",
             bytes("off_chip_bytes"));
  fmt::print("Number of device subgraphs: {}\n", m.at("device_subgraphs").get<std::size_t>());
  fmt::print("Total number of operations: {} ({} mapped, {} on the host CPU)\n",
             m.at("layers").size(), m.at("mapped_ops").get<std::size_t>(),
             m.at("unmapped_ops").get<std::size_t>());
  fmt::print("\n{:<26} {:>6}  {}\n", "Operator", "Count", "Status");
  for (const nlohmann::json& row : m.at("ops")) {
    fmt::print("{:<26} {:>6}  {}\n", row.at("op").get<std::string>(),
               row.at("count").get<std::uint64_t>(), row.at("status").get<std::string>());
  }
  const nlohmann::json& t = m.at("latency_ms");
  auto at = [&](const char* key) { return t.at(key).get<double>(); };
  fmt::print("\nPredicted latency: first inference {:.3f} ms, later inferences {:.3f} ms{}\n",
             at("first"), at("warm"), interval_text(t));
  fmt::print(
      "  per inference {:.3f}  io {:.3f}  compute {:.3f}  streaming {:.3f}  host {:.3f}  "
      "(cache load {:.3f}, first only) ms\n",
      at("per_inference"), at("io"), at("compute"), at("streaming"), at("host"), at("cache_load"));
  if (!all_layers) return;
  fmt::print("\n  {:<4} {:<32} {:<18} {:>10} {:<9} {:>3} {:>10}\n", "#", "name", "op", "params",
             "where", "sub", "time ms");
  std::size_t i = 0;
  for (const nlohmann::json& l : m.at("layers")) {
    const std::string name = l.at("name").get<std::string>();
    const int subgraph = l.at("subgraph").get<int>();
    fmt::print("  {:<4} {:<32} {:<18} {:>10} {:<9} {:>3} {:>10.4f}\n", i++,
               name.empty() ? "-" : name.substr(0, 32), l.at("op").get<std::string>(),
               l.at("param_bytes").get<std::uint64_t>(), l.at("placement").get<std::string>(),
               subgraph < 0 ? std::string("-") : std::to_string(subgraph),
               l.at("time_ms").get<double>());
  }
}

nlohmann::json latency_json(const plan::LatencyBreakdown& t) {
  return {{"first", ms(t.first_s())},
          {"warm", ms(t.warm_s())},
          {"warm_low", ms(t.warm_low_s())},
          {"warm_high", ms(t.warm_high_s())},
          {"interval_coverage", t.interval_coverage},
          {"per_inference", ms(t.per_inference_s)},
          {"io", ms(t.io_s)},
          {"compute", ms(t.compute_s)},
          {"streaming", ms(t.streaming_s)},
          {"host", ms(t.host_s)},
          {"cache_load", ms(t.cache_load_s)}};
}

nlohmann::json model_json(const plan::ModelPlan& p, const LoadedModel& m,
                          const plan::Device& device) {
  nlohmann::json j = {{"name", p.name},
                      {"path", m.path},
                      {"planned_as_int8", p.planned_as_int8},
                      {"cache_available_bytes", p.cache_available_bytes},
                      {"on_chip_bytes", p.on_chip_bytes},
                      {"off_chip_bytes", p.off_chip_bytes},
                      {"device_subgraphs", p.subgraphs.size()},
                      {"mapped_ops", p.mapped_ops},
                      {"unmapped_ops", p.unmapped_ops},
                      {"latency_ms", latency_json(p.latency)},
                      {"latency_terms", latency_terms_json(p.terms)}};
  j["ops"] = nlohmann::json::array();
  for (const OpRow& row : op_table(p, device)) {
    j["ops"].push_back({{"op", row.op}, {"count", row.count}, {"status", row.status}});
  }
  j["layers"] = nlohmann::json::array();
  for (const plan::LayerPlan& l : p.layers) {
    nlohmann::json layer = {{"name", l.name},
                            {"op", l.op_type},
                            {"mapped", l.mapped},
                            {"subgraph", l.subgraph},
                            {"param_bytes", l.param_bytes},
                            {"placement", std::string(plan::placement_name(l.placement))},
                            {"macs", l.macs},
                            {"padded_macs", l.padded_macs},
                            {"output_elements", l.output_elements},
                            {"time_ms", ms(l.time_s)}};
    if (!l.mapped) layer["reason"] = l.reason;
    j["layers"].push_back(std::move(layer));
  }
  return j;
}

// --trace takes the requests inline or from a file.
Result<std::string> trace_text(const std::string& value) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(value, ec)) return value;
  std::ifstream in(value);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return io_error(fmt::format("--trace: cannot read '{}'", value));
  return text.str();
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

Result<nlohmann::json> plan_report(const PlanOptions& options) {
  EB_ASSIGN_OR_RETURN(plan::Device d,
                      plan::find_device(options.device, plan::device_search_dirs()));
  EB_ASSIGN_OR_RETURN(auto shapes, parse_input_shapes(options.input_shapes));

  std::vector<LoadedModel> models;
  std::map<std::string, int> name_uses;
  for (const std::string& path : options.models) {
    EB_ASSIGN_OR_RETURN(LoadedModel m, load_for_plan(path, shapes));
    if (const int uses = ++name_uses[m.name]; uses > 1) m.name += fmt::format("#{}", uses);
    models.push_back(std::move(m));
  }
  std::vector<plan::PlanInput> inputs;
  std::vector<std::string> names;
  for (const LoadedModel& m : models) {
    inputs.push_back({m.name, &m.graph});
    names.push_back(m.name);
  }

  EB_ASSIGN_OR_RETURN(std::vector<plan::ModelPlan> co, plan::co_compile(inputs, d));
  EB_ASSIGN_OR_RETURN(std::vector<plan::ModelPlan> separate, plan::compile_separately(inputs, d));
  const std::vector<plan::ModelPlan>& shown = options.separately ? separate : co;

  std::optional<std::vector<std::size_t>> trace;
  if (!options.trace.empty()) {
    EB_ASSIGN_OR_RETURN(std::string text, trace_text(options.trace));
    EB_ASSIGN_OR_RETURN(trace, plan::parse_trace(text, names));
  }

  nlohmann::json j;
  j["schema"] = "edgebench.plan/1";
  j["device"] = {{"name", d.name},
                 {"path", d.path},
                 {"description", d.description},
                 {"param_cache_bytes", d.param_cache_bytes},
                 {"on_chip_bytes", d.on_chip_bytes},
                 {"column_alignment", d.column_alignment},
                 {"input_channel_alignment", d.input_channel_alignment},
                 {"int8_macs_per_s", d.int8_macs_per_s},
                 {"activation_elements_per_s", d.activation_elements_per_s},
                 {"pipeline_per_stage_s", d.pipeline_per_stage_s},
                 {"pipeline_per_streamed_layer_s", d.pipeline_per_streamed_layer_s},
                 {"interval_low", d.interval_low},
                 {"interval_high", d.interval_high},
                 {"interval_coverage", d.interval_coverage},
                 {"link_kind", d.link_kind},
                 {"link_bytes_per_s", d.link_bytes_per_s},
                 {"link_latency_s", d.link_latency_s},
                 {"link_output_bytes_per_s", d.link_output_bytes_per_s}};
  j["co_compiled"] = !options.separately;
  j["conventions"] = {
      {"float_models",
       "planned as if quantized to int8 (1 byte per weight and activation element); mapped "
       "means would map once quantized"},
      {"latency_ms", "predicted by the device model of docs/devices.md; warm = later inferences"}};
  j["models"] = nlohmann::json::array();
  for (std::size_t i = 0; i < models.size(); ++i) {
    nlohmann::json mj = model_json(shown[i], models[i], d);
    mj["separately_compiled"] = {{"on_chip_bytes", separate[i].on_chip_bytes},
                                 {"off_chip_bytes", separate[i].off_chip_bytes},
                                 {"latency_ms", latency_json(separate[i].latency)}};
    j["models"].push_back(std::move(mj));
  }

  if (trace) {
    const plan::TracePrediction p = plan::predict_trace(co, separate, *trace);
    EB_ASSIGN_OR_RETURN(plan::OrderRecommendation rec, plan::recommend_order(inputs, d, *trace));
    auto order_names = [&](const std::vector<std::size_t>& order) {
      std::vector<std::string> out;
      for (std::size_t m : order) out.push_back(names[m]);
      return out;
    };
    nlohmann::json tj;
    tj["requests"] = nlohmann::json::array();
    for (const plan::TraceRequest& r : p.requests) {
      tj["requests"].push_back({{"model", names[r.model]},
                                {"co_compiled_ms", ms(r.co_compiled_s)},
                                {"co_compiled_load", r.co_compiled_load},
                                {"separate_ms", ms(r.separate_s)},
                                {"separate_reload", r.separate_reload}});
    }
    tj["co_compiled_total_ms"] = ms(p.co_compiled_total_s);
    tj["separate_total_ms"] = ms(p.separate_total_s);
    tj["invocations"] = nlohmann::json::object();
    for (std::size_t m = 0; m < names.size(); ++m) tj["invocations"][names[m]] = rec.invocations[m];
    tj["recommended_order"] = order_names(rec.candidates.front().order);
    tj["orders"] = nlohmann::json::array();
    for (const plan::OrderCandidate& c : rec.candidates) {
      tj["orders"].push_back({{"order", order_names(c.order)}, {"total_ms", ms(c.total_s)}});
    }
    j["trace"] = std::move(tj);
  }

  if (options.segments > 0) {
    EB_RETURN_IF_ERROR(plan_segments(models[0].graph, models[0].name, d, options, j));
  }
  return j;
}

}  // namespace edgebench::api

namespace edgebench::cli {

int run_plan(const PlanCommandOptions& options) {
  Result<nlohmann::json> report = plan_report(options);
  if (!report.is_ok()) return report_error(report.status());
  const nlohmann::json& j = *report;
  const nlohmann::json& d = j.at("device");
  fmt::print("edgebench plan: device {} ({})\n", d.at("name").get<std::string>(),
             d.at("path").get<std::string>());
  if (const std::string about = d.at("description").get<std::string>(); !about.empty()) {
    fmt::print("  {}\n", about);
  }
  const std::string link = d.at("link_kind").get<std::string>();
  fmt::print(
      "  parameter cache {} of {} on-chip, weight columns padded to {}, {:.0f} GMAC/s int8, "
      "link {} {:.1f} MB/s + {:.0f} us per transfer\n",
      size_text(d.at("param_cache_bytes").get<std::uint64_t>()),
      size_text(d.at("on_chip_bytes").get<std::uint64_t>()),
      d.at("column_alignment").get<std::int64_t>(), d.at("int8_macs_per_s").get<double>() / 1e9,
      link.empty() ? "-" : link, d.at("link_bytes_per_s").get<double>() / 1e6,
      d.at("link_latency_s").get<double>() * 1e6);
  const nlohmann::json& models = j.at("models");
  if (models.size() > 1) {
    fmt::print("  {} models {}\n", models.size(),
               options.separately
                   ? "compiled separately (each reloads the cache after another ran)"
                   : "co-compiled in this order (one caching token; the first has cache "
                     "priority)");
  }
  for (const nlohmann::json& m : models) print_model(m, options.all_layers);

  if (j.contains("trace")) {
    const nlohmann::json& t = j.at("trace");
    const nlohmann::json& requests = t.at("requests");
    fmt::print("\ntrace: {} requests (co-compiled in the given order vs compiled separately)\n",
               requests.size());
    fmt::print("  {:>5} {:<24} {:>16} {:>18}\n", "#", "model", "co-compiled ms", "separately ms");
    const std::size_t listed = std::min<std::size_t>(requests.size(), 40);
    for (std::size_t k = 0; k < listed; ++k) {
      const nlohmann::json& r = requests[k];
      fmt::print("  {:>5} {:<24} {:>9.3f}{:<7} {:>9.3f}{:<9}\n", k + 1,
                 r.at("model").get<std::string>(), r.at("co_compiled_ms").get<double>(),
                 r.at("co_compiled_load").get<bool>() ? " (load)" : "",
                 r.at("separate_ms").get<double>(),
                 r.at("separate_reload").get<bool>() ? " (reload)" : "");
    }
    if (listed < requests.size()) {
      fmt::print("  ... {} more (--json has them all)\n", requests.size() - listed);
    }
    fmt::print("  {:>5} {:<24} {:>9.3f}        {:>9.3f}\n", "", "total",
               t.at("co_compiled_total_ms").get<double>(), t.at("separate_total_ms").get<double>());
    fmt::print("\ninvocations:");
    for (const nlohmann::json& m : models) {
      const std::string name = m.at("name").get<std::string>();
      fmt::print("  {} x{}", name, t.at("invocations").at(name).get<std::uint64_t>());
    }
    const nlohmann::json& orders = t.at("orders");
    auto order_text = [](const nlohmann::json& o) {
      return fmt::format("{}", fmt::join(o.at("order").get<std::vector<std::string>>(), " "));
    };
    fmt::print("\nrecommended compile order: {} (trace total {:.3f} ms co-compiled)\n",
               order_text(orders[0]), orders[0].at("total_ms").get<double>());
    for (std::size_t k = 1; k < orders.size() && k < 6; ++k) {
      fmt::print("  then {} ({:.3f} ms)\n", order_text(orders[k]),
                 orders[k].at("total_ms").get<double>());
    }
  }
  if (j.contains("segments")) print_segments(j);

  if (!options.json_path.empty()) {
    if (Status st = write_text_file(options.json_path, j.dump(2) + "\n", "--json"); !st.is_ok()) {
      return report_error(st);
    }
  }
  return kExitOk;
}

}  // namespace edgebench::cli
