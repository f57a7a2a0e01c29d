// edgebench optimize: ONNX in, ONNX out. Exact clean-up passes first (BatchNorm folding,
// constant folding, dead-node removal), then pruning, then quantization or float16. Prints the
// size before and after and what changed; the result is compiled on the native backend before
// it is written, so a written model is one edgebench can run.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <numeric>
#include <string_view>

#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/onnx/model_io.h"
#include "edgebench/passes/calibration.h"
#include "edgebench/passes/float16.h"
#include "edgebench/passes/pass.h"
#include "edgebench/passes/prune.h"
#include "edgebench/passes/quantize.h"
#include "finetune.h"
#include "optimize_commands.h"
#include "probe.h"

namespace edgebench::cli {

namespace {

Status clean_up(ir::Graph& graph) {
  const auto batchnorm = passes::make_batchnorm_folding();
  const auto folding = passes::make_constant_folding();
  const auto dead = passes::make_dead_node_elimination();
  const passes::Pass* pipeline[] = {batchnorm.get(), folding.get(), dead.get()};
  return passes::run_to_fixed_point(graph, pipeline).status();
}

std::uint64_t initializer_bytes(const ir::Graph& graph) {
  std::uint64_t bytes = 0;
  for (const auto& [name, tensor] : graph.initializers) bytes += tensor.byte_size();
  return bytes;
}

// Ranges of the plan's activations over the calibration samples.
Result<std::map<std::string, passes::TensorRange>> calibrate(
    const ir::Graph& graph, const std::vector<std::string>& activations,
    const std::vector<std::vector<Tensor>>& samples, const OptimizeOptions& options,
    passes::CalibrationMethod method) {
  // Graph inputs are not node outputs; they are read straight from the samples.
  std::vector<std::string> probed;
  std::vector<std::size_t> input_index(activations.size(), SIZE_MAX);
  for (std::size_t a = 0; a < activations.size(); ++a) {
    auto it = std::find(graph.inputs.begin(), graph.inputs.end(), activations[a]);
    if (it != graph.inputs.end()) {
      input_index[a] = static_cast<std::size_t>(it - graph.inputs.begin());
    } else if (std::find(graph.outputs.begin(), graph.outputs.end(), activations[a]) ==
               graph.outputs.end()) {
      probed.push_back(activations[a]);
    }
  }
  EB_ASSIGN_OR_RETURN(ProbedModel model,
                      ProbedModel::compile(graph, probed, "native", options.threads));
  std::map<std::string, passes::RangeCollector> collectors;
  std::vector<Tensor> outputs;
  for (const std::vector<Tensor>& sample : samples) {
    EB_RETURN_IF_ERROR(model.run(sample, outputs));
    for (std::size_t a = 0; a < activations.size(); ++a) {
      const Tensor* t = nullptr;
      if (input_index[a] != SIZE_MAX) {
        t = &sample[input_index[a]];
      } else {
        auto out = std::find(graph.outputs.begin(), graph.outputs.end(), activations[a]);
        if (out != graph.outputs.end()) {
          t = &outputs[static_cast<std::size_t>(out - graph.outputs.begin())];
        } else {
          auto p = std::find(probed.begin(), probed.end(), activations[a]);
          t = &outputs[model.probe_index(static_cast<std::size_t>(p - probed.begin()))];
        }
      }
      collectors[activations[a]].add(
          std::span<const float>(t->data<float>(), static_cast<std::size_t>(t->element_count())));
    }
  }
  std::map<std::string, passes::TensorRange> ranges;
  for (const auto& [name, collector] : collectors) {
    ranges[name] = collector.range(method, options.percentile);
  }
  return ranges;
}

// Mean relative L2 error of a candidate's first output against the float model's.
Result<double> output_error(const ir::Graph& candidate,
                            const std::vector<std::vector<Tensor>>& samples,
                            const std::vector<Tensor>& reference, int threads) {
  EB_ASSIGN_OR_RETURN(ProbedModel model, ProbedModel::compile(candidate, {}, "native", threads));
  std::vector<Tensor> outputs;
  double sum = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EB_RETURN_IF_ERROR(model.run(samples[i], outputs));
    sum += relative_l2(outputs[0], reference[i]);
  }
  return sum / static_cast<double>(samples.size());
}

// int8-fallback: how much of the quantized model's output error each node is responsible for,
// measured by leaving it float; the worst `count` join the excluded nodes.
Result<std::vector<std::string>> choose_fallback_nodes(
    const ir::Graph& graph, const passes::StaticQuantizationPlan& plan,
    const std::map<std::string, passes::TensorRange>& ranges,
    const std::vector<std::vector<Tensor>>& samples, const OptimizeOptions& options,
    const OptimizeLog& log) {
  const std::size_t n = std::min<std::size_t>(samples.size(), options.sensitivity_samples);
  const std::vector<std::vector<Tensor>> subset(samples.begin(), samples.begin() + n);
  EB_ASSIGN_OR_RETURN(ProbedModel float_model,
                      ProbedModel::compile(graph, {}, "native", options.threads));
  std::vector<Tensor> reference(n), outputs;
  for (std::size_t i = 0; i < n; ++i) {
    EB_RETURN_IF_ERROR(float_model.run(subset[i], outputs));
    reference[i] = outputs[0].clone();
  }
  auto error_with = [&](std::vector<std::string> exclude) -> Result<double> {
    ir::Graph candidate = graph;
    passes::QuantizeOptions q;
    q.per_channel = options.per_channel;
    q.exclude = std::move(exclude);
    EB_RETURN_IF_ERROR(passes::quantize_static(candidate, ranges, q).status());
    return output_error(candidate, subset, reference, options.threads);
  };
  EB_ASSIGN_OR_RETURN(const double full, error_with(options.exclude));
  struct Sensitivity {
    std::string node, op;
    double error;
  };
  std::vector<Sensitivity> table;
  for (std::size_t index : plan.nodes) {
    const ir::Node& node = graph.nodes[index];
    if (node.op_type != "Conv" && node.op_type != "Gemm" && node.op_type != "MatMul" &&
        node.op_type != "Add") {
      continue;
    }
    std::vector<std::string> exclude = options.exclude;
    exclude.push_back(node.name);
    EB_ASSIGN_OR_RETURN(const double e, error_with(exclude));
    table.push_back({node.name, node.op_type, e});
  }
  std::stable_sort(table.begin(), table.end(),
                   [](const Sensitivity& a, const Sensitivity& b) { return a.error < b.error; });
  log(fmt::format(
      "sensitivity (output error with one node left float; all int8: {:.4f}, {} samples)\n", full,
      n));
  for (const Sensitivity& s : table) {
    log(fmt::format("  {:<32} {:<8} {:.4f}  ({:+.1f}%)\n", s.node, s.op, s.error,
                    full > 0 ? 100.0 * (s.error - full) / full : 0.0));
  }
  std::vector<std::string> chosen;
  for (const Sensitivity& s : table) {
    if (static_cast<int>(chosen.size()) >= options.fallback_count) break;
    if (s.error < full) chosen.push_back(s.node);
  }
  return chosen;
}

void print_report(const passes::QuantizeReport& report, const OptimizeLog& log) {
  log(fmt::format("quantized {} node(s), {} activation(s), {} weight tensor(s)\n",
                  report.quantized.size(), report.quantized_tensors, report.quantized_weights));
  if (!report.kept_float.empty()) {
    log(fmt::format("left in float32:\n"));
    for (const auto& [node, why] : report.kept_float) log(fmt::format("  {:<32} {}\n", node, why));
  }
}

Status prune(ir::Graph& graph, const OptimizeOptions& options, const OptimizeLog& log) {
  passes::PruneOptions p;
  p.sparsity = *options.prune;
  const std::string_view pattern = options.prune_pattern;
  if (pattern == "2:4") {
    p.pattern = passes::PrunePattern::k2of4;
  } else if (pattern.starts_with("block:")) {
    // block:RxC, R outputs by C reduction elements (16x1 and 8x1 are what the sparse 1x1 kernel
    // runs).
    const std::string_view dims = pattern.substr(6);
    const std::size_t x = dims.find_first_of("xX");
    const auto parse = [](std::string_view text, std::int64_t& out) {
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
      return ec == std::errc() && end == text.data() + text.size() && out >= 1;
    };
    if (x == std::string_view::npos || !parse(dims.substr(0, x), p.block_rows) ||
        !parse(dims.substr(x + 1), p.block_cols)) {
      return invalid_argument(fmt::format(
          "--prune-pattern '{}': expected block:RxC with R and C at least 1, e.g. block:8x1",
          pattern));
    }
    p.pattern = passes::PrunePattern::kBlock;
  } else if (pattern != "unstructured") {
    return invalid_argument(
        fmt::format("--prune-pattern '{}': expected unstructured, 2:4 or block:RxC", pattern));
  }
  p.exclude = options.exclude;
  EB_ASSIGN_OR_RETURN(passes::PruneReport report, passes::prune_weights(graph, p));
  log(fmt::format(
      "pruned {} layer(s) ({}): {} of {} weights are zero ({:.1f}%)\n", report.layers.size(),
      options.prune_pattern, report.total_zeros, report.total_elements,
      report.total_elements ? 100.0 * double(report.total_zeros) / double(report.total_elements)
                            : 0.0));
  for (const auto& layer : report.layers) {
    log(fmt::format("  {:<32} {:<14} {:>9} weights  {:5.1f}% -> {:5.1f}% zero{}{}\n", layer.node,
                    layer.op, layer.elements,
                    100.0 * double(layer.zeros_before) / double(layer.elements),
                    100.0 * double(layer.zeros_after) / double(layer.elements),
                    layer.note.empty() ? "" : "  ", layer.note));
  }
  for (const auto& [weight, why] : report.skipped)
    log(fmt::format("  not pruned: {}: {}\n", weight, why));
  return Status::ok();
}

Status to_float16(ir::Graph& graph, const OptimizeLog& log) {
  EB_ASSIGN_OR_RETURN(passes::Float16Report report, passes::convert_weights_to_float16(graph));
  log(fmt::format("float16 weights: {} initializer(s) converted, weights {} -> {}\n",
                  report.converted.size(), human_bytes(double(report.bytes_before)),
                  human_bytes(double(report.bytes_after))));
  if (!report.kept.empty()) {
    log(fmt::format("left in float32:\n"));
    for (const auto& [name, why] : report.kept) log(fmt::format("  {:<32} {}\n", name, why));
  }
  for (const auto& [name, what] : report.warnings)
    log(fmt::format("  warning: {}: {}\n", name, what));
  return Status::ok();
}

Status quantize(ir::Graph& graph, const OptimizeOptions& options, const OptimizeLog& log) {
  if (options.quantize == "fp16") return to_float16(graph, log);
  passes::QuantizeOptions q;
  q.per_channel = options.per_channel;
  q.exclude = options.exclude;
  if (options.quantize == "dynamic") {
    EB_ASSIGN_OR_RETURN(passes::QuantizeReport report, passes::quantize_dynamic(graph, q));
    print_report(report, log);
    return Status::ok();
  }
  // Static int8, with or without fallback.
  if (options.calibration.empty()) {
    return invalid_argument(fmt::format(
        "--quantize {} needs --calibration SPEC (for example "
        "fashion-mnist:/usr/share/datasets/fashion-mnist:train, images:DIR or random:SEED)",
        options.quantize));
  }
  EB_ASSIGN_OR_RETURN(passes::CalibrationMethod method,
                      passes::parse_calibration_method(options.calibration_method));
  EB_ASSIGN_OR_RETURN(auto samples,
                      load_samples(graph, options.calibration, options.calibration_limit));
  EB_ASSIGN_OR_RETURN(passes::StaticQuantizationPlan plan,
                      passes::plan_static_quantization(graph, q));
  log(fmt::format("calibrating {} activation(s) on {} sample(s) of {} ({})\n",
                  plan.activations.size(), samples.size(), options.calibration,
                  options.calibration_method));
  EB_ASSIGN_OR_RETURN(auto ranges, calibrate(graph, plan.activations, samples, options, method));
  if (options.quantize == "int8-fallback") {
    EB_ASSIGN_OR_RETURN(std::vector<std::string> fallback,
                        choose_fallback_nodes(graph, plan, ranges, samples, options, log));
    for (const std::string& node : fallback) {
      log(fmt::format("falling back to float32: {}\n", node));
      q.exclude.push_back(node);
    }
  }
  EB_ASSIGN_OR_RETURN(passes::QuantizeReport report, passes::quantize_static(graph, ranges, q));
  print_report(report, log);
  return Status::ok();
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

Result<OptimizeSummary> optimize_model(const OptimizeOptions& options, const OptimizeLog& log) {
  static const char* kModes[] = {"", "dynamic", "int8", "int8-fallback", "fp16"};
  if (std::find(std::begin(kModes), std::end(kModes), options.quantize) == std::end(kModes)) {
    return invalid_argument(fmt::format(
        "--quantize '{}': expected dynamic, int8, int8-fallback or fp16", options.quantize));
  }
  if (options.quantize.empty() && !options.prune) {
    return invalid_argument("nothing to do: give --quantize MODE and/or --prune SPARSITY");
  }
  if (options.threads < 1) return invalid_argument("--threads must be at least 1");
  // The command line's CLI11 checks, again for library callers.
  if (!(options.percentile >= 50.0 && options.percentile <= 100.0)) {
    return invalid_argument(
        fmt::format("--percentile {}: expected a value from 50 to 100", options.percentile));
  }
  if (options.fallback_count < 0 || options.sensitivity_samples == 0) {
    return invalid_argument(
        "--fallback-count must not be negative and --sensitivity-samples must be positive");
  }
  Result<ir::Graph> loaded = load_model_file(options.model);
  if (!loaded.is_ok()) return loaded.status();
  ir::Graph graph = std::move(loaded).value();
  std::error_code ec;
  const std::uintmax_t size_before = std::filesystem::file_size(options.model, ec);
  const std::size_t nodes_before = graph.nodes.size();

  auto fail = [&](const Status& st) {
    return st.with_context(fmt::format("optimize '{}'", options.model));
  };
  if (Status st = clean_up(graph); !st.is_ok()) return fail(st);
  if (graph.nodes.size() != nodes_before) {
    log(fmt::format("clean-up (BatchNorm folding, constant folding, dead nodes): {} -> {} nodes\n",
                    nodes_before, graph.nodes.size()));
  }
  OptimizeOptions effective = options;
  if (options.qat) {
    if (options.quantize != "int8") {
      return invalid_argument("--qat trains for int8: give --quantize int8 with it");
    }
    if (effective.finetune_epochs == 0) effective.finetune_epochs = 2;
    // The ranges are calibrated on the data the model was trained on unless told otherwise.
    if (effective.calibration.empty()) effective.calibration = options.train_dataset;
  }
  if (effective.finetune_epochs > 0) {
    if (Status st = finetune(graph, effective, log); !st.is_ok()) return fail(st);
  } else if (options.prune) {
    if (Status st = prune(graph, options, log); !st.is_ok()) return fail(st);
  }
  if (!options.quantize.empty()) {
    if (Status st = quantize(graph, effective, log); !st.is_ok()) return fail(st);
  }

  // What edgebench writes, it can run.
  auto backend = backends::make_backend("native");
  if (!backend.is_ok()) return backend.status();
  if (auto compiled = (*backend)->compile(graph, {}); !compiled.is_ok()) {
    return compiled.status().with_context("the optimized model does not compile");
  }
  graph.metadata["edgebench.optimize"] = fmt::format(
      "quantize={} per_channel={} calibration={} method={} prune={} pattern={}", options.quantize,
      options.per_channel, effective.calibration, options.calibration_method,
      options.prune ? *options.prune : 0.0, options.prune_pattern);
  if (effective.finetune_epochs > 0) {
    graph.metadata["edgebench.optimize"] += fmt::format(
        " qat={} finetune_epochs={} train_dataset={} lr={} batch={} seed={}", options.qat,
        effective.finetune_epochs, options.train_dataset, options.lr, options.batch, options.seed);
  }
  if (Status st = onnx::save_model(graph, options.output); !st.is_ok()) return st;
  const std::uintmax_t size_after = std::filesystem::file_size(options.output, ec);
  log(fmt::format("size {} -> {} ({:.2f}x smaller), weights {}\n", human_bytes(double(size_before)),
                  human_bytes(double(size_after)),
                  size_after ? double(size_before) / double(size_after) : 0.0,
                  human_bytes(double(initializer_bytes(graph)))));
  log(fmt::format("wrote {}\n", options.output));
  return OptimizeSummary{size_before, size_after, initializer_bytes(graph)};
}

}  // namespace edgebench::api

namespace edgebench::cli {

void print_optimize_progress(const std::string& text) { std::fputs(text.c_str(), stdout); }

int run_optimize(const OptimizeOptions& options) {
  Result<OptimizeSummary> done = optimize_model(options, print_optimize_progress);
  return done.is_ok() ? kExitOk : report_error(done.status());
}

}  // namespace edgebench::cli
