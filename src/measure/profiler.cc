#include "edgebench/measure/profiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "edgebench/measure/scenario.h"

namespace edgebench::measure {

void OpProfiler::before_node(std::size_t) { started_ = Clock::now(); }

void OpProfiler::after_node(std::size_t node_index) {
  const Clock::time_point now = Clock::now();
  if (node_index >= total_.size()) return;
  total_[node_index] += (now - started_).count();
  ++calls_[node_index];
}

void OpProfiler::reset() {
  std::fill(total_.begin(), total_.end(), 0);
  std::fill(calls_.begin(), calls_.end(), 0);
  runs_ = 0;
}

results::OpProfile OpProfiler::profile(
    const std::vector<std::pair<std::string, std::string>>& node_names) const {
  results::OpProfile out;
  out.runs = runs_;
  double all_ms = 0;
  for (std::size_t i = 0; i < total_.size(); ++i) {
    if (calls_[i] == 0) continue;
    results::OpProfileEntry entry;
    if (i < node_names.size()) {
      entry.name = node_names[i].first;
      entry.op_type = node_names[i].second;
    }
    if (entry.name.empty()) entry.name = fmt::format("node {}", i);
    entry.calls = calls_[i];
    entry.total_ms = std::chrono::duration<double, std::milli>(Clock::duration(total_[i])).count();
    all_ms += entry.total_ms;
    out.by_node.push_back(std::move(entry));
  }
  std::map<std::string, results::OpProfileEntry> by_type;
  for (results::OpProfileEntry& entry : out.by_node) {
    entry.share = all_ms > 0 ? entry.total_ms / all_ms : 0;
    results::OpProfileEntry& type = by_type[entry.op_type];
    type.name = entry.op_type;
    type.op_type = entry.op_type;
    type.calls += entry.calls;
    type.total_ms += entry.total_ms;
  }
  for (auto& [name, entry] : by_type) {
    entry.share = all_ms > 0 ? entry.total_ms / all_ms : 0;
    out.by_op_type.push_back(std::move(entry));
  }
  std::stable_sort(out.by_op_type.begin(), out.by_op_type.end(),
                   [](const auto& a, const auto& b) { return a.total_ms > b.total_ms; });
  return out;
}

namespace {

// Detaches the observer however the pass ends.
class ObserverGuard {
 public:
  explicit ObserverGuard(backends::Executable& executable) : executable_(executable) {}
  ~ObserverGuard() { executable_.set_node_observer(nullptr); }
  ObserverGuard(const ObserverGuard&) = delete;
  ObserverGuard& operator=(const ObserverGuard&) = delete;

 private:
  backends::Executable& executable_;
};

}  // namespace

Result<results::OpProfile> profile_ops(backends::Executable& executable,
                                       std::span<const std::vector<Tensor>> samples,
                                       const ProfileOptions& options) {
  if (samples.empty()) return invalid_argument("no samples to profile with");
  if (!executable.set_node_observer(nullptr)) {
    return unsupported("this backend does not report per-node timings (no profiling hooks)");
  }
  const auto names = executable.node_names();
  OpProfiler profiler(names.size());
  std::vector<Tensor> outputs = preallocate_outputs(executable);
  std::size_t next = 0;
  const auto run_once = [&]() {
    const std::vector<Tensor>& sample = samples[next];
    next = next + 1 == samples.size() ? 0 : next + 1;
    return executable.run(sample, outputs);
  };
  for (std::uint64_t i = 0; i < options.warmup_runs; ++i) {
    Status status = run_once();
    if (!status.is_ok()) return status.with_context(fmt::format("profiling warm-up run {}", i));
  }
  executable.set_node_observer(&profiler);
  ObserverGuard guard(executable);
  for (std::uint64_t i = 0; i < options.runs; ++i) {
    Status status = run_once();
    if (!status.is_ok()) return status.with_context(fmt::format("profiling run {}", i));
    profiler.count_run();
  }
  return profiler.profile(names);
}

}  // namespace edgebench::measure
