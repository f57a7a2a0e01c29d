// Helpers shared by the edgebench sub-commands (internal to the cli module).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/backends/backend.h"
#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/data/dataset.h"
#include "edgebench/engine/plan.h"
#include "edgebench/ir/graph.h"
#include "edgebench/results/result.h"
#include "edgebench/results/store.h"

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

// Inputs whose shape is neither declared concretely nor in `given` (--input-shape, or the shape
// of an --input file or dataset sample): an error naming each of them and how to give a shape,
// so that nothing is computed for a guessed dim.
Status require_input_shapes(const ir::Graph& graph,
                            const std::map<std::string, Shape, std::less<>>& given,
                            std::string_view how = "--input-shape NAME=DIMS");
// The model's inputs as a dataset should feed them: declared shapes with `given` applied, -1 for
// each symbolic dim left (datasets whose files carry shapes accept any size there).
std::vector<data::InputSpec> graph_input_specs(
    const ir::Graph& graph, const std::map<std::string, Shape, std::less<>>& given);
// Whether a dataset spec's samples carry their own shapes (npy:, npz:, onnx-test:), so that a
// model with symbolic dims can take its shapes from them.
bool dataset_has_shapes(std::string_view spec);

// A shape error on a model with symbolic input dims says so and how the dims were bound:
// `status` with "; input 'x' has symbolic dims [N,3,H,W] (bound to 1x3x8x8 here): check
// --input-shape" appended. Other statuses come back unchanged.
Status with_symbolic_dims_hint(const Status& status, const ir::Graph& graph,
                               const std::map<std::string, Shape, std::less<>>& bound);

// "1.81 G", "302.4 M", "12.0 k"
std::string human_count(double value);
// "3.1 MiB"
std::string human_bytes(double bytes);

// Characters outside [A-Za-z0-9._-] become '_' (file names for outputs).
std::string sanitize_file_name(std::string_view name);

// Result records of the measuring commands (bench, eval).

// A new record (fresh id and time stamp) for `command` with the model (path, name, file size,
// sha256, parameters, MACs), the backend and the host filled in.
// `input_shapes` binds inputs with symbolic dims for the MACs; when some stay unbound, the
// record's MACs are 0 (not computed) rather than counted for a guessed shape.
results::Record new_result_record(
    std::string_view command, const std::string& label, const ir::Graph& graph,
    const std::string& model_path, const std::string& backend_name, int threads,
    const std::map<std::string, Shape, std::less<>>& input_shapes = {});

// The store a command adds its result to: none with --no-db, else --db opened (created if
// missing). Opened before any measurement, so that a bad path fails early.
Result<std::optional<results::Store>> open_result_store(bool no_db, const std::string& db_path);

// Writes the record as JSON (when json_path is set) and adds it to the store (when there is
// one). Beyond 100000 raw latencies, they go to a float64 .npy file beside the JSON file (or
// the store) and the record names it instead of holding them.
// `key` (when not empty) marks the record in the store for resumable sweeps and experiments.
// `announce` prints where it was stored.
Status save_result_record(results::Record& record, const std::string& json_path,
                          std::optional<results::Store>& store, const std::string& db_path,
                          const std::string& key, bool announce);

// Writes `text` to `path` (replacing it); the error names `what` and the path.
Status write_text_file(const std::string& path, const std::string& text, std::string_view what);

// What ran the model (record.backend.runtime and .target, when the executable says) and what a
// modelled accelerator reported about its last run (record.accelerator).
void record_accelerator(const backends::Executable& exe, results::Record& record);

// Returns freed heap memory to the system and resets the process's peak resident memory
// (VmHWM), so that a command measuring many models in one process (sweep, experiment) records
// each one's own peak rather than the largest so far.
void reset_peak_memory();

// Sets record.params from JSON text (nothing when empty).
Status apply_params(const std::string& params_json, results::Record& record);

// One line for a stored result (sweeps and experiments print this instead of the summary):
// model, backend, p50, top-1 when measured, and the id.
void print_brief(const results::Record& record);

// The model inputs a dataset has to feed, from a compiled executable.
std::vector<data::InputSpec> dataset_inputs(const backends::Executable& exe);

}  // namespace edgebench::cli
