// Runtimes as backends: `onnxruntime`, `tflite`, `openvino` and `tvm` run through the Python
// target (`python -m edgebench.target --runtime R`), started here as a child process on
// loopback and driven by the remote proxy backend (remote_backend.cc), so a runtime on the host
// and the same runtime on a board (`tcp://`) are measured the same way.
//
// Spec: "RUNTIME" or "RUNTIME?K=V&K=V". `delegate=LIB`, `cpu=LIST` and `busy-poll-us=N` become
// the target's flags (`--delegate LIB`, ...; see kTargetFlags); every other
// K=V becomes `--runtime-option K=V` (the target checks them and names the unknown ones). Threads
// come from CompileOptions (the command's --threads), never from the spec.
//
// The interpreter: $EDGEBENCH_PYTHON if set, else <repo>/.venv/bin/python, else python3 on PATH.
// <repo> is found from this executable's location, walking up until python/edgebench/__init__.py
// exists (the compile-time EDGEBENCH_SOURCE_DIR as a fallback); <repo>/python goes on PYTHONPATH.
// The child's stdout and stderr go to unlinked temporary files: the start line is read from the
// first, and the second is the error message when the target exits before it listens (a missing
// package, an unknown option, a delegate that does not load). EDGEBENCH_RUNTIME_START_TIMEOUT_S
// (default 90: TVM and OpenVINO import slowly) bounds the wait for the start line.
//
// The child dies with the host: PR_SET_PDEATHSIG, set in the child before exec, sends it SIGTERM
// when the host dies; otherwise it is stopped (SIGTERM, SIGKILL after a grace period, waitpid)
// once the backend and every executable it compiled are gone.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "edgebench/core/host.h"
#include "edgebench/remote/protocol.h"
#include "remote_backend.h"

extern char** environ;

