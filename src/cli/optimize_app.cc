// Command-line options of edgebench optimize and edgebench analyze (CLI11).
#include <CLI/CLI.hpp>
#include <memory>

#include "optimize_commands.h"

namespace edgebench::cli {

std::function<std::optional<int>()> add_optimize_commands(CLI::App& app) {
  auto optimize = std::make_shared<OptimizeOptions>();
  CLI::App* optimize_cmd = app.add_subcommand(
      "optimize", "Quantize (dynamic, int8, int8-fallback, fp16) and/or prune a model");
  optimize_cmd->add_option("MODEL", optimize->model, "ONNX model file")->required();
  optimize_cmd->add_option("-o,--output", optimize->output, "Where to write the result (.onnx)")
      ->required();
  optimize_cmd->add_option("--quantize", optimize->quantize,
                           "dynamic | int8 | int8-fallback | fp16");
  optimize_cmd->add_flag("--per-channel", optimize->per_channel,
                         "int8 weights with one scale per output channel");
  optimize_cmd->add_option("--calibration", optimize->calibration,
                           "Dataset spec for static int8 ranges: fashion-mnist:DIR[:SPLIT], "
                           "images:DIR[,OPTIONS], npy:DIR, npz:DIR, onnx-test:DIR or random:SEED");
  optimize_cmd
      ->add_option("--calibration-method", optimize->calibration_method,
                   "minmax | percentile | entropy | mse")
      ->default_val("percentile");
  optimize_cmd
      ->add_option("--percentile", optimize->percentile,
                   "For --calibration-method "
                   "percentile")
      ->default_val(99.99)
      ->check(CLI::Range(50.0, 100.0));
  optimize_cmd
      ->add_option("--calibration-limit", optimize->calibration_limit,
                   "At most N calibration samples (0: all)")
      ->default_val(500);
  optimize_cmd->add_option("--prune", optimize->prune,
                           "Magnitude pruning of Conv/Gemm/MatMul weights to this sparsity "
                           "(0 to 1)");
  optimize_cmd->add_option("--prune-pattern", optimize->prune_pattern, "unstructured | 2:4")
      ->default_val("unstructured");
  optimize_cmd->add_option("--exclude", optimize->exclude,
                           "Node names or op types to keep in float32 (repeatable)");
  optimize_cmd
      ->add_option("--fallback-count", optimize->fallback_count,
                   "int8-fallback: the N nodes whose quantization hurts most stay float32")
      ->default_val(1)
      ->check(CLI::NonNegativeNumber);
  optimize_cmd
      ->add_option("--sensitivity-samples", optimize->sensitivity_samples,
                   "int8-fallback: calibration samples used to measure each node's effect")
      ->default_val(100)
      ->check(CLI::PositiveNumber);
  optimize_cmd->add_option("--threads", optimize->threads, "Worker threads for calibration")
      ->default_val(1);

  auto analyze = std::make_shared<AnalyzeOptions>();
  CLI::App* analyze_cmd = app.add_subcommand(
      "analyze", "Quantization error per layer against the float model, and weight dispersion");
  analyze_cmd->add_option("MODEL", analyze->model, "Quantized ONNX model")->required();
  analyze_cmd->add_option("--reference", analyze->reference, "The float model it came from")
      ->required();
  analyze_cmd->add_option("--dataset", analyze->dataset, "Dataset spec for the inputs")->required();
  analyze_cmd->add_option("--limit", analyze->limit, "At most N samples (0: all)")
      ->default_val(200);
  analyze_cmd->add_option("--backend", analyze->backend, "native | native-ref")
      ->default_val("native");
  analyze_cmd->add_option("--threads", analyze->threads, "Worker threads")->default_val(1);
  analyze_cmd->add_option("--json", analyze->json_path, "Write the analysis as JSON");

  return [=]() -> std::optional<int> {
    if (*optimize_cmd) return run_optimize(*optimize);
    if (*analyze_cmd) return run_analyze(*analyze);
    return std::nullopt;
  };
}

}  // namespace edgebench::cli
