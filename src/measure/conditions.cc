// Run conditions and the noise verdict. See conditions.h.
#include "edgebench/measure/conditions.h"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <sstream>

#include "proc_files.h"

namespace edgebench::measure {

namespace {

constexpr int kMaxCpu = 4095;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::optional<int> parse_cpu(std::string_view text) {
  int value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0 || value > kMaxCpu) {
    return std::nullopt;
  }
  return value;
}

double ticks_per_s() {
  static const double rate = [] {
    const long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? static_cast<double>(hz) : 100.0;
  }();
  return rate;
}

}  // namespace

Result<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  const auto bad = [&](std::string_view item, std::string_view why) {
    return invalid_argument(
        fmt::format("--cpu '{}': '{}' {} (expected a list such as 0, 0,2 "
                    "or 1-3 of CPU numbers 0..{})",
                    text, item, why, kMaxCpu));
  };
  if (text.empty()) return bad(text, "is empty");
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    const std::string_view item = text.substr(begin, comma - begin);
    if (item.empty()) return bad(item, "is an empty item");
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      const auto cpu = parse_cpu(item);
      if (!cpu) return bad(item, "is not a CPU number");
      cpus.push_back(*cpu);
    } else {
      const auto first = parse_cpu(item.substr(0, dash));
      const auto last = parse_cpu(item.substr(dash + 1));
      if (!first || !last) return bad(item, "is not a range of CPU numbers");
      if (*first > *last) return bad(item, "is a reversed range");
      for (int cpu = *first; cpu <= *last; ++cpu) cpus.push_back(cpu);
    }
    begin = comma + 1;
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(std::span<const int> cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

Status pin_to_cpus(std::span<const int> cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    const std::vector<int> allowed = allowed_cpus();
    return invalid_argument(
        fmt::format("--cpu {}: the kernel refused to pin to these CPUs "
                    "(this process may use {})",
                    format_cpu_list(cpus), allowed.empty() ? "?" : format_cpu_list(allowed)));
  }
  return Status::ok();
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

std::optional<std::vector<CpuTicks>> ConditionsMeter::read_ticks(std::span<const int> cpus) const {
  const auto stat = read_small_file(root_ / "proc/stat");
  if (!stat) return std::nullopt;
  std::vector<std::optional<CpuTicks>> found(cpus.size());
  std::istringstream lines(*stat);
  std::string line;
  while (std::getline(lines, line)) {
    // "cpuN user nice system idle iowait irq softirq steal guest guest_nice"
    if (line.size() < 4 || line.compare(0, 3, "cpu") != 0 || line[3] == ' ') continue;
    std::istringstream fields(line.substr(3));
    int cpu = -1;
    std::uint64_t v[8] = {};
    if (!(fields >> cpu)) continue;
    int read = 0;
    while (read < 8 && fields >> v[read]) ++read;
    if (read < 4) continue;  // older kernels stop after idle or iowait; steal is then 0
    const auto it = std::find(cpus.begin(), cpus.end(), cpu);
    if (it == cpus.end()) continue;
    found[static_cast<std::size_t>(it - cpus.begin())] =
        CpuTicks{.busy = v[0] + v[1] + v[2] + v[5] + v[6], .idle = v[3] + v[4], .steal = v[7]};
  }
  std::vector<CpuTicks> ticks;
  for (const auto& t : found) {
    if (!t) return std::nullopt;
    ticks.push_back(*t);
  }
  return ticks;
}

std::optional<double> ConditionsMeter::read_loadavg() const {
  // "0.52 0.40 0.30 1/234 5678": the first field.
  const auto text = read_small_file(root_ / "proc/loadavg");
  if (!text) return std::nullopt;
  const std::string_view line = trim(*text);
  double value = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (error != std::errc() || end == line.data()) return std::nullopt;
  return value;
}

std::string ConditionsMeter::read_governor(int cpu) const {
  const auto text = read_small_file(
      root_ / fmt::format("sys/devices/system/cpu/cpu{}/cpufreq/scaling_governor", cpu));
  return text ? std::string(trim(*text)) : std::string();
}

std::optional<double> ConditionsMeter::read_cpu_mhz(int cpu) const {
  const auto khz = read_u64_file(
      root_ / fmt::format("sys/devices/system/cpu/cpu{}/cpufreq/scaling_cur_freq", cpu));
  if (!khz || *khz == 0) return std::nullopt;
  return static_cast<double>(*khz) / 1000.0;
}

std::uint64_t ConditionsMeter::read_children_ticks(int parent) const {
  std::uint64_t ticks = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(root_ / "proc", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string pid = it->path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = read_small_file(it->path() / "stat");
    if (!stat) continue;  // gone since the listing
    // "PID (COMM) STATE PPID ... UTIME STIME ...": COMM may hold spaces and parentheses, so the
    // fields are counted from the last ')'; after it, PPID is the 2nd and UTIME the 12th.
    const std::size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat->substr(close + 1));
    std::string state;
    long long ppid = -1;
    if (!(fields >> state >> ppid) || ppid != parent) continue;
    std::uint64_t value = 0, utime = 0, stime = 0;
    bool ok = true;
    for (int field = 5; field <= 13 && ok; ++field) ok = static_cast<bool>(fields >> value);
    if (ok && fields >> utime >> stime) ticks += utime + stime;
  }
  return ticks;
}

