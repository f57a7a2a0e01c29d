// Command-line options of edgebench plan (CLI11).
#include <CLI/CLI.hpp>
#include <memory>

#include "plan_commands.h"

namespace edgebench::cli {

std::function<std::optional<int>()> add_plan_commands(CLI::App& app) {
  auto options = std::make_shared<PlanCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Compile report for an accelerator: mapped ops, device subgraphs, on-chip and off-chip "
      "parameter bytes, predicted first and warm latency; several models are co-compiled");
  cmd->add_option("MODEL", options->models, "ONNX model file(s); the first has cache priority")
      ->required();
  cmd->add_option("--device", options->device,
                  "Device name (edgetpu-usb2, edgetpu-usb3, edgetpu-pcie, edgetpu-thesis) or a "
                  "device .json file (docs/devices.md)")
      ->required();
  cmd->add_option("--json", options->json_path, "Write the plan as JSON to FILE");
  cmd->add_option("--trace", options->trace,
                  "Requests, e.g. \"A B A B\" (model letters, 1-based numbers or names), or a "
                  "file of them: per-request latency co-compiled and separately compiled, and "
                  "the recommended compile order");
  cmd->add_flag("--separately", options->separately,
                "Report each model compiled alone (default: co-compiled in the given order)");
  cmd->add_flag("--all-layers", options->all_layers, "List every layer's placement and time");
  cmd->add_option("--input-shape", options->input_shapes,
                  "NAME=DIMS for inputs with symbolic dims (default 1)");
  cmd->add_option("--segments", options->segments,
                  "Cut the (first) model into N segments, one device each, and plan each");
  cmd->add_option("--strategy", options->strategy,
                  "Segmentation: parameters (balanced parameter bytes, the vendor compiler's "
                  "default), latency (bisection on a latency target over the device model's "
                  "per-op times) or exhaustive (every cut placement, for small models)")
      ->default_val("parameters");
  cmd->add_option("--cuts", options->cuts,
                  "Manual segmentation: the node index where each segment after the first "
                  "begins (e.g. --cuts 4 7)");
  cmd->add_option("--export-dir", options->export_dir,
                  "Write the segments as ONNX models DIR/segment_K.onnx");
  return [=]() -> std::optional<int> {
    if (*cmd) return run_plan(*options);
    return std::nullopt;
  };
}

}  // namespace edgebench::cli
