// edgebench plan: options and entry point (the accelerator compile planner).
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::cli {

struct PlanCommandOptions {
  std::vector<std::string> models;
  std::string device;
  std::string json_path;
  std::string trace;  // "A B A B" or a file holding such tokens
  bool separately = false;
  bool all_layers = false;
  std::vector<std::string> input_shapes;  // NAME=DIMS
  std::size_t segments = 0;               // > 0: segment the first model
  std::string strategy = "parameters";    // parameters | latency | exhaustive
  std::vector<std::size_t> cuts;          // manual cuts (node indices)
  std::string export_dir;                 // write segment_K.onnx here
};
int run_plan(const PlanCommandOptions& options);

}  // namespace edgebench::cli

namespace CLI {
class App;
}

namespace edgebench::ir {
struct Graph;
}
namespace edgebench::plan {
struct Device;
}

namespace edgebench::cli {

// Adds the plan sub-command to `app`; the returned function runs it when it was chosen
// (nullopt otherwise).
std::function<std::optional<int>()> add_plan_commands(CLI::App& app);

// plan --segments: segments the model (annotated graph), prints the segment table, adds
// "segments" to `json` and exports the segments when asked. Returns an error status.
Status plan_segments(const ir::Graph& graph, const std::string& name, const plan::Device& device,
                     const PlanCommandOptions& options, nlohmann::json& json);

}  // namespace edgebench::cli