namespace edgebench::backends {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kStartLine = "edgebench.target listening on ";
constexpr int kDefaultStartTimeoutS = 90;
constexpr auto kStopGrace = std::chrono::seconds(3);
constexpr std::size_t kMaxMessageBytes = 8192;

bool is_executable(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

Result<fs::path> find_python(const fs::path& repo, std::string_view runtime) {
  if (const char* env = std::getenv("EDGEBENCH_PYTHON"); env && *env) {
    if (!is_executable(env)) {
      return not_found(
          fmt::format("runtime '{}': EDGEBENCH_PYTHON names '{}', which is not an executable file",
                      runtime, env));
    }
    return fs::path(env);
  }
  if (!repo.empty() && is_executable(repo / ".venv" / "bin" / "python")) {
    return repo / ".venv" / "bin" / "python";
  }
  if (const char* path = std::getenv("PATH"); path && *path) {
    std::string_view rest = path;
    while (!rest.empty()) {
      const std::size_t colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      if (!dir.empty() && is_executable(fs::path(dir) / "python3")) {
        return fs::path(dir) / "python3";
      }
      if (colon == std::string_view::npos) break;
      rest = rest.substr(colon + 1);
    }
  }
  return not_found(fmt::format(
      "runtime '{}' needs Python: no EDGEBENCH_PYTHON, no {} and no python3 on PATH; create the "
      "environment with `bash scripts/setup.sh` (or point EDGEBENCH_PYTHON at an interpreter "
      "that has the runtime's package)",
      runtime,
      repo.empty() ? std::string(".venv/bin/python") : (repo / ".venv/bin/python").string()));
}

// An unlinked temporary file the child writes to; read back from the start.
Result<int> make_capture_file() {
  char name[] = "/tmp/edgebench-target-XXXXXX";
  const int fd = ::mkostemp(name, O_CLOEXEC);
  if (fd < 0) {
    return io_error(
        fmt::format("cannot create a temporary file in /tmp: {}", std::strerror(errno)));
  }
  ::unlink(name);
  return fd;
}

std::string read_capture(int fd, std::size_t max_bytes) {
  std::string text;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
    if (text.size() > 4 * max_bytes) text.erase(0, text.size() - 2 * max_bytes);
  }
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The Python target as a child process. Not copyable; stops the child when destroyed.
class ChildTarget {
 public:
  ChildTarget(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}
  ChildTarget(const ChildTarget&) = delete;
  ChildTarget& operator=(const ChildTarget&) = delete;
  ~ChildTarget() {
    stop();
    ::close(out_fd_);
    ::close(err_fd_);
  }

  pid_t pid() const { return pid_; }

  // Whether the child has exited (reaped here); `status` gets its wait status.
  bool exited(int* status = nullptr) {
    if (reaped_) {
      if (status) *status = wait_status_;
      return true;
    }
    const pid_t r = ::waitpid(pid_, &wait_status_, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) reaped_ = true;
    if (reaped_ && status) *status = wait_status_;
    return reaped_;
  }

  std::string stdout_text() const { return read_capture(out_fd_, 1 << 16); }
  std::string stderr_text() const { return trimmed(read_capture(err_fd_, kMaxMessageBytes)); }

  void stop() {
    if (exited()) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + kStopGrace;
    while (Clock::now() < deadline) {
      if (exited()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    while (!reaped_) {
      if (::waitpid(pid_, &wait_status_, 0) == pid_ || errno == ECHILD) reaped_ = true;
    }
  }

 private:
  pid_t pid_;
  int out_fd_;
  int err_fd_;
  bool reaped_ = false;
  int wait_status_ = 0;
};

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return "stopped";
}

struct RuntimeSpec {
  std::string runtime;
  // Options of the target itself (delegate, cpu, busy-poll-us) as its flags, then the runtime's
  // (--runtime-option K=V), each in the spec's order.
  std::vector<std::pair<std::string, std::string>> target_flags;
  std::vector<std::pair<std::string, std::string>> options;
};

// Spec keys that are flags of the target rather than options of its runtime.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kTargetFlags = {{
    {"delegate", "--delegate"},          // a TFLite delegate library (and its options)
    {"cpu", "--cpu"},                    // cores the target pins itself to
    {"busy-poll-us", "--busy-poll-us"},  // keeps its core awake between queries
}};

Result<RuntimeSpec> parse_runtime_spec(std::string_view spec) {
  RuntimeSpec out;
  const std::size_t q = spec.find('?');
  out.runtime = std::string(spec.substr(0, q));
  const auto& names = runtime_names();
  if (std::find(names.begin(), names.end(), out.runtime) == names.end()) {
    return invalid_argument(fmt::format("backend '{}': unknown runtime '{}' (runtimes: {})", spec,
                                        out.runtime, fmt::join(names, ", ")));
  }
  if (q == std::string_view::npos) return out;
  std::string_view rest = spec.substr(q + 1);
  while (true) {
    const std::size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      return invalid_argument(
          fmt::format("backend '{}': option '{}' is not KEY=VALUE (write {}?K=V&K=V)", spec, item,
                      out.runtime));
    }
    const std::string key(item.substr(0, eq)), value(item.substr(eq + 1));
    if (key == "threads") {
      return invalid_argument(fmt::format(
          "backend '{}': threads come from the command's --threads, not from the backend", spec));
    }
    const auto flag = std::find_if(kTargetFlags.begin(), kTargetFlags.end(),
                                   [&](const auto& kf) { return kf.first == key; });
    auto& list = flag != kTargetFlags.end() ? out.target_flags : out.options;
    const std::string stored = flag != kTargetFlags.end() ? std::string(flag->second) : key;
    const bool seen =
        std::any_of(list.begin(), list.end(), [&](const auto& kv) { return kv.first == stored; });
    if (seen)
      return invalid_argument(fmt::format("backend '{}': option '{}' given twice", spec, key));
    list.emplace_back(stored, value);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

// Forks and execs the Python target; returns once it listens, with the address it listens on.
Result<std::pair<std::shared_ptr<ChildTarget>, std::string>> start_target(const RuntimeSpec& rs,
                                                                          std::string_view spec) {
  const fs::path repo = python_package_root();
  EB_ASSIGN_OR_RETURN(fs::path python, find_python(repo, rs.runtime));

  // Everything the child needs is built before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> args = {python.string(), "-m",        "edgebench.target", "--listen",
                                   "127.0.0.1:0",   "--runtime", rs.runtime};
  for (const auto& [key, value] : rs.options) {
    args.push_back("--runtime-option");
    args.push_back(key + "=" + value);
  }
  for (const auto& [flag, value] : rs.target_flags) {
    args.push_back(flag);
    args.push_back(value);
  }
  std::vector<std::string> env;
  std::string pythonpath = repo.empty() ? "" : (repo / "python").string();
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry = *e;
    if (entry.starts_with("PYTHONPATH=")) {
      const std::string_view old = entry.substr(11);
      if (!old.empty())
        pythonpath = pythonpath.empty() ? std::string(old) : pythonpath + ":" + std::string(old);
    } else if (!entry.starts_with("PYTHONUNBUFFERED=")) {
      env.emplace_back(entry);
    }
  }
  if (!pythonpath.empty()) env.push_back("PYTHONPATH=" + pythonpath);
  env.push_back("PYTHONUNBUFFERED=1");
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  EB_ASSIGN_OR_RETURN(int out_fd, make_capture_file());
  auto err_fd = make_capture_file();
  if (!err_fd.is_ok()) {
    ::close(out_fd);
    return err_fd.status();
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(out_fd);
    ::close(*err_fd);
    if (null_fd >= 0) ::close(null_fd);
    return io_error(fmt::format("runtime '{}': cannot start the Python target: {}", rs.runtime,
                                std::strerror(error)));
  }
  if (pid == 0) {
    // The child: die with the host, never outlive it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(*err_fd, STDERR_FILENO);
    ::syscall(SYS_close_range, 3u, ~0u, 0u);  // no host sockets or files leak into the target
    ::execve(argv[0], argv.data(), envp.data());
    const char* why = std::strerror(errno);
    const char prefix[] = "cannot execute the Python interpreter: ";
    (void)!::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!::write(STDERR_FILENO, why, std::strlen(why));
    ::_exit(127);
  }
  if (null_fd >= 0) ::close(null_fd);
  auto child = std::make_shared<ChildTarget>(pid, out_fd, *err_fd);

