// LoadGen-style scenarios: the harness that issues queries to an Executable, owns the clock
// (std::chrono::steady_clock) and knows nothing about models (LoadGen's split between the
// system under test and the sample library: samples are preloaded by the caller).
//
//  single-stream  the next query is issued when the previous one completes; latency per query;
//                 headline p90.
//  multi-stream   a query is samples_per_query samples run back to back (the executable runs
//                 one sample per call); query latency = time for all of them; headline p99.
//  server         queries arrive as a Poisson process at target_qps (seeded); one worker
//                 issues them in arrival order; latency = completion - scheduled arrival, so
//                 queueing delay counts when the target cannot keep up; headline p99, checked
//                 against latency_bound_ms; achieved QPS = queries / (last completion - first
//                 arrival).
//  offline        every sample is issued at once and run back to back in groups of `batch`
//                 executable calls; headline samples/s. The latency recorded per sample is the
//                 time of the call that ran it (its service time: in offline all samples are
//                 queued from the start, so LoadGen's completion-minus-issue figure would only
//                 restate the run's progress).
//
// Each run: warm-up queries (not recorded), then the measured phase, which lasts until both
// min_queries and min_duration_s are reached, or a safety cap (max_queries, max_duration_s)
// stops it, in which case the run is invalid. Results are also invalid when a check fails (as in
// LoadGen): single- and multi-stream with too few queries for an early-stopping estimate of the
// headline percentile; server with p99 over latency_bound_ms, or too few queries to show at 99%
// confidence that p99 is within it.
//
// Inside the measured loop nothing allocates, logs or does I/O: per query there are two clock
// reads, the run call(s) and a store into a latency buffer sized up front (it grows, in big
// steps, between queries only if the run outlasts the estimate). The progress callback runs
// between queries, at most every kProgressInterval.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/backends/backend.h"
#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/measure/resources.h"
#include "edgebench/results/result.h"

namespace edgebench::measure {

enum class ScenarioKind { kSingleStream, kMultiStream, kServer, kOffline };

// "single-stream", "multi-stream", "server", "offline" (the names in results and on the CLI).
std::string_view scenario_name(ScenarioKind kind);
// kInvalidArgument listing the accepted names for anything else.
Result<ScenarioKind> parse_scenario(std::string_view name);

struct ScenarioSettings {
  ScenarioKind kind = ScenarioKind::kSingleStream;
  std::uint64_t warmup_queries = 10;
  std::uint64_t min_queries = 100;  // offline: samples
  double min_duration_s = 1.0;
  std::optional<double> target_qps;        // server: required
  std::optional<double> latency_bound_ms;  // server: p99 must not exceed it
  std::uint64_t samples_per_query = 8;     // multi-stream (LoadGen's default)
  std::uint64_t batch = 1;                 // offline: executable calls per group
  std::uint64_t seed = 0;                  // server arrival times
  // Safety caps; 0 means none. A cap that stops the run before the minimums makes it invalid.
  std::uint64_t max_queries = 0;
  double max_duration_s = 0;
};

// Settings for quick but valid runs of a scenario: 10 warm-up queries, at least 1 s, at least
// 100 queries (multi-stream: 662, the fewest with an early-stopping estimate of p99). The
// server scenario still needs target_qps.
ScenarioSettings default_settings(ScenarioKind kind);

// Checks ranges (kInvalidArgument naming the field): server needs a finite target_qps
// >= 0.001, samples_per_query and batch are at least 1, durations are finite and >= 0.
Status validate(const ScenarioSettings& settings);

// The settings as a result record stores them (`inputs` is left for the caller to describe).
results::ScenarioSettings to_record_settings(const ScenarioSettings& settings);

inline constexpr std::chrono::milliseconds kProgressInterval{100};

struct Progress {
  std::uint64_t queries = 0;  // measured queries completed (offline: samples)
  double elapsed_s = 0;       // since the measured phase began
};

struct ScenarioHooks {
  // Called between queries of the measured phase, at most every kProgressInterval.
  std::function<void(const Progress&)> progress;
  // When set and available, the energy of the measured phase is read from it.
  const PowercapReader* powercap = nullptr;
};

struct ScenarioResult {
  ScenarioKind kind = ScenarioKind::kSingleStream;
  // Per query in issue order (offline: per sample); milliseconds; measured phase only.
  std::vector<double> latencies_ms;
  results::LatencyStats latency;
  std::string headline_metric;  // "p90_ms", "p99_ms" or "samples_per_s"
  double headline_value = 0;
  // LoadGen's early-stopping estimate of the headline percentile (latency scenarios).
  std::optional<double> early_stopping_ms;
  // Wall time of the measured phase (server: first scheduled arrival to last completion).
  double duration_s = 0;
  std::uint64_t queries = 0;
  std::uint64_t samples = 0;
  results::Throughput throughput;
  std::optional<bool> met_latency_bound;  // server with latency_bound_ms
  bool valid = true;
  std::vector<std::string> invalid_reasons;
  ResourceUsage resources;  // CPU time and energy of the measured phase, peak RSS after it
  // Backends that time themselves (remote targets): see results::Timings for the meaning.
  // latency, latencies_ms and the headline then hold the target's figures, except in the
  // server scenario.
  std::string latency_source = "host";
  std::optional<results::LatencyStats> target_latency;
  std::optional<results::LatencyStats> round_trip;
  std::optional<results::LatencyStats> transport_overhead;
};

// One round of a scenario's measured phase, as measured (Scenario::run_round);
// Scenario::summarize turns one or more rounds into a result.
struct MeasuredRound {
  std::vector<double> host_ms;    // per query (offline: per sample), in issue order
  std::vector<double> call_ms;    // a self-timing target's backend call times, and
  std::vector<double> device_ms;  // its own times: both empty unless every query has one
  std::string device_source;      // what device_ms measured ("target", ...)
  std::uint64_t queries = 0;
  std::uint64_t samples = 0;
  double duration_s = 0;
  bool stopped_by_cap = false;  // before the minimums were met
  std::string cap_reason;
  ResourceUsage resources;

