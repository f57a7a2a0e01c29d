// The measuring flags that bench shares with sweep and experiment.
#include "bench_flags.h"

#include <CLI/CLI.hpp>

#include "commands.h"
#include "results_commands.h"

namespace edgebench::cli {

void add_measurement_flags(CLI::App* cmd, BenchOptions& bench) {
  cmd->add_option("--backend", bench.backend, kBackendHelp)->default_val("native");
  cmd->add_option("--scenario", bench.scenario, "single-stream | multi-stream | server | offline")
      ->default_val("single-stream");
  cmd->add_option("--threads", bench.threads, "Worker threads (1 = no extra threads)")
      ->default_val(1);
  cmd->add_option("--warmup", bench.warmup, "Warm-up queries (default 10)");
  cmd->add_option("--min-queries", bench.min_queries,
                  "At least this many measured queries (default 100; multi-stream 662)");
  cmd->add_option("--min-duration", bench.min_duration_s,
                  "At least this many seconds of measurement (default 1)");
  cmd->add_option("--max-duration", bench.max_duration_s,
                  "Stop after this many seconds even below the minimums (run is invalid)");
  cmd->add_option("--target-qps", bench.target_qps, "Server: Poisson arrival rate");
  cmd->add_option("--latency-bound", bench.latency_bound_ms,
                  "Server: p99 bound in ms that the run must meet");
  cmd->add_option("--samples-per-query", bench.samples_per_query,
                  "Multi-stream: samples per query (default 8)");
  cmd->add_option("--batch", bench.batch, "Offline: samples per group")->default_val(1);
  cmd->add_option("--samples", bench.samples, "Random input sets preloaded before timing")
      ->default_val(4);
  cmd->add_option("--random-seed", bench.random_seed, "Seed for inputs and arrivals")
      ->default_val(0);
  cmd->add_flag("--profile-ops", bench.profile_ops,
                "Time every node in a separate pass after the headline run");
  cmd->add_option("--db", bench.db_path, kStoreHelp)->default_val("edgebench-results.db");
  cmd->add_flag("--no-db", bench.no_db, "Do not store the result");
  cmd->add_option("--label", bench.label, "Free text stored with the result");
  cmd->add_option("--powercap-root", bench.powercap_root,
                  "Where to read RAPL energy counters (default /sys/class/powercap)");
  cmd->add_flag("--quiet", bench.quiet, "No progress line");
  cmd->add_option("--cpu", bench.cpus,
                  "Pin the harness and worker threads to these CPUs (e.g. 1, 0,2 or 0-3); the "
                  "record keeps them with the governor, clock, steal time and load")
      ->check(CLI::Validator(
          [](const std::string& value) {
            return value.empty() ? std::string("an empty CPU list") : std::string();
          },
          "LIST"));
  cmd->add_option("--repeat", bench.repeat,
                  "Rounds of warm-up + measurement; the record pools them and keeps each "
                  "round's p50 and their spread")
      ->default_val(1);
  cmd->add_option("--noise-threshold", bench.noise_threshold_pct,
                  "Flag the result noisy when p50 varies by more than this % between rounds")
      ->default_val(5.0);
}

}  // namespace edgebench::cli