  int timeout_s = kDefaultStartTimeoutS;
  if (const char* env_timeout = std::getenv("EDGEBENCH_RUNTIME_START_TIMEOUT_S");
      env_timeout && *env_timeout) {
    timeout_s = std::clamp(std::atoi(env_timeout), 1, 3600);
  }
  const std::string command = fmt::format("{}", fmt::join(args, " "));
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    const std::string out = child->stdout_text();
    if (const std::size_t at = out.find(kStartLine); at != std::string::npos) {
      const std::size_t end = out.find('\n', at);
      if (end != std::string::npos) {
        const std::string address =
            out.substr(at + kStartLine.size(), end - at - kStartLine.size());
        auto parsed = remote::parse_host_port(address, /*allow_port_zero=*/false);
        if (!parsed.is_ok()) {
          return data_loss(fmt::format("backend '{}': the Python target announced '{}': {}", spec,
                                       address, parsed.status().message()));
        }
        return std::pair(child, address);
      }
    }
    int status = 0;
    if (child->exited(&status)) {
      std::string message = child->stderr_text();
      if (message.empty()) message = trimmed(child->stdout_text());
      if (message.empty()) message = "(no message)";
      return invalid_argument(fmt::format(
          "backend '{}': the Python target for runtime '{}' {} before it listened\n  command: "
          "{}\n{}",
          spec, rs.runtime, describe_exit(status), command, message));
    }
    if (Clock::now() >= deadline) {
      std::string message = child->stderr_text();
      child->stop();
      return io_error(
          fmt::format("backend '{}': the Python target for runtime '{}' did not listen within {} s "
                      "(EDGEBENCH_RUNTIME_START_TIMEOUT_S)\n  command: {}{}{}",
                      spec, rs.runtime, timeout_s, command, message.empty() ? "" : "\n", message));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// An executable compiled by the target keeps the child alive as long as it is in use.
class RuntimeExecutable final : public Executable {
 public:
  RuntimeExecutable(std::unique_ptr<Executable> inner, std::shared_ptr<ChildTarget> child)
      : inner_(std::move(inner)), child_(std::move(child)) {}
  ~RuntimeExecutable() override { inner_.reset(); }  // close the session before the child goes

  const std::vector<TensorSpec>& inputs() const override { return inner_->inputs(); }
  const std::vector<TensorSpec>& outputs() const override { return inner_->outputs(); }
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    return inner_->run(inputs, outputs);
  }
  const RunInfo* last_run_info() const override { return inner_->last_run_info(); }
  std::uint64_t arena_bytes() const override { return inner_->arena_bytes(); }
  const nlohmann::json* target_info() const override { return inner_->target_info(); }

 private:
  std::unique_ptr<Executable> inner_;
  std::shared_ptr<ChildTarget> child_;
};

class RuntimeBackend final : public Backend {
 public:
  RuntimeBackend(std::string spec, RuntimeSpec parsed)
      : spec_(std::move(spec)), parsed_(std::move(parsed)) {}