  // The latencies the headline is taken from (device_ms for a self-timing target, except in
  // the server scenario), and their median.
  const std::vector<double>& headline_latencies_ms(ScenarioKind kind) const;
  double p50_ms(ScenarioKind kind) const;
};

// Output tensors allocated from the executable's output specs where dtype and shape are known
// (left undefined otherwise: the first run allocates them).
std::vector<Tensor> preallocate_outputs(const backends::Executable& executable);

// Runs `inputs` once and returns the wall time of that one call in milliseconds: the cold
// first inference when nothing has run the executable yet. Status of the run on failure.
Result<double> time_first_inference(backends::Executable& executable,
                                    std::span<const Tensor> inputs, std::span<Tensor> outputs);

class Scenario {
 public:
  explicit Scenario(ScenarioSettings settings) : settings_(std::move(settings)) {}

  const ScenarioSettings& settings() const { return settings_; }

  // Warm-up, then the measured phase. `samples` are input sets in executable.inputs() order,
  // used round-robin from the first. Errors: kInvalidArgument for bad settings or samples (no
  // samples, a sample with the wrong number of tensors), or the status of the first failing
  // run with "query N" (or "warm-up query N") as context. The executable is used by this
  // thread only, for the duration of the call.
  Result<ScenarioResult> run(backends::Executable& executable,
                             std::span<const std::vector<Tensor>> samples,
                             const ScenarioHooks& hooks = {}) const;

  // run() in two steps, for repeated rounds (bench --repeat): each run_round is a warm-up and a
  // measured phase; summarize pools the rounds' latencies, queries, durations and resources
  // into one result (statistics, headline and early-stopping estimate over all of them).
  Result<MeasuredRound> run_round(backends::Executable& executable,
                                  std::span<const std::vector<Tensor>> samples,
                                  const ScenarioHooks& hooks = {}) const;
  ScenarioResult summarize(std::span<const MeasuredRound> rounds) const;

 private:
  ScenarioSettings settings_;
};

// Copies a scenario's figures into a result record: scenario settings (keeping
// record.scenario.inputs), timings (all but init_ms and first_inference_ms), throughput, CPU
// time, energy, peak RSS, raw latencies; an invalid result makes the record invalid and adds
// its reasons.
void fill_record(const ScenarioSettings& settings, const ScenarioResult& result,
                 results::Record& record);

}  // namespace edgebench::measure
