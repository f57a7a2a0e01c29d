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
struct LatencyTerms;
}  // namespace edgebench::plan

namespace edgebench::cli {

// Adds the plan sub-command to `app`; the returned function runs it when it was chosen
// (nullopt otherwise).
std::function<std::optional<int>()> add_plan_commands(CLI::App& app);

// plan --segments: segments the model (annotated graph) as the options ask, exports the segments
// when asked, and adds "segmentation" and "segments" to the plan document.
Status plan_segments(const ir::Graph& graph, const std::string& name, const plan::Device& device,
                     const PlanCommandOptions& options, nlohmann::json& json);
// The quantities a plan's warm latency is linear in (tools/fit_device_model.py reads them).
nlohmann::json latency_terms_json(const plan::LatencyTerms& terms);
// " (90% interval A - B ms)" for a latency_ms object that has one, "" otherwise.
std::string interval_text(const nlohmann::json& latency_ms);

// The segment table of a plan document that has "segments".
void print_segments(const nlohmann::json& plan);

}  // namespace edgebench::cli
