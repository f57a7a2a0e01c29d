// The result schema `edgebench.result/1`: one record per benchmark or evaluation run, the same
// in every output format (JSON, JSONL, CSV, the SQLite store, reports).
//
// Percentile convention, used everywhere: nearest-rank on the latencies sorted ascending,
// p(q) = sorted[ceil(q/100 * n) - 1] (q in (0, 100], n >= 1).
// All times are milliseconds unless a field name says otherwise.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::results {

inline constexpr const char* kSchema = "edgebench.result/1";

struct LatencyStats {
  std::uint64_t count = 0;
  double min = 0, max = 0, mean = 0, std = 0;  // std: population standard deviation
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0;
};

struct ModelInfo {
  std::string path;
  std::string name;  // file stem
  std::string sha256;
  std::uint64_t params = 0;
  std::uint64_t params_bytes = 0;
  std::uint64_t macs = 0;
  std::uint64_t file_bytes = 0;  // size of the model file; 0 when unknown (older records)
};

struct BackendInfo {
  std::string name;  // native, native-ref, null, tcp://..., sim:..., onnxruntime, tflite?...
  int threads = 1;
  nlohmann::json options = nlohmann::json::object();
  // What computed: {"name", "version", "device", "delegate", "threads", "precision", "options"}
  // ("edgebench" for the built-in engine; onnxruntime, tflite, ... as the target reports them).
  // Null when the backend does not say (null, sim:, older records).
  nlohmann::json runtime = nullptr;
  // The machine a remote or runtime target ran on, as it reports it: {"cpu", "cores", "os",
  // "python"}. Null for in-process backends (`host` describes the machine).
  nlohmann::json target = nullptr;
};

// runtime.name / runtime.version / runtime.precision, or "" when absent.
std::string runtime_field(const BackendInfo& backend, const char* key);

struct HostInfo {
  std::string cpu_model;
  int logical_cores = 0;
  std::string os;  // uname sysname release machine
  std::string hostname;
  std::string compiler;                          // compiler that built edgebench
  std::map<std::string, std::string> libraries;  // name -> version
};

struct ScenarioSettings {
  std::string name;  // single-stream | multi-stream | server | offline
  std::uint64_t warmup_queries = 0;
  std::uint64_t min_queries = 0;
  double min_duration_s = 0;
  std::optional<double> target_qps;        // server
  std::optional<double> latency_bound_ms;  // server: the bound p99 is checked against
  std::uint64_t samples_per_query = 1;     // multi-stream
  std::uint64_t batch = 1;                 // offline
  std::uint64_t seed = 0;                  // inputs and arrival times
  std::string inputs = "random";           // random | npy:... | dataset spec
};

struct Timings {
  double init_ms = 0;             // model load + compile
  double first_inference_ms = 0;  // the cold run
  LatencyStats latency;           // per query, measured phase only
  std::string headline_metric;    // "p90_ms", "p99_ms", "samples_per_s"
  double headline_value = 0;
  // LoadGen's early-stopping estimate of the headline percentile (upper bound at 99%
  // confidence given the queries run); absent when there were too few queries.
  std::optional<double> early_stopping_ms;
  double duration_s = 0;  // wall time of the measured phase
  // Server scenario: did p99 meet latency_bound_ms?
  std::optional<bool> met_latency_bound;
  // Remote targets (tcp://) time each inference themselves. Then, per query:
  //   target_latency      the target's own time (monotonic clock around its backend call; a
  //                       multi-stream query sums its runs),
  //   round_trip          the host's time for the backend calls (send, target work, receive),
  //   transport_overhead  round trip minus target time.
  // and `latency` (with the headline and latencies_ms) holds the target's figures
  // (latency_source "target"), except in the server scenario, whose latency is completion
  // minus scheduled arrival on the host (queueing is what it measures; latency_source "host").
  // All absent, and latency_source "host", for backends that do not time themselves.
  std::string latency_source = "host";
  std::optional<LatencyStats> target_latency;
  std::optional<LatencyStats> round_trip;
  std::optional<LatencyStats> transport_overhead;
};

struct Throughput {
  double queries_per_s = 0;
  double samples_per_s = 0;
  std::optional<double> target_qps;  // server
};

