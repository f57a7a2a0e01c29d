// The edgebench sub-commands. Each takes its parsed options and returns an exit code.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/results/result.h"

namespace edgebench::cli {

struct InspectOptions {
  std::string model;
  std::string json_path;
  std::vector<std::string> input_shapes;  // NAME=DIMS
  bool all_nodes = false;
};
int run_inspect(const InspectOptions& options);
// The `edgebench.inspect/1` document of an ONNX or TFLite model (what --json writes); prints
// nothing. json_path and all_nodes are not read.
Result<nlohmann::json> inspect_report(const InspectOptions& options);

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;  // NAME=FILE.npy
  std::vector<std::string> input_shapes;
  std::uint64_t random_seed = 0;
  std::string output_dir;
  std::string backend = "native";
  int threads = 1;
};
int run_run(const RunOptions& options);
// One inference, printing nothing: `given` inputs (NAME -> tensor; NCHW data is fitted to an
// NHWC input, float data quantized for a quantized one) and the --input files, the rest seeded
// random. Outputs in the model's order; an output the backend does not compute (null) is left
// undefined.
struct RunTensor {
  std::string name;
  Tensor tensor;
  bool random = false;  // an input made from the seed
};
struct RunOutcome {
  std::vector<RunTensor> inputs;
  std::vector<RunTensor> outputs;
};
Result<RunOutcome> run_model(const RunOptions& options,
                             std::map<std::string, Tensor, std::less<>> given);

// What bench_and_store and eval_and_store print once the record is made: the command's table,
// one line (sweep, run-experiment), or nothing (a library caller such as the Python module).
enum class Summary { kTable, kBrief, kNone };

struct BenchOptions {
  std::string model;
  std::string backend = "native";
  std::string scenario = "single-stream";
  int threads = 1;
  std::optional<std::uint64_t> warmup;
  std::optional<std::uint64_t> min_queries;
  std::optional<double> min_duration_s;
  std::optional<double> max_duration_s;
  std::optional<double> target_qps;
  std::optional<double> latency_bound_ms;
  std::optional<std::uint64_t> samples_per_query;
  std::uint64_t batch = 1;
  std::uint64_t samples = 4;  // random input sets preloaded before timing
  std::uint64_t random_seed = 0;
  std::vector<std::string> inputs;  // NAME=FILE.npy
  std::string dataset;      // npy:DIR | onnx-test:DIR | random:SEED | fashion-mnist:DIR[:SPLIT]
  std::uint64_t limit = 0;  // at most this many dataset samples (0: all)
  std::vector<std::string> input_shapes;
  bool profile_ops = false;
  std::string json_path;
  std::string db_path = "edgebench-results.db";
  bool no_db = false;
  std::string label;
  std::string powercap_root;  // default /sys/class/powercap
  bool quiet = false;         // no progress line on a terminal
  Summary summary = Summary::kTable;
  // Set by sweep and experiment: the record's params (JSON text) and the store key that makes
  // their runs resumable.
  std::string params_json;
  std::string store_key;
};
// Measures, prints the summary asked for and stores the record, which it returns; an error
// otherwise. A record below the scenario's minimums comes back with valid = false.
Result<results::Record> bench_and_store(const BenchOptions& options);
// The command: bench_and_store, then the exit code (1 for an invalid record).
int run_bench(const BenchOptions& options);

// edgebench eval MODEL --dataset SPEC: quality (and per-sample latency) on a dataset.
struct EvalOptions {
  std::string model;
  std::string dataset;                 // a data::open_dataset spec
  std::optional<std::uint64_t> limit;  // at most this many samples (absent: all; 0 is an error)
  std::string backend = "native";
  int threads = 1;
  std::string reference;  // a reference model run on the same samples (relative error)
  std::string reference_backend = "native";
  std::vector<std::string> input_shapes;  // NAME=DIMS for symbolic dims (else from the samples)
  std::string json_path;
  std::string db_path = "edgebench-results.db";
  bool no_db = false;
  std::string label;
  std::uint64_t warmup = 3;  // untimed runs before the timed pass
  bool quiet = false;        // no progress line on a terminal
  Summary summary = Summary::kTable;
  std::string params_json;  // as in BenchOptions
  std::string store_key;
};
// Evaluates, prints the summary asked for and stores the record, which it returns; an error
// otherwise.
Result<results::Record> eval_and_store(const EvalOptions& options);
int run_eval(const EvalOptions& options);

struct ConformanceOptions {
  std::vector<std::string> dirs;
  std::string backend = "native";
  std::string json_path;
  std::string markdown_path;
  std::string expect_path;  // tests listed here must pass (regression guard)
  std::string filter;       // substring of test names to run
  bool quiet = false;
};
int run_conformance(const ConformanceOptions& options);

}  // namespace edgebench::cli

namespace edgebench::gen {
struct ConvSpec;
struct DenseSpec;
}  // namespace edgebench::gen

namespace edgebench::cli {

int run_generate_conv(const gen::ConvSpec& spec, const std::string& out);
int run_generate_dense(const gen::DenseSpec& spec, const std::string& out);

// Parses argv and runs the chosen sub-command.
int main_entry(int argc, char** argv);

}  // namespace edgebench::cli
