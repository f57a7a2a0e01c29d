#include "edgebench/measure/resources.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>
#include <system_error>

#include "proc_files.h"

namespace edgebench::measure {

namespace {

double timeval_seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

constexpr std::string_view kRaplPrefix = "intel-rapl:";

// "intel-rapl:0:1" -> {0, 1}; nullopt for anything else (the control type "intel-rapl",
// "intel-rapl-mmio:0", which mirrors a package zone and would count it twice, ...).
std::optional<std::vector<std::uint64_t>> parse_zone_id(std::string_view id) {
  if (id.substr(0, kRaplPrefix.size()) != kRaplPrefix) return std::nullopt;
  std::string_view rest = id.substr(kRaplPrefix.size());
  std::vector<std::uint64_t> numbers;
  while (true) {
    const std::size_t colon = rest.find(':');
    const auto number = parse_u64(rest.substr(0, colon));
    if (!number || rest.substr(0, colon) != trim(rest.substr(0, colon))) return std::nullopt;
    numbers.push_back(*number);
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  return numbers;
}

}  // namespace

std::uint64_t peak_rss_bytes() {
  if (const auto status = read_small_file("/proc/self/status")) {
    const std::string_view text = *status;
    const std::size_t at = text.find("VmHWM:");
    if (at != std::string_view::npos) {
      std::string_view line = text.substr(at + 6);
      line = line.substr(0, line.find('\n'));
      line = trim(line);
      const std::size_t unit = line.find(' ');
      if (unit != std::string_view::npos && trim(line.substr(unit)) == "kB") {
        if (const auto kb = parse_u64(line.substr(0, unit))) return *kb * 1024;
      }
    }
  }
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0 && usage.ru_maxrss > 0) {
    return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // kilobytes on Linux
  }
  return 0;
}

CpuTimes process_cpu_times() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return {};
  return {timeval_seconds(usage.ru_utime), timeval_seconds(usage.ru_stime)};
}

results::CpuTime cpu_time_between(const CpuTimes& before, const CpuTimes& after) {
  results::CpuTime cpu;
  cpu.user_s = std::max(0.0, after.user_s - before.user_s);
  cpu.system_s = std::max(0.0, after.system_s - before.system_s);
  return cpu;
}

PowercapReader::PowercapReader(std::filesystem::path root)
    : root_(std::move(root)), source_("powercap:" + root_.string()) {
  namespace fs = std::filesystem;
  // Sub-zones appear both inside their package's folder and (as links) at the root on real
  // systems; the id keys the union. The key orders ids numerically (0, 0:0, 0:1, 1, 10, ...).
  std::map<std::vector<std::uint64_t>, fs::path> found;
  const auto scan = [&found](const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string id = it->path().filename().string();
      if (auto key = parse_zone_id(id)) found.emplace(std::move(*key), it->path());
    }
  };
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) {
    unavailable_reason_ = "no powercap folder at " + root_.string();
    return;
  }
  scan(root_);
  std::vector<fs::path> top_level;
  for (const auto& [key, path] : found) {
    if (key.size() == 1) top_level.push_back(path);
  }
  for (const fs::path& path : top_level) scan(path);

  bool any_unreadable = false;
  for (const auto& [key, path] : found) {
    Zone zone;
    zone.id = path.filename().string();
    if (key.size() > 1) {
      zone.parent = std::string(kRaplPrefix) + std::to_string(key[0]);
      for (std::size_t i = 1; i + 1 < key.size(); ++i) zone.parent += ":" + std::to_string(key[i]);
    }
    zone.energy_path = path / "energy_uj";
    if (!read_u64_file(zone.energy_path)) {
      any_unreadable = true;
      continue;
    }
    const auto name = read_small_file(path / "name");
    zone.name = name ? std::string(trim(*name)) : zone.id;
    zone.max_energy_range_uj = read_u64_file(path / "max_energy_range_uj").value_or(0);
    if (zone.parent.empty()) available_ = true;
    zones_.push_back(std::move(zone));
  }
  if (!available_) {
    unavailable_reason_ = found.empty() ? "no intel-rapl zones under " + root_.string()
                          : any_unreadable
                              ? "the energy counters under " + root_.string() +
                                    " cannot be read (they are often readable by root only)"
                              : "no top-level intel-rapl zone under " + root_.string();
  }
}

