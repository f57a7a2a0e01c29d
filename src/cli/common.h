// Helpers shared by the edgebench sub-commands (internal to the cli module).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/engine/plan.h"
#include "edgebench/ir/graph.h"

namespace edgebench::cli {

// Exit codes of the command-line contract.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitBadInput = 2;

// Prints "edgebench: error: <message>" to stderr and returns the exit code for the status.
int report_error(const Status& status);

// Loads and validates a model file; errors name the file.
Result<ir::Graph> load_model_file(const std::string& path);

// "NAME=VALUE" -> {NAME, VALUE}; error names the flag.
Result<std::pair<std::string, std::string>> split_assignment(std::string_view text,
                                                             std::string_view flag);
// "1x3x224x224" or "1,3,224,224" -> shape.
Result<Shape> parse_shape(std::string_view text);
// Parses repeated --input-shape NAME=DIMS flags.
Result<std::map<std::string, Shape, std::less<>>> parse_input_shapes(
    const std::vector<std::string>& flags);

// "1.81 G", "302.4 M", "12.0 k"
std::string human_count(double value);
// "3.1 MiB"
std::string human_bytes(double bytes);

// Characters outside [A-Za-z0-9._-] become '_' (file names for outputs).
std::string sanitize_file_name(std::string_view name);

}  // namespace edgebench::cli
