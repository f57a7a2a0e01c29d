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
  return [=]() -> std::optional<int> {
    if (*cmd) return run_plan(*options);
    return std::nullopt;
  };
}

}  // namespace edgebench::cli
