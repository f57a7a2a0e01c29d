// plan --segments: the segments in the plan document, the exported segment models, and the
// segment table printed from the document.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common.h"
#include "edgebench/onnx/model_io.h"
#include "edgebench/plan/segment.h"
#include "plan_commands.h"

namespace edgebench::cli {

namespace {

// The pipeline's predicted latency per inference with one input at a time and with 50 in
// flight (the thesis's two set-ups), each with the device file's interval.
nlohmann::json pipeline_json(const plan::Segmentation& seg, const plan::Device& device) {
  nlohmann::json j = {{"per_stage", device.pipeline_per_stage_s * 1e3},
                      {"per_streamed_layer", device.pipeline_per_streamed_layer_s * 1e3},
                      {"interval_coverage", device.interval_coverage}};
  for (const std::size_t batch : {std::size_t{1}, std::size_t{50}}) {
    const double t = plan::pipeline_latency_s(seg, device, batch) * 1e3;
    j[fmt::format("batch_{}", batch)] = {{"per_inference", t},
                                         {"low", t * (1 + device.interval_low)},
                                         {"high", t * (1 + device.interval_high)}};
  }
  return j;
}

}  // namespace

Status plan_segments(const ir::Graph& graph, const std::string& name, const plan::Device& device,
                     const PlanCommandOptions& options, nlohmann::json& json) {
  plan::SegmentationOptions so;
  so.segments = options.segments;
  if (!options.cuts.empty()) {
    so.strategy = plan::SegmentStrategy::kManual;
    so.cuts = options.cuts;
  } else {
    EB_ASSIGN_OR_RETURN(so.strategy, plan::parse_segment_strategy(options.strategy));
  }
  EB_ASSIGN_OR_RETURN(plan::Segmentation seg, plan::segment_model(graph, device, so));

  nlohmann::json segments = nlohmann::json::array();
  namespace fs = std::filesystem;
  if (!options.export_dir.empty()) {
    std::error_code ec;
    fs::create_directories(options.export_dir, ec);
    if (ec) {
      return io_error(fmt::format("--export-dir '{}': {}", options.export_dir, ec.message()));
    }
  }
  for (std::size_t i = 0; i < seg.segments.size(); ++i) {
    const plan::Segment& s = seg.segments[i];
    nlohmann::json nodes = nlohmann::json::array();
    for (std::size_t n = s.begin; n < s.end; ++n) nodes.push_back(graph.nodes[n].name);
    nlohmann::json sj = {{"index", i},
                         {"first_node", s.begin},
                         {"end_node", s.end},
                         {"nodes", std::move(nodes)},
                         {"param_bytes", s.param_bytes},
                         {"on_chip_bytes", s.plan.on_chip_bytes},
                         {"off_chip_bytes", s.plan.off_chip_bytes},
                         {"device_subgraphs", s.plan.subgraphs.size()},
                         {"inputs", s.graph.inputs},
                         {"outputs", s.graph.outputs},
                         {"input_bytes", s.input_bytes},
                         {"output_bytes", s.output_bytes},
                         {"latency_ms",
                          {{"first", s.plan.latency.first_s() * 1e3},
                           {"warm", s.plan.latency.warm_s() * 1e3},
                           {"warm_low", s.plan.latency.warm_low_s() * 1e3},
                           {"warm_high", s.plan.latency.warm_high_s() * 1e3},
                           {"interval_coverage", s.plan.latency.interval_coverage}}},
                         {"latency_terms", latency_terms_json(s.plan.terms)}};
    if (!options.export_dir.empty()) {
      const fs::path file = fs::path(options.export_dir) / fmt::format("segment_{}.onnx", i + 1);
      EB_RETURN_IF_ERROR(onnx::save_model(s.graph, file.string()));
      sj["path"] = file.string();
    }
    segments.push_back(std::move(sj));
  }
  json["segmentation"] = {{"model", name},
                          {"strategy", plan::segment_strategy_name(seg.strategy)},
                          {"iterations", seg.iterations},
                          {"device", device.name},
                          {"export_dir", options.export_dir},
                          {"bottleneck_warm_ms", seg.slowest_warm_s() * 1e3},
                          {"sequential_warm_ms", seg.total_warm_s() * 1e3},
                          {"pipeline_ms", pipeline_json(seg, device)}};
  json["segments"] = std::move(segments);
  return Status::ok();
}

void print_segments(const nlohmann::json& plan) {
  const nlohmann::json& seg = plan.at("segmentation");
  const nlohmann::json& segments = plan.at("segments");
  const auto mib = [](const nlohmann::json& b) { return b.get<double>() / (1024.0 * 1024.0); };
  const auto iterations = seg.at("iterations").get<std::size_t>();
  fmt::print("\nsegments of {}: {} (strategy {}{}), one {} each\n",
             seg.at("model").get<std::string>(), segments.size(),
             seg.at("strategy").get<std::string>(),
             iterations > 0 ? fmt::format(", {} steps", iterations) : "",
             seg.at("device").get<std::string>());
  fmt::print("  {:>2} {:>9} {:<28} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}\n", "#", "nodes",
             "first .. last", "params MiB", "on MiB", "off MiB", "in KiB", "out KiB", "warm ms",
             "first ms");
  for (const nlohmann::json& s : segments) {
    const nlohmann::json& nodes = s.at("nodes");
    const std::string span =
        fmt::format("{} .. {}", nodes.front().get<std::string>(), nodes.back().get<std::string>());
    fmt::print(
        "  {:>2} {:>4}-{:<4} {:<28} {:>10.3f} {:>10.3f} {:>10.3f} {:>9.1f} {:>9.1f} {:>9.3f} "
        "{:>9.3f}\n",
        s.at("index").get<std::size_t>() + 1, s.at("first_node").get<std::size_t>(),
        s.at("end_node").get<std::size_t>() - 1, span.size() > 28 ? span.substr(0, 27) + "." : span,
        mib(s.at("param_bytes")), mib(s.at("on_chip_bytes")), mib(s.at("off_chip_bytes")),
        s.at("input_bytes").get<double>() / 1024.0, s.at("output_bytes").get<double>() / 1024.0,
        s.at("latency_ms").at("warm").get<double>(), s.at("latency_ms").at("first").get<double>());
  }
  const double bottleneck = seg.at("bottleneck_warm_ms").get<double>();
  fmt::print(
      "  pipelined: bottleneck {:.3f} ms per inference (throughput {:.1f}/s); one input "
      "through all segments {:.3f} ms\n",
      bottleneck, bottleneck > 0 ? 1e3 / bottleneck : 0.0,
      seg.at("sequential_warm_ms").get<double>());
  const nlohmann::json& p = seg.at("pipeline_ms");
  if (p.at("per_stage").get<double>() > 0) {
    const auto with_interval = [&](const nlohmann::json& b) {
      const double coverage = p.at("interval_coverage").get<double>();
      if (coverage <= 0) return fmt::format("{:.3f} ms", b.at("per_inference").get<double>());
      return fmt::format("{:.3f} ms ({:.0f}% interval {:.3f} - {:.3f})",
                         b.at("per_inference").get<double>(), coverage * 100,
                         b.at("low").get<double>(), b.at("high").get<double>());
    };
    fmt::print(
        "  with the host ({:.3f} ms per stage, {:.3f} ms per streamed layer): one input at a "
        "time {}; 50 in flight {} per inference\n",
        p.at("per_stage").get<double>(), p.at("per_streamed_layer").get<double>(),
        with_interval(p.at("batch_1")), with_interval(p.at("batch_50")));
  }
  if (const std::string dir = seg.at("export_dir").get<std::string>(); !dir.empty()) {
    fmt::print("  wrote {} segment models to {}\n", segments.size(), dir);
  }
}

}  // namespace edgebench::cli
