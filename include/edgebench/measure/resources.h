// Resource use of the measured phase: peak resident memory, CPU time and, where the host exposes
// them, energy counters (Linux powercap / Intel RAPL).
//
// None of these functions allocate or log once constructed objects exist, except
// PowercapReader::read (one small vector per snapshot); take snapshots outside timed regions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/results/result.h"

namespace edgebench::measure {

// Peak resident set size of this process so far: VmHWM from /proc/self/status, else getrusage's
// ru_maxrss. 0 when neither can be read.
std::uint64_t peak_rss_bytes();

// CPU time this process (all its threads) has used so far, from getrusage(RUSAGE_SELF).
struct CpuTimes {
  double user_s = 0;
  double system_s = 0;
};
CpuTimes process_cpu_times();
results::CpuTime cpu_time_between(const CpuTimes& before, const CpuTimes& after);

// Reads the energy counters of Linux's powercap framework (Intel RAPL zones, also exposed on
// recent AMD CPUs under the same name):
//   <root>/intel-rapl:N/{name,energy_uj,max_energy_range_uj}          top-level zones
//   <root>/intel-rapl:N/intel-rapl:N:M/...  (or <root>/intel-rapl:N:M)  sub-zones (core, dram...)
// Zones whose counter cannot be read (missing, or root-only as on kernels since 5.10) are left
// out; when no top-level zone is readable the reader is unavailable and every Energy it reports
// has available = false (energy is then absent from results, never zero). Counters wrap at
// max_energy_range_uj; one wrap between two snapshots is corrected. Not thread-safe.
class PowercapReader {
 public:
  static constexpr const char* kDefaultRoot = "/sys/class/powercap";

  struct Zone {
    std::string id;      // "intel-rapl:0", "intel-rapl:0:1"
    std::string name;    // the zone's `name`: "package-0", "core", "dram", "psys", ...
    std::string parent;  // id of the enclosing zone; empty for a top-level zone
    std::filesystem::path energy_path;
    std::uint64_t max_energy_range_uj = 0;  // 0: unknown (a wrap cannot be corrected)
  };

  // Counter values in microjoules, one per zone (zones() order); nullopt where a read failed.
  struct Snapshot {
    std::vector<std::optional<std::uint64_t>> energy_uj;
  };

  explicit PowercapReader(std::filesystem::path root = kDefaultRoot);

  // True when at least one top-level zone's counter was readable.
  bool available() const { return available_; }
  // Why no energy can be measured (empty when available()).
  const std::string& unavailable_reason() const { return unavailable_reason_; }
  // "powercap:<root>"
  const std::string& source() const { return source_; }
  // Readable zones, top-level zones before their sub-zones, in numeric order.
  const std::vector<Zone>& zones() const { return zones_; }

  Snapshot read() const;

  // Energy used between two snapshots. `joules` sums the top-level zones, except that a
  // "psys" (platform) zone, which contains the packages, is only counted when it is the only
  // top-level zone. Sub-zones appear as domains named "<parent name>/<name>".
  results::Energy energy_between(const Snapshot& before, const Snapshot& after) const;

 private:
  std::filesystem::path root_;
  std::string source_;
  std::vector<Zone> zones_;
  bool available_ = false;
  std::string unavailable_reason_;
};

// CPU time, energy and peak memory around one phase (for example a scenario's measured phase).
struct ResourceUsage {
  results::CpuTime cpu;
  results::Energy energy;  // available = false without a usable PowercapReader
  std::uint64_t peak_rss_bytes = 0;
};

// Two phases' use together: CPU times and energy added (energy only when both have it; domains
// matched by name), the larger peak RSS.
ResourceUsage sum_usage(const ResourceUsage& a, const ResourceUsage& b);

class ResourceMeter {
 public:
  // `powercap` may be null (no energy); it must outlive the meter.
  explicit ResourceMeter(const PowercapReader* powercap = nullptr) : powercap_(powercap) {}

  void start();
  ResourceUsage stop() const;

 private:
  const PowercapReader* powercap_;
  CpuTimes cpu_start_;
  PowercapReader::Snapshot energy_start_;
};

}  // namespace edgebench::measure
