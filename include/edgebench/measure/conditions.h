// The conditions a measurement ran under, and whether they make it noisy: which CPUs it could
// run on, their frequency governor and clock, what else ran on them (other processes, the
// hypervisor's steal time), the load average, and the round-to-round spread of repeated runs.
//
// Readings come from Linux's /proc and /sys under a root directory (a fake tree in tests).
// What cannot be read is left absent, never guessed. Not thread-safe; take readings outside
// timed regions (each reads a few small files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/results/result.h"

namespace edgebench::measure {

// "0", "0,2", "1-3", "0,2-3": CPU numbers, sorted, without repeats. kInvalidArgument naming the
// bad part for anything else (empty items, reversed ranges, numbers past 4095).
Result<std::vector<int>> parse_cpu_list(std::string_view text);
// The inverse, with ranges folded: {0, 1, 2, 5} -> "0-2,5".
std::string format_cpu_list(std::span<const int> cpus);

// Restricts the calling thread, and every thread it creates afterwards, to `cpus`. Call it
// before the backend starts its worker threads. kInvalidArgument naming the CPUs when the
// kernel refuses (a CPU that does not exist or is not allowed to this process).
Status pin_to_cpus(std::span<const int> cpus);
// The CPUs the calling thread may run on (sched_getaffinity); empty when it cannot be read.
std::vector<int> allowed_cpus();

// Per-CPU time counters from /proc/stat, in clock ticks (USER_HZ).
struct CpuTicks {
  std::uint64_t busy = 0;   // user + nice + system + irq + softirq
  std::uint64_t idle = 0;   // idle + iowait
  std::uint64_t steal = 0;  // taken by the hypervisor for other guests
};

// Thresholds of the noise verdict.
struct NoiseThresholds {
  double spread_pct = 5.0;       // round-to-round p50 spread, (max - min) / median
  double other_load_pct = 10.0;  // other processes' CPU time on the run's CPUs, % of wall time
  double steal_pct = 5.0;        // steal time of the run's CPUs, % of their time
};

// Fills a Conditions record: `start` before the measured phase, `stop` after it. Readings are
// taken from `root` ("/" on a real machine).
class ConditionsMeter {
 public:
  explicit ConditionsMeter(std::filesystem::path root = "/") : root_(std::move(root)) {}

  // `cpus`: the CPUs the run may use (allowed_cpus(), or the --cpu list); `pinned`: whether the
  // user chose them.
  void start(std::vector<int> cpus, bool pinned);
  // Conditions over the interval since start(). `own_cpu_s` is the CPU time this process used
  // in that interval (user + system); it and the time of this process's live children (a
  // runtime target serving the backend) are subtracted from the CPUs' busy time to leave what
  // other processes used. The noise verdict is not made here: see judge_noise.
  results::Conditions stop(double own_cpu_s) const;

  // Readers, public for tests: per-CPU counters (nullopt where /proc/stat cannot be read or
  // lacks the CPU), the 1-minute load average, a CPU's governor and current clock.
  std::optional<std::vector<CpuTicks>> read_ticks(std::span<const int> cpus) const;
  std::optional<double> read_loadavg() const;
  std::string read_governor(int cpu) const;
  std::optional<double> read_cpu_mhz(int cpu) const;
  // CPU time (user + system, in clock ticks) of the live children of process `parent`, from
  // /proc/PID/stat.
  std::uint64_t read_children_ticks(int parent) const;

 private:
  std::filesystem::path root_;
  std::vector<int> cpus_;
  bool pinned_ = false;
  std::optional<std::vector<CpuTicks>> ticks_start_;
  std::uint64_t children_ticks_start_ = 0;
  std::optional<double> loadavg_start_;
  std::uint64_t start_ns_ = 0;
};

// p50 of each round -> (max - min) / median * 100; nullopt with fewer than two rounds or a
// non-positive median.
std::optional<double> round_spread_pct(std::span<const double> round_p50_ms);

// Sets conditions.noisy and conditions.noise_reasons from the spread, other load and steal time
// against the thresholds (each reason names the figure and its threshold).
void judge_noise(results::Conditions& conditions, const NoiseThresholds& thresholds);

}  // namespace edgebench::measure
