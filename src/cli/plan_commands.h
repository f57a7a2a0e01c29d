// edgebench plan: options and entry point (the accelerator compile planner).
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/api.h"
#include "edgebench/core/status.h"

namespace edgebench::cli {

using PlanCommandOptions = api::PlanOptions;
using api::plan_report;

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

// plan --segments: segments the model (annotated graph) as the options ask, exports the segments
// when asked, and adds "segmentation" and "segments" to the plan document.
Status plan_segments(const ir::Graph& graph, const std::string& name, const plan::Device& device,
                     const PlanCommandOptions& options, nlohmann::json& json);
// The segment table of a plan document that has "segments".
void print_segments(const nlohmann::json& plan);

}  // namespace edgebench::cli
