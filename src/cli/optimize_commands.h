// edgebench optimize and edgebench analyze: options and entry points.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/api.h"
#include "edgebench/core/status.h"

namespace edgebench::cli {

using api::analyze_report;
using api::AnalyzeOptions;
using api::optimize_model;
using api::OptimizeLog;
using api::OptimizeOptions;
using api::OptimizeSummary;

// Writes optimize_model's progress to stdout (the command's and sweep's log).
void print_optimize_progress(const std::string& text);
Result<OptimizeOptions> parse_optimize_flags(const std::string& model, const std::string& output,
                                             const std::vector<std::string>& flags);
int run_optimize(const OptimizeOptions& options);
int run_analyze(const AnalyzeOptions& options);

}  // namespace edgebench::cli

namespace CLI {
class App;
}

namespace edgebench::cli {

// Adds the optimize and analyze sub-commands to `app`; the returned function runs the one
// that was chosen after parsing (nullopt when neither was).
std::function<std::optional<int>()> add_optimize_commands(CLI::App& app);

}  // namespace edgebench::cli
