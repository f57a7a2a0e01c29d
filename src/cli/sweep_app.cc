// Command-line options of edgebench sweep and edgebench run-experiment (CLI11).
#include <CLI/CLI.hpp>
#include <memory>

#include "bench_flags.h"
#include "results_commands.h"
#include "sweep_commands.h"

namespace edgebench::cli {

namespace {

constexpr const char* kValues = "N, A,B,C or START:STOP:STEP (STOP included)";

void add_sweep_flags(CLI::App* cmd, SweepOptions& o) {
  cmd->add_option("--seed", o.seed, "Weight seed")->default_val(0);
  cmd->add_option("--optimize", o.optimize,
                  "edgebench optimize flags applied to every point, e.g. \"--quantize int8 "
                  "--calibration random:0\"");
  cmd->add_option("--variant", o.variant,
                  "Name of the variant in the store (default: float, or the --optimize flags)");
  cmd->add_option("--models-dir", o.models_dir,
                  "Keep the generated models in DIR (default: a temporary folder, removed)");
  cmd->add_flag("--dry-run", o.dry_run, "List the points and their MACs; measure nothing");
  add_measurement_flags(cmd, o.bench);
}

}  // namespace

std::function<std::optional<int>()> add_sweep_commands(CLI::App& app) {
  auto conv = std::make_shared<SweepOptions>();
  auto dense = std::make_shared<SweepOptions>();
  conv->kind = "conv";
  dense->kind = "dense";
  CLI::App* sweep = app.add_subcommand(
      "sweep",
      "Generate -> (optimize) -> bench every point of a grid of conv or dense models; every "
      "point is stored, and points already in the store are skipped (resumable)");
  sweep->require_subcommand(1);
  CLI::App* conv_cmd = sweep->add_subcommand(
      "conv", "SxSx3 input -> L x Conv(F filters, KxK, same padding) + activation");
  conv_cmd->add_option("--filters", conv->filters, std::string("F: ") + kValues)->default_val("32");
  conv_cmd->add_option("--layers", conv->layers, std::string("L: ") + kValues)->default_val("5");
  conv_cmd->add_option("--input", conv->input, std::string("S: ") + kValues)->default_val("64");
  conv_cmd->add_option("--kernel", conv->kernel, std::string("K (odd): ") + kValues)
      ->default_val("3");
  conv_cmd->add_option("--activation", conv->activation, "relu | relu6 | tanh | sigmoid | none")
      ->default_val("relu");
  add_sweep_flags(conv_cmd, *conv);

  CLI::App* dense_cmd =
      sweep->add_subcommand("dense", "I inputs -> L x Dense(N) + activation -> Dense(O)");
  dense_cmd->add_option("--neurons", dense->neurons, std::string("N: ") + kValues)
      ->default_val("100");
  dense_cmd->add_option("--layers", dense->layers, std::string("L: ") + kValues)->default_val("4");
  dense_cmd->add_option("--inputs", dense->inputs, std::string("I: ") + kValues)->default_val("64");
  dense_cmd->add_option("--outputs", dense->outputs, std::string("O: ") + kValues)
      ->default_val("10");
  dense_cmd->add_option("--activation", dense->activation, "relu | relu6 | tanh | sigmoid | none")
      ->default_val("tanh");
  add_sweep_flags(dense_cmd, *dense);

  auto experiment = std::make_shared<ExperimentOptions>();
  CLI::App* experiment_cmd = app.add_subcommand(
      "run-experiment",
      "Run an experiment file (JSON): models x variants x backends x scenarios, with a dataset "
      "for quality; every cell is stored, a failed cell is recorded with its error, and cells "
      "already in the store are skipped (resumable)");
  experiment_cmd->add_option("FILE", experiment->file, "Experiment file (.json)")->required();
  experiment_cmd->add_option("--db", experiment->db_path,
                             std::string(kStoreHelp) +
                                 " (default: the file's \"db\", else edgebench-results.db "
                                 "beside the file)");
  experiment_cmd->add_option("--only", experiment->only,
                             "Only cells with KEY=VALUE (model, variant, backend, scenario); "
                             "repeatable");
  experiment_cmd->add_option(
      "--targets", experiment->targets,
      "Target pool file: one target per line, a backend spec (tcp://HOST:PORT, RUNTIME?K=V, "
      "sim:DEVICE) and KEY=VALUE labels; the experiment's \"pool\" and \"pool:K=V,...\" "
      "backends run on matching targets, one cell per target at a time, a cell of a target that "
      "goes away runs again on another");
  experiment_cmd->add_flag("--status", experiment->status,
                           "Show which cells are done, failed or missing in the store, and the "
                           "experiment's Slurm tasks still pending or running; run nothing");
  experiment_cmd->add_flag("--slurm", experiment->slurm,
                           "Submit the cells still to run to Slurm as job arrays (sbatch), each "
                           "task storing into --db (a postgresql:// store for several nodes)");
  experiment_cmd->add_option("--partition", experiment->partition, "--slurm: the partition");
  experiment_cmd->add_option("--sbatch-option", experiment->sbatch_options,
                             "--slurm: one more sbatch option, as it is (repeatable), e.g. "
                             "--sbatch-option=--time=10");
  experiment_cmd->add_option("--slurm-license", experiment->slurm_licenses,
                             "--slurm: BACKEND=LICENSE, the cells of that backend (a board) hold "
                             "the Slurm license, so that two jobs never share the board "
                             "(repeatable)");
  experiment_cmd->add_option("--chunk", experiment->chunk, "--slurm: cells per task")
      ->default_val(1)
      ->check(CLI::PositiveNumber);
  experiment_cmd->add_flag("--wait", experiment->wait,
                           "--slurm: wait until Slurm has run every task, then report");
  experiment_cmd->add_option("--cells-file", experiment->cells_file)->group("");  // tasks only
  experiment_cmd->add_option("--task", experiment->task)->group("");
  experiment_cmd->add_flag("--dry-run", experiment->dry_run,
                           "List the cells and which are already stored; run nothing");

  return [=]() -> std::optional<int> {
    if (*conv_cmd) return run_sweep(*conv);
    if (*dense_cmd) return run_sweep(*dense);
    if (*experiment_cmd) return run_experiment(*experiment);
    return std::nullopt;
  };
}

}  // namespace edgebench::cli
