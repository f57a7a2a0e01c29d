#include "slurm.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

extern char** environ;

namespace edgebench::cli {

Result<ProgramRun> run_program(const std::vector<std::string>& argv,
                               const std::function<void(std::string_view)>& on_output,
                               const std::vector<std::string>& extra_env) {
  if (argv.empty()) return invalid_argument("run_program: no program");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return io_error(fmt::format("cannot run {}: pipe: {}", argv[0], std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (const std::string& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(extra_env.begin(), extra_env.end(), [&](const auto& x) {
      const std::size_t eq = x.find('=');
      return entry.size() > eq && entry.compare(0, eq + 1, x, 0, eq + 1) == 0;
    });
    if (!replaced) env.push_back(*e);
  }
  env.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return not_found(fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned)));
  }
  ProgramRun run;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      run.output.append(buffer, static_cast<std::size_t>(n));
      if (on_output) on_output(std::string_view(buffer, static_cast<std::size_t>(n)));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

namespace {

// Slurm's messages end in a newline; one line reads better after ": ".
std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

Result<std::string> submit_array(const SlurmArray& array) {
  if (array.tasks == 0) return invalid_argument("a Slurm job array needs at least one task");
  std::vector<std::string> argv = {
      "sbatch",
      "--parsable",
      fmt::format("--array=0-{}", array.tasks - 1),
      "--job-name=" + array.job_name,
      "--output=" + (array.log_dir / "%A_%a.out").string(),
      "--ntasks=1",
  };
  if (!array.partition.empty()) argv.push_back("--partition=" + array.partition);
  if (!array.licenses.empty()) argv.push_back("--licenses=" + array.licenses);
  if (array.wait) argv.push_back("--wait");
  argv.insert(argv.end(), array.options.begin(), array.options.end());
  argv.push_back("--wrap=" + array.command);
  auto run = run_program(argv);
  if (!run.is_ok()) {
    return not_found(fmt::format("{} (is Slurm's client, Debian's slurm-client, installed?)",
                                 run.status().message()));
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER" first; with --wait, sbatch's exit code is the
  // array's (non-zero when a task failed), and the job id line still comes first.
  std::istringstream lines(run->output);
  std::string first;
  std::getline(lines, first);
  const std::string id = first.substr(0, first.find(';'));
  const bool numeric = !id.empty() && id.find_first_not_of("0123456789") == std::string::npos;
  if (!numeric) {
    return io_error(
        fmt::format("sbatch failed (exit {}): {}", run->exit_code, trimmed(run->output)));
  }
  return id;
}

Result<std::vector<QueuedTask>> queued_tasks(const std::string& job_name) {
  auto run =
      run_program({"squeue", "--noheader", "--array", "--name=" + job_name, "--format=%F %K %T"});
  if (!run.is_ok()) return run.status();
  if (run->exit_code != 0) {
    return io_error(
        fmt::format("squeue failed (exit {}): {}", run->exit_code, trimmed(run->output)));
  }
  std::vector<QueuedTask> tasks;
  std::istringstream lines(run->output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    QueuedTask t;
    std::string task;
    if (!(words >> t.job_id >> task >> t.state)) continue;
    // %K is the task's index ("N/A" for a job that is not an array).
    if (task.empty() || task.find_first_not_of("0123456789") != std::string::npos) continue;
    t.task = std::stoull(task);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace edgebench::cli