struct Memory {
  std::uint64_t peak_rss_bytes = 0;
  std::uint64_t arena_bytes = 0;  // planned activation arena, 0 if the backend has none
};

struct CpuTime {
  double user_s = 0;  // during the measured phase
  double system_s = 0;
};

struct EnergyDomain {
  std::string name;  // e.g. package-0, core, dram
  double joules = 0;
};

struct Energy {
  bool available = false;  // false: no readable counters (reported as absent, never as zero)
  std::string source;      // e.g. "powercap:/sys/class/powercap"
  double joules = 0;       // sum over top-level domains during the measured phase
  std::vector<EnergyDomain> domains;
};

// What the measured phase ran beside, and whether that makes its figures noisy (bench records;
// absent from other commands and older records). See measure/conditions.h for the readings.
struct Conditions {
  std::vector<int> cpus;                 // the CPUs the run could use
  bool pinned = false;                   // chosen with --cpu
  std::string governor;                  // cpufreq governor of the first CPU; "" unreadable
  std::optional<double> cpu_mhz;         // its clock at the end of the run, where readable
  std::optional<double> steal_pct;       // steal time of `cpus`, % of their time
  std::optional<double> other_load_pct;  // other processes' CPU time on `cpus`, % of wall time
  std::optional<double> loadavg_start;   // 1-minute load average before and after the run
  std::optional<double> loadavg_end;
  std::vector<double> round_p50_ms;  // bench --repeat: each round's p50, in run order
  std::optional<double> spread_pct;  // (max - min) / median of round_p50_ms, 2+ rounds
  bool noisy = false;
  std::vector<std::string> noise_reasons;  // each names the figure and its threshold
};

struct OpProfileEntry {
  std::string name;  // node name (or op type in by_op_type)
  std::string op_type;
  std::uint64_t calls = 0;
  double total_ms = 0;
  double share = 0;  // of the profiled total, 0..1
};

struct OpProfile {
  std::vector<OpProfileEntry> by_node;
  std::vector<OpProfileEntry> by_op_type;
  std::uint64_t runs = 0;
};

// One result record ("a result" in the docs).
struct Record {
  std::string schema = kSchema;
  std::string id;          // unique, assigned when created
  std::string created_at;  // UTC, ISO 8601
  std::string label;
  std::string command;  // bench | eval | ...
  bool valid = true;    // false when minimums were not reached or a check failed
  std::vector<std::string> invalid_reasons;
  ModelInfo model;
  BackendInfo backend;
  HostInfo host;
  ScenarioSettings scenario;
  Timings timings;
  Throughput throughput;
  Memory memory;
  CpuTime cpu;
  Energy energy;
  nlohmann::json quality = nullptr;  // top1, top5, mse, ... when a dataset was used
  // What this record is a point of, when it belongs to a sweep or an experiment, e.g.
  // {"sweep": "conv", "filters": 32, "layers": 5, "input": 64, "kernel": 3} or
  // {"experiment": "NAME", "cell": {"model": ..., "variant": ..., "backend": ..., ...}}.
  nlohmann::json params = nullptr;
  // What only a modelled accelerator (sim:DEVICE) knows: on_chip_bytes, off_chip_bytes,
  // device_subgraphs, predicted latencies, ...
  nlohmann::json accelerator = nullptr;
  std::optional<OpProfile> profile;
  std::optional<Conditions> conditions;
  std::vector<double> latencies_ms;  // raw per-query latencies, in issue order
  // Long runs (the null backend makes millions of queries) keep their raw latencies in a
  // float64 .npy file instead; latencies_ms is then empty and this names the file.
  std::string latencies_path;
};

// "noisy" or "quiet" by the record's conditions, "-" when it has none (older records, commands
// other than bench).
inline bool is_noisy(const Record& r) { return r.conditions && r.conditions->noisy; }
inline const char* noise_text(const Record& r) {
  return !r.conditions ? "-" : r.conditions->noisy ? "noisy" : "quiet";
}

nlohmann::json to_json(const Record& record);
// Parses and validates a result document (schema name and required fields).
Result<Record> from_json(const nlohmann::json& json);

}  // namespace edgebench::results