void ConditionsMeter::start(std::vector<int> cpus, bool pinned) {
  cpus_ = std::move(cpus);
  pinned_ = pinned;
  loadavg_start_ = read_loadavg();
  ticks_start_ = read_ticks(cpus_);
  children_ticks_start_ = read_children_ticks(static_cast<int>(::getpid()));
  start_ns_ = now_ns();
}

results::Conditions ConditionsMeter::stop(double own_cpu_s) const {
  const double wall_s = static_cast<double>(now_ns() - start_ns_) * 1e-9;
  results::Conditions c;
  c.cpus = cpus_;
  c.pinned = pinned_;
  c.loadavg_start = loadavg_start_;
  c.loadavg_end = read_loadavg();
  if (!cpus_.empty()) {
    c.governor = read_governor(cpus_.front());
    c.cpu_mhz = read_cpu_mhz(cpus_.front());
  }
  const auto ticks_end = read_ticks(cpus_);
  if (ticks_start_ && ticks_end && wall_s > 0) {
    std::uint64_t busy = 0, idle = 0, steal = 0;
    for (std::size_t i = 0; i < cpus_.size(); ++i) {
      // Counters never run backwards, but a bad reading must not wrap into a huge figure.
      const auto delta = [](std::uint64_t a, std::uint64_t b) { return b >= a ? b - a : 0; };
      busy += delta((*ticks_start_)[i].busy, (*ticks_end)[i].busy);
      idle += delta((*ticks_start_)[i].idle, (*ticks_end)[i].idle);
      steal += delta((*ticks_start_)[i].steal, (*ticks_end)[i].steal);
    }
    const std::uint64_t total = busy + idle + steal;
    if (total > 0) c.steal_pct = 100.0 * static_cast<double>(steal) / static_cast<double>(total);
    const std::uint64_t children_end = read_children_ticks(static_cast<int>(::getpid()));
    const std::uint64_t children =
        children_end >= children_ticks_start_ ? children_end - children_ticks_start_ : 0;
    const double other_s = static_cast<double>(busy) / ticks_per_s() - own_cpu_s -
                           static_cast<double>(children) / ticks_per_s();
    c.other_load_pct = std::max(0.0, 100.0 * other_s / wall_s);
  }
  return c;
}

std::optional<double> round_spread_pct(std::span<const double> round_p50_ms) {
  if (round_p50_ms.size() < 2) return std::nullopt;
  std::vector<double> sorted(round_p50_ms.begin(), round_p50_ms.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  if (!(median > 0)) return std::nullopt;
  return 100.0 * (sorted.back() - sorted.front()) / median;
}

void judge_noise(results::Conditions& c, const NoiseThresholds& t) {
  c.noise_reasons.clear();
  if (c.spread_pct && *c.spread_pct > t.spread_pct) {
    c.noise_reasons.push_back(fmt::format("p50 varied by {:.1f}% between rounds (threshold {}%)",
                                          *c.spread_pct, t.spread_pct));
  }
  if (c.other_load_pct && *c.other_load_pct > t.other_load_pct) {
    c.noise_reasons.push_back(
        fmt::format("other processes used {:.0f}% of a CPU on CPUs {} (threshold {}%)",
                    *c.other_load_pct, format_cpu_list(c.cpus), t.other_load_pct));
  }
  if (c.steal_pct && *c.steal_pct > t.steal_pct) {
    c.noise_reasons.push_back(
        fmt::format("the hypervisor took {:.1f}% of the CPUs' time (steal; threshold {}%)",
                    *c.steal_pct, t.steal_pct));
  }
  c.noisy = !c.noise_reasons.empty();
}

}  // namespace edgebench::measure
