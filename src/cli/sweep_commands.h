// edgebench sweep and edgebench run-experiment: options and entry points.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "edgebench/core/status.h"

namespace CLI {
class App;
}

namespace edgebench::cli {

struct SweepOptions {
  std::string kind;  // conv | dense
  // Generator parameters, each N, A,B,C or START:STOP:STEP (gen::parse_sweep_values).
  std::string filters = "32";
  std::string layers;  // default 5 (conv) or 4 (dense)
  std::string input = "64";
  std::string kernel = "3";
  std::string neurons = "100";
  std::string inputs = "64";
  std::string outputs = "10";
  std::string activation;  // default relu (conv) or tanh (dense)
  std::uint64_t seed = 0;
  std::string optimize;    // edgebench optimize flags applied to every point
  std::string variant;     // the variant's name (default: "float", or the optimize flags)
  std::string models_dir;  // keep the generated models here (default: a temporary folder)
  bool dry_run = false;    // list the points and their MACs, measure nothing
  BenchOptions bench;      // model, json_path, inputs and dataset unused
};
int run_sweep(const SweepOptions& options);

struct ExperimentOptions {
  std::string file;               // .json
  std::string db_path;            // overrides the file's "db"
  std::vector<std::string> only;  // KEY=VALUE filters on cells (model, variant, backend, scenario)
  bool dry_run = false;           // list the cells and whether they are stored, run nothing
  std::string targets;            // a target pool file for the "pool" backends (target_pool.h)
  bool status = false;            // show done / failed / missing cells and Slurm's queue
  // --slurm: submit the cells still to run as Slurm job arrays (slurm.h) instead of running them.
  bool slurm = false;
  std::string partition;
  std::vector<std::string> sbatch_options;  // passed to sbatch as they are
  std::vector<std::string> slurm_licenses;  // BACKEND=LICENSE: that backend's cells hold it
  std::size_t chunk = 1;                    // cells per Slurm task
  bool wait = false;                        // wait for the Slurm jobs to end
  // A Slurm task's share: lines task*chunk.. of the submitter's cells file.
  std::string cells_file;
  std::size_t task = 0;
};
int run_experiment(const ExperimentOptions& options);

// Adds the sweep and run-experiment sub-commands to `app`; the returned function runs the one
// that was chosen after parsing (nullopt when neither was).
std::function<std::optional<int>()> add_sweep_commands(CLI::App& app);

// Shared by sweep and run-experiment.

// Splits optimize flags as a shell would split words (single and double quotes group words;
// no expansion). An unterminated quote is an error.
Result<std::vector<std::string>> split_words(const std::string& text);

// Optimizes IN into OUT as `edgebench optimize IN -o OUT FLAGS...` would (optimize_model, its
// progress printed); the error carries optimize's own message.
Status optimize_with_flags(const std::string& in, const std::string& out, const std::string& flags);

// "1:23" or "1:02:03" for a number of seconds.
std::string format_duration(double seconds);

}  // namespace edgebench::cli
