// edgebench inspect for TFLite models (internal to the cli module).
#pragma once

#include <nlohmann/json.hpp>

#include "commands.h"
#include "edgebench/ir/graph.h"

namespace edgebench::cli {

// Prints (and with --json writes) what a TFLite model is made of: inputs and outputs with their
// quantization, op counts, parameters per dtype and the MACs of CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED. `graph` comes from tflite::load_model (Graph::foreign is set).
int run_inspect_tflite(const InspectOptions& options, const ir::Graph& graph);
// The `edgebench.inspect/1` document alone (what --json writes).
Result<nlohmann::json> inspect_tflite_report(const InspectOptions& options, const ir::Graph& graph);

}  // namespace edgebench::cli
