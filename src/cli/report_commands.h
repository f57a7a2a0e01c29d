// edgebench report: options and entry point.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace edgebench::cli {

struct ReportCommandOptions {
  std::string db_path;
  std::string html_path;
  std::string markdown_path;
  std::string title;
  std::string label;
  std::string model;
  std::string backend;
  std::string weights;
  std::string reference_model;
  std::size_t max_runs = 24;
};
int run_report(const ReportCommandOptions& options);

// Adds the report sub-command; the returned function runs it when it was chosen.
std::function<std::optional<int>()> add_report_command(CLI::App& app);

// Adds the pipeline sub-command (src/cli/pipeline_cmd.cc).
std::function<std::optional<int>()> add_pipeline_command(CLI::App& app);

}  // namespace edgebench::cli
