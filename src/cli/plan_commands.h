// edgebench plan: options and entry point (the accelerator compile planner).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace edgebench::cli {

struct PlanCommandOptions {
  std::vector<std::string> models;
  std::string device;
  std::string json_path;
  std::string trace;  // "A B A B" or a file holding such tokens
  bool separately = false;
  bool all_layers = false;
  std::vector<std::string> input_shapes;  // NAME=DIMS
};
int run_plan(const PlanCommandOptions& options);

}  // namespace edgebench::cli

namespace CLI {
class App;
}

namespace edgebench::cli {

// Adds the plan sub-command to `app`; the returned function runs it when it was chosen
// (nullopt otherwise).
std::function<std::optional<int>()> add_plan_commands(CLI::App& app);

}  // namespace edgebench::cli
