// Per-op profiling: time per node and per op type, from the engine's per-node hooks.
//
// Profiling adds two clock reads per node, so it runs as its own pass, never during the
// headline measurement (profile_ops does that pass).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "edgebench/backends/backend.h"
#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/engine/plan.h"
#include "edgebench/results/result.h"

namespace edgebench::measure {

// Accumulates steady_clock time per node index between before_node and after_node. Storage is
// sized at construction; the hooks never allocate. Indices past node_count are ignored. Used by
// one thread at a time (the one running the plan).
class OpProfiler final : public engine::Plan::NodeObserver {
 public:
  explicit OpProfiler(std::size_t node_count) : total_(node_count, 0), calls_(node_count, 0) {}

  void before_node(std::size_t node_index) override;
  void after_node(std::size_t node_index) override;

  // The caller counts whole runs of the graph (for OpProfile::runs).
  void count_run() { ++runs_; }
  void reset();

  // By node (execution order, nodes that ran at least once) and by op type (largest total
  // first); total_ms sums every run; shares are of the total over all nodes. `node_names` are
  // Executable::node_names() ((node name, op type) per index); nodes without one are named
  // "node <index>".
  results::OpProfile profile(
      const std::vector<std::pair<std::string, std::string>>& node_names) const;

 private:
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::rep> total_;
  std::vector<std::uint64_t> calls_;
  Clock::time_point started_{};
  std::uint64_t runs_ = 0;
};

struct ProfileOptions {
  std::uint64_t warmup_runs = 2;  // not profiled
  std::uint64_t runs = 20;
};

// The profiling pass: attaches an OpProfiler to the executable, runs the samples round-robin
// (`runs` times after `warmup_runs`), detaches it and returns the profile. kUnsupported when the
// executable has no per-node hooks; kInvalidArgument without samples; the run's status (with
// "profiling run N" as context) when a run fails.
Result<results::OpProfile> profile_ops(backends::Executable& executable,
                                       std::span<const std::vector<Tensor>> samples,
                                       const ProfileOptions& options = {});

}  // namespace edgebench::measure