  std::string name() const override { return spec_; }

  Capabilities capabilities() const override {
    return {spec_,
            fmt::format("{} through the Python target (python -m edgebench.target), on loopback",
                        parsed_.runtime),
            {DType::kFloat32, DType::kFloat16, DType::kInt8, DType::kUInt8, DType::kInt32,
             DType::kInt64, DType::kBool},
            256,
            "host"};
  }

  // Which nodes the runtime runs is only known once it compiles the model.
  std::vector<NodeSupport> support(const ir::Graph& graph) const override {
    std::vector<NodeSupport> out;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      out.push_back({i, true, parsed_.runtime, ""});
    }
    return out;
  }

  Result<std::unique_ptr<Executable>> compile(const ir::Graph& graph,
                                              const CompileOptions& options) const override {
    std::shared_ptr<ChildTarget> child;
    std::shared_ptr<Backend> remote;
    {
      std::lock_guard lock(mutex_);
      if (child_ && child_->exited()) {
        remote_.reset();
        child_.reset();
      }
      // A target serves one session at a time: while an executable of this backend holds the
      // cached child, another executable gets a child of its own.
      const bool in_use = child_ && child_.use_count() > 1;
      if (!child_ || in_use) {
        EB_ASSIGN_OR_RETURN(auto started, start_target(parsed_, spec_));
        EB_ASSIGN_OR_RETURN(std::unique_ptr<Backend> made,
                            make_remote_backend("tcp://" + started.second));
        child = std::move(started.first);
        remote = std::move(made);
        if (!in_use) {
          child_ = child;
          remote_ = remote;
        }
      } else {
        child = child_;
        remote = remote_;
      }
    }
    auto exe = remote->compile(graph, options);
    if (!exe.is_ok()) {
      // A target that died on the way says why on its stderr.
      int status = 0;
      if (child->exited(&status)) {
        return exe.status().with_context(fmt::format("backend '{}': the Python target {}: {}",
                                                     spec_, describe_exit(status),
                                                     child->stderr_text()));
      }
      return exe.status().with_context(fmt::format("backend '{}'", spec_));
    }
    return std::unique_ptr<Executable>(
        std::make_unique<RuntimeExecutable>(std::move(exe).value(), std::move(child)));
  }

 private:
  std::string spec_;
  RuntimeSpec parsed_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<ChildTarget> child_;
  mutable std::shared_ptr<Backend> remote_;
};

}  // namespace

const std::vector<std::string>& runtime_names() {
  static const std::vector<std::string> names = {"onnxruntime", "tflite", "openvino", "tvm"};
  return names;
}

bool is_runtime_spec(std::string_view spec) {
  const std::string_view name = spec.substr(0, spec.find('?'));
  const auto& names = runtime_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

Result<std::unique_ptr<Backend>> make_runtime_backend(std::string_view spec) {
  EB_ASSIGN_OR_RETURN(RuntimeSpec parsed, parse_runtime_spec(spec));
  return std::unique_ptr<Backend>(
      std::make_unique<RuntimeBackend>(std::string(spec), std::move(parsed)));
}

}  // namespace edgebench::backends
