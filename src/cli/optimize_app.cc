// Command-line options of edgebench optimize and edgebench analyze (CLI11).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>

#include "optimize_commands.h"

namespace edgebench::cli {

namespace {

// The flags of `edgebench optimize`, bound to `o`.
void add_optimize_options(CLI::App* cmd, OptimizeOptions& o) {
  cmd->add_option("MODEL", o.model, "ONNX model file")->required();
  cmd->add_option("-o,--output", o.output, "Where to write the result (.onnx)")->required();
  cmd->add_option("--quantize", o.quantize, "dynamic | int8 | int8-fallback | fp16");
  cmd->add_flag("--per-channel", o.per_channel, "int8 weights with one scale per output channel");
  cmd->add_option("--calibration", o.calibration,
                  "Dataset spec for static int8 ranges: fashion-mnist:DIR[:SPLIT], "
                  "images:DIR[,OPTIONS], npy:DIR, npz:DIR, onnx-test:DIR or random:SEED");
  cmd->add_option("--calibration-method", o.calibration_method,
                  "minmax | percentile | entropy | mse")
      ->default_val("percentile");
  cmd->add_option("--percentile", o.percentile,
                  "For --calibration-method "
                  "percentile")
      ->default_val(99.99)
      ->check(CLI::Range(50.0, 100.0));
  cmd->add_option("--calibration-limit", o.calibration_limit,
                  "At most N calibration samples (0: all)")
      ->default_val(500);
  cmd->add_option("--prune", o.prune,
                  "Magnitude pruning of Conv/Gemm/MatMul weights to this sparsity "
                  "(0 to 1)");
  cmd->add_option("--prune-pattern", o.prune_pattern,
                  "unstructured | 2:4 | block:RxC (whole blocks of R outputs x C inputs; 1x1 "
                  "convolutions in 16x1 or 8x1 blocks run on the sparse kernel)")
      ->default_val("unstructured");
  cmd->add_flag("--qat", o.qat,
                "With --quantize int8: quantization-aware training on --train-dataset first "
                "(int8 fake quantization, straight-through estimator; needs PyTorch)");
  cmd->add_option("--finetune-epochs,--epochs", o.finetune_epochs,
                  "Training epochs on --train-dataset: with --prune the sparsity rises "
                  "gradually while training; with --qat the default is 2 (needs PyTorch: "
                  "Debian's python3-torch)")
      ->default_val(0);
  cmd->add_option("--train-dataset", o.train_dataset,
                  "Labelled training data for --finetune-epochs, e.g. "
                  "fashion-mnist:/usr/share/datasets/fashion-mnist:train");
  cmd->add_option("--train-limit", o.train_limit, "At most N training samples (0: all)")
      ->default_val(0);
  cmd->add_option("--lr", o.lr, "Fine-tuning: Adam's learning rate")->default_val(1e-3);
  cmd->add_option("--batch", o.batch, "Fine-tuning: batch size")->default_val(64);
  cmd->add_option("--seed", o.seed, "Fine-tuning: seed of the shuffling and the masks' ties")
      ->default_val(0);
  cmd->add_option("--exclude", o.exclude, "Node names or op types to keep in float32 (repeatable)");
  cmd->add_option("--fallback-count", o.fallback_count,
                  "int8-fallback: the N nodes whose quantization hurts most stay float32")
      ->default_val(1)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--sensitivity-samples", o.sensitivity_samples,
                  "int8-fallback: calibration samples used to measure each node's effect")
      ->default_val(100)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", o.threads, "Worker threads for calibration")->default_val(1);
}

}  // namespace

Result<OptimizeOptions> parse_optimize_flags(const std::string& model, const std::string& output,
                                             const std::vector<std::string>& flags) {
  OptimizeOptions options;
  CLI::App app("edgebench optimize", "optimize");
  add_optimize_options(&app, options);
  std::vector<std::string> args = {model, "-o", output};
  args.insert(args.end(), flags.begin(), flags.end());
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return invalid_argument(e.what());
  }
  return options;
}

std::function<std::optional<int>()> add_optimize_commands(CLI::App& app) {
  auto optimize = std::make_shared<OptimizeOptions>();
  CLI::App* optimize_cmd = app.add_subcommand(
      "optimize", "Quantize (dynamic, int8, int8-fallback, fp16) and/or prune a model");
  add_optimize_options(optimize_cmd, *optimize);

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
