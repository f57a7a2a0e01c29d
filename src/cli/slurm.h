// run-experiment --slurm: the grid as Slurm job arrays (sbatch), and what Slurm still holds of
// them (squeue). Slurm's own commands do the work; nothing here schedules.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::cli {

// A program's exit code and its standard output and error together.
struct ProgramRun {
  int exit_code = 0;
  std::string output;
};
// Runs argv[0] (searched on PATH) with the arguments, waits, and returns what it printed. An
// error when it cannot be started (not installed). `on_output`, when set, also receives the
// output as it arrives (a long job's progress); `extra_env` ("NAME=VALUE") is added to this
// process's environment for the child.
Result<ProgramRun> run_program(const std::vector<std::string>& argv,
                               const std::function<void(std::string_view)>& on_output = {},
                               const std::vector<std::string>& extra_env = {});

// The word as a POSIX shell reads it back: in single quotes, any ' written as '\''.
std::string shell_quote(const std::string& word);

struct SlurmArray {
  std::string job_name;
  std::string partition;             // "" : the cluster's default
  std::string licenses;              // e.g. "board_a:1" ("" : none): tasks never share a board
  std::vector<std::string> options;  // more sbatch options, as given
  std::size_t tasks = 0;             // array indices 0..tasks-1
  std::filesystem::path log_dir;     // each task writes JOB_TASK.out here
  std::string command;               // shell text each task runs; $SLURM_ARRAY_TASK_ID is its index
  bool wait = false;                 // sbatch --wait: return once every task has ended
};
// Submits the array; returns the job id. Errors carry sbatch's own message (a controller that
// does not answer, an unknown partition or license) and say when sbatch is not installed.
Result<std::string> submit_array(const SlurmArray& array);

// A task Slurm still holds of a job array.
struct QueuedTask {
  std::string job_id;  // the array's job id
  std::size_t task = 0;
  std::string state;  // PENDING, RUNNING, ...
};
// The tasks of jobs named `job_name` that Slurm still holds (pending or running).
Result<std::vector<QueuedTask>> queued_tasks(const std::string& job_name);

}  // namespace edgebench::cli
