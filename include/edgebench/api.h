// The edgebench library: what the command line, the Python module (edgebench._core) and any
// other front end call. Each entry point takes its options and returns values or an error
// (Result); none exits, and none prints unless asked to (Summary, OptimizeLog). The command line
// only parses flags into these options, calls them, prints and picks the exit code.
//
//   inspect_report   the edgebench.inspect/1 document of an ONNX or TFLite model
//   run_model        one inference, outputs as tensors
//   bench_and_store  a measured results::Record (every scenario), stored unless no_db
//   eval_and_store   quality and per-sample latency on a dataset, as a results::Record
//   optimize_model   quantize / float16 / prune a model into a new file
//   analyze_report   the edgebench.analyze/1 document: per-tensor quantization error
//   plan_report      the edgebench.plan/1 document: an accelerator compile plan, co-compilation,
//                    request traces and segmentation
//
// The results store (results/store.h), the comparison of records (results/compare.h) and the
// pipeline runner (backends/pipeline.h) have their own headers, which these use.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/results/result.h"

namespace edgebench::api {

struct InspectOptions {
  std::string model;
  std::string json_path;                  // the command's --json (not read by inspect_report)
  std::vector<std::string> input_shapes;  // NAME=DIMS
  bool all_nodes = false;                 // the command's --all-nodes (not read either)
};
// The `edgebench.inspect/1` document of an ONNX or TFLite model (what --json writes).
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
struct RunTensor {
  std::string name;
  Tensor tensor;
  bool random = false;  // an input made from the seed
};
struct RunOutcome {
  std::vector<RunTensor> inputs;
  std::vector<RunTensor> outputs;
};
// One inference: `given` inputs (NAME -> tensor; NCHW data is fitted to an NHWC input, float
// data quantized for a quantized one) and the --input files, the rest seeded random. Outputs in
// the model's order; an output the backend does not compute (null) is left undefined.
Result<RunOutcome> run_model(const RunOptions& options,
                             std::map<std::string, Tensor, std::less<>> given);

// What bench_and_store and eval_and_store print once the record is made: the command's table,
// one line (sweep, run-experiment), or nothing (a library caller).
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
  // --cpu LIST ("0", "0,2", "1-3"): the CPUs the harness and the backend's worker threads run
  // on for the duration of the call (the calling thread's CPUs are restored afterwards).
  std::string cpus;
  // Rounds of warm-up + measured phase; the record pools them and keeps each round's p50.
  std::uint64_t repeat = 1;
  // Another model file (same backend) or backend spec (same model) measured in rounds
  // alternating with this one's; its record is stored too, and names this one in
  // params.baseline_for.
  std::string baseline;
  // A record whose round-to-round p50 spread exceeds this percentage is flagged noisy (so is
  // one that shared its CPUs with other work or lost time to the hypervisor).
  double noise_threshold_pct = 5.0;
  // Set by sweep and experiment: the record's params (JSON text) and the store key that makes
  // their runs resumable.
  std::string params_json;
  std::string store_key;
};
// Measures, prints the summary asked for and stores the record, which it returns; an error
// otherwise. A record below the scenario's minimums comes back with valid = false.
Result<results::Record> bench_and_store(const BenchOptions& options);

// Quality (and per-sample latency) on a dataset.
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
  // Pruning with fine-tuning (finetune_epochs > 0): the sparsity rises gradually while the
  // model trains on a labelled dataset (python -m edgebench.finetune, PyTorch), seeded.
  std::uint64_t finetune_epochs = 0;
  // Quantization-aware training (with quantize "int8"): the model trains with int8 fake
  // quantization (finetune_epochs, default 2) before it is quantized; calibration defaults to
  // the training dataset.
  bool qat = false;
  std::string train_dataset;      // a data::open_dataset spec with labels
  std::uint64_t train_limit = 0;  // at most this many training samples (0: all)
  double lr = 1e-3;               // Adam's learning rate, decayed along a cosine
  std::uint64_t batch = 64;
  std::uint64_t seed = 0;
};
// Receives optimize_model's progress lines (calibration, fallback search, the sizes).
using OptimizeLog = std::function<void(const std::string&)>;
struct OptimizeSummary {
  std::uintmax_t bytes_before = 0, bytes_after = 0;  // the model files
  std::uint64_t weight_bytes = 0;                    // initializers of the result
};
// Writes options.output, once the optimized model has compiled on the native engine.
Result<OptimizeSummary> optimize_model(const OptimizeOptions& options, const OptimizeLog& log);

struct AnalyzeOptions {
  std::string model;      // the quantized model
  std::string reference;  // the float model it came from
  std::string dataset;
  std::uint64_t limit = 200;
  std::string backend = "native";
  int threads = 1;
  std::string json_path;  // the command's --json (not read by analyze_report)
};
// The `edgebench.analyze/1` document: the model outputs' mean relative error and argmax
// changes, SQNR and relative L2 of every weight and activation the two models share, and the
// weights' width dispersion.
Result<nlohmann::json> analyze_report(const AnalyzeOptions& options);

struct PlanOptions {
  std::vector<std::string> models;  // the first has cache priority when co-compiled
  std::string device;               // a device name or a device .json file
  std::string json_path;            // the command's --json (not read by plan_report)
  std::string trace;                // "A B A B" or a file holding such tokens
  bool separately = false;          // report each model compiled alone
  bool all_layers = false;          // the command's --all-layers (the document has every layer)
  std::vector<std::string> input_shapes;  // NAME=DIMS
  std::size_t segments = 0;               // > 0: segment the first model
  std::string strategy = "parameters";    // parameters | latency | exhaustive
  std::vector<std::size_t> cuts;          // manual cuts (node indices)
  std::string export_dir;                 // write segment_K.onnx here
};
// The `edgebench.plan/1` document: the device, each model's plan (mapped ops, on- and off-chip
// parameter bytes, predicted latency, every layer), the trace prediction and recommended compile
// order when a trace is given, and the segments when asked for (written to export_dir).
Result<nlohmann::json> plan_report(const PlanOptions& options);

}  // namespace edgebench::api
