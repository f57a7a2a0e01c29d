// edgebench optimize and edgebench analyze: options and entry points.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::cli {

struct OptimizeOptions {
  std::string model;
  std::string output;
  std::string quantize;  // "" | dynamic | int8 | int8-fallback | fp16
  bool per_channel = false;
  std::string calibration;  // dataset spec
  std::string calibration_method = "percentile";
  double percentile = 99.99;
  std::uint64_t calibration_limit = 500;
  std::optional<double> prune;
  std::string prune_pattern = "unstructured";
  std::vector<std::string> exclude;  // node names or op types
  int fallback_count = 1;
  std::uint64_t sensitivity_samples = 100;
  int threads = 1;
};

// Where optimize_model's progress goes, text with its newlines: the command prints it.
using OptimizeLog = std::function<void(const std::string&)>;
// The OptimizeLog of `edgebench optimize`: the text to standard output.
void print_optimize_progress(const std::string& text);
struct OptimizeSummary {
  std::uintmax_t bytes_before = 0, bytes_after = 0;  // the model files
  std::uint64_t weight_bytes = 0;                    // initializers of the result
};
// Cleans up, prunes and/or quantizes options.model and writes options.output.
Result<OptimizeSummary> optimize_model(const OptimizeOptions& options, const OptimizeLog& log);
// The options `edgebench optimize MODEL -o OUTPUT FLAGS...` would run with (sweep --optimize and
// experiment variants give their flags as text); a flag error names the flag.
Result<OptimizeOptions> parse_optimize_flags(const std::string& model, const std::string& output,
                                             const std::vector<std::string>& flags);
// The command: optimize_model, printing its progress, then the exit code.
int run_optimize(const OptimizeOptions& options);

struct AnalyzeOptions {
  std::string model;
  std::string reference;
  std::string dataset;
  std::uint64_t limit = 200;
  std::string backend = "native";
  int threads = 1;
  std::string json_path;
};
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