PowercapReader::Snapshot PowercapReader::read() const {
  Snapshot snapshot;
  snapshot.energy_uj.reserve(zones_.size());
  for (const Zone& zone : zones_) snapshot.energy_uj.push_back(read_u64_file(zone.energy_path));
  return snapshot;
}

results::Energy PowercapReader::energy_between(const Snapshot& before,
                                               const Snapshot& after) const {
  results::Energy energy;
  energy.source = source_;
  if (before.energy_uj.size() != zones_.size() || after.energy_uj.size() != zones_.size()) {
    return energy;
  }
  std::map<std::string, std::string> name_by_id;
  for (const Zone& zone : zones_) name_by_id[zone.id] = zone.name;

  double top_level_joules = 0, psys_joules = 0;
  bool any_top_level = false, any_psys = false;
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    const Zone& zone = zones_[i];
    const auto& b = before.energy_uj[i];
    const auto& a = after.energy_uj[i];
    if (!b || !a) continue;
    std::uint64_t delta_uj = 0;
    if (*a >= *b) {
      delta_uj = *a - *b;
    } else if (zone.max_energy_range_uj >= *b) {
      delta_uj = (zone.max_energy_range_uj - *b) + *a;  // wrapped once past the range
    } else {
      continue;  // went backwards with no known range: no trustworthy figure
    }
    const double joules = static_cast<double>(delta_uj) * 1e-6;
    results::EnergyDomain domain;
    domain.name = zone.parent.empty() ? zone.name : name_by_id[zone.parent] + "/" + zone.name;
    domain.joules = joules;
    energy.domains.push_back(std::move(domain));
    if (!zone.parent.empty()) continue;
    if (zone.name == "psys") {
      any_psys = true;
      psys_joules += joules;
    } else {
      any_top_level = true;
      top_level_joules += joules;
    }
  }
  if (any_top_level) {
    energy.available = true;
    energy.joules = top_level_joules;
  } else if (any_psys) {
    energy.available = true;
    energy.joules = psys_joules;
  }
  return energy;
}

void ResourceMeter::start() {
  if (powercap_ != nullptr && powercap_->available()) energy_start_ = powercap_->read();
  cpu_start_ = process_cpu_times();
}

ResourceUsage ResourceMeter::stop() const {
  ResourceUsage usage;
  usage.cpu = cpu_time_between(cpu_start_, process_cpu_times());
  if (powercap_ != nullptr) {
    usage.energy.source = powercap_->source();
    if (powercap_->available()) {
      usage.energy = powercap_->energy_between(energy_start_, powercap_->read());
    }
  }
  usage.peak_rss_bytes = peak_rss_bytes();
  return usage;
}

ResourceUsage sum_usage(const ResourceUsage& a, const ResourceUsage& b) {
  ResourceUsage sum;
  sum.cpu.user_s = a.cpu.user_s + b.cpu.user_s;
  sum.cpu.system_s = a.cpu.system_s + b.cpu.system_s;
  sum.peak_rss_bytes = std::max(a.peak_rss_bytes, b.peak_rss_bytes);
  if (a.energy.available && b.energy.available) {
    sum.energy = a.energy;
    sum.energy.joules += b.energy.joules;
    for (results::EnergyDomain& domain : sum.energy.domains) {
      for (const results::EnergyDomain& other : b.energy.domains) {
        if (other.name == domain.name) domain.joules += other.joules;
      }
    }
  } else {
    sum.energy.available = false;
  }
  return sum;
}

}  // namespace edgebench::measure
