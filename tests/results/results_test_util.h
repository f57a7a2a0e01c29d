// Shared helpers for the results tests: fully populated records and temporary folders.
#pragma once

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/results/result.h"

namespace edgebench::results::testing {

// A fresh, empty temporary folder removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("edgebench_results_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A record with every field set, optionals included; `n` varies ids and figures, and the
// latencies are seeded random doubles (full 53-bit mantissas, to test exact round trips).
inline Record full_record(int n = 0, std::size_t latency_count = 100) {
  Record r;
  r.id = "20261122-033605.482-" + std::to_string(10000000 + n);
  r.created_at = "2026-11-22T03:36:05." + std::to_string(100 + n % 900) + "Z";
  r.label = "baseline, \"fp32\" #" + std::to_string(n);
  r.command = "bench";
  r.valid = n % 2 == 0;
  r.invalid_reasons = {"fewer than min_queries", "p99 above bound"};
  r.model = {"/models/mobilenet v2.onnx",
             "mobilenet v2",
             std::string(64, 'a'),
             3504872,
             14019488,
             300774272,
             14251789 + static_cast<std::uint64_t>(n)};
  r.backend.name = "native";
  r.backend.threads = 4;
  r.backend.options = {{"fast_kernels", true}, {"layout", "nhwc"}, {"tile", {8, 16}}};
  r.host = {"Intel(R) Xeon(R) CPU @ 2.20GHz",
            16,
            "Linux 6.1.0 x86_64",
            "bench-01",
            "GCC 12.2.0",
            {{"xnnpack", "2022-02-16"}, {"onnx", "1.12.0"}}};
  r.scenario.name = "server";
  r.scenario.warmup_queries = 10;
  r.scenario.min_queries = 1024;
  r.scenario.min_duration_s = 0.5;
  r.scenario.target_qps = 123.25;
  r.scenario.latency_bound_ms = 15.5;
  r.scenario.samples_per_query = 8;
  r.scenario.batch = 2;
  r.scenario.seed = 18446744073709551615ull;
  r.scenario.inputs = "npy:/data/inputs";
  r.timings.init_ms = 12.5 + n;
  r.timings.first_inference_ms = 8.125;
  r.timings.latency = {1024, 1.0, 9.75, 2.3333333333333335, 0.1, 2.0, 3.0, 3.5, 7.0, 9.5};
  r.timings.headline_metric = "p99_ms";
  r.timings.headline_value = 7.0 + n;
  r.timings.early_stopping_ms = 7.25;
  r.timings.duration_s = 1.75;
  r.timings.met_latency_bound = true;
  r.throughput = {438.1, 3504.8, 500.0};
  r.memory = {123456789, 4194304};
  r.cpu = {1.5, 0.25};
  r.energy.available = true;
  r.energy.source = "powercap:/sys/class/powercap";
  r.energy.joules = 42.5;
  r.energy.domains = {{"package-0", 40.0}, {"dram", 2.5}};
  r.quality = {{"top1", 0.715}, {"top5", 0.901}, {"confusion", {{1, 2}, {3, 4}}}};
  OpProfile profile;
  profile.runs = 100;
  profile.by_node = {{"conv1", "Conv", 100, 250.5, 0.75}, {"relu1", "Relu", 100, 83.5, 0.25}};
  profile.by_op_type = {{"Conv", "Conv", 100, 250.5, 0.75}, {"Relu", "Relu", 100, 83.5, 0.25}};
  r.profile = profile;
  std::mt19937_64 gen(static_cast<std::uint64_t>(n) + 1);
  std::uniform_real_distribution<double> dist(0.5, 20.0);
  for (std::size_t i = 0; i < latency_count; ++i) r.latencies_ms.push_back(dist(gen));
  r.latencies_path = "latencies-" + r.id + ".npy";
  return r;
}

// A record with only the required fields set (every optional absent, defaults elsewhere).
inline Record minimal_record() {
  Record r;
  r.id = "min-1";
  r.created_at = "2026-11-22T00:00:00.000Z";
  r.model.name = "tiny";
  r.backend.name = "null";
  r.scenario.name = "single-stream";
  r.timings.headline_metric = "p90_ms";
  return r;
}

}  // namespace edgebench::results::testing

namespace edgebench::results::testing {

// Field-by-field comparison, written out member by member (not through to_json) so that a
// field to_json forgot shows up as a difference. Returns the dotted names of differing fields.
inline std::vector<std::string> differing_fields(const Record& a, const Record& b) {
  std::vector<std::string> diff;
  auto same_double = [](double x, double y) {
    return (std::isnan(x) && std::isnan(y)) || std::memcmp(&x, &y, sizeof x) == 0;
  };
  auto same_opt = [&](const std::optional<double>& x, const std::optional<double>& y) {
    return x.has_value() == y.has_value() && (!x || same_double(*x, *y));
  };
#define EB_CMP(field) \
  if (!(a.field == b.field)) diff.push_back(#field)
#define EB_CMP_D(field) \
  if (!same_double(a.field, b.field)) diff.push_back(#field)
#define EB_CMP_OPT(field) \
  if (!same_opt(a.field, b.field)) diff.push_back(#field)
  EB_CMP(schema);
  EB_CMP(id);
  EB_CMP(created_at);
  EB_CMP(label);
  EB_CMP(command);
  EB_CMP(valid);
  EB_CMP(invalid_reasons);
  EB_CMP(model.path);
  EB_CMP(model.name);
  EB_CMP(model.sha256);
  EB_CMP(model.params);
  EB_CMP(model.params_bytes);
  EB_CMP(model.macs);
  EB_CMP(model.file_bytes);
  EB_CMP(backend.name);
  EB_CMP(backend.threads);
  EB_CMP(backend.options);
  EB_CMP(backend.runtime);
  EB_CMP(backend.target);
  EB_CMP(host.cpu_model);
  EB_CMP(host.logical_cores);
  EB_CMP(host.os);
  EB_CMP(host.hostname);
  EB_CMP(host.compiler);
  EB_CMP(host.libraries);
  EB_CMP(scenario.name);
  EB_CMP(scenario.warmup_queries);
  EB_CMP(scenario.min_queries);
  EB_CMP_D(scenario.min_duration_s);
  EB_CMP_OPT(scenario.target_qps);
  EB_CMP_OPT(scenario.latency_bound_ms);
  EB_CMP(scenario.samples_per_query);
  EB_CMP(scenario.batch);
  EB_CMP(scenario.seed);
  EB_CMP(scenario.inputs);
  EB_CMP_D(timings.init_ms);
  EB_CMP_D(timings.first_inference_ms);
  EB_CMP(timings.latency.count);
  EB_CMP_D(timings.latency.min);
  EB_CMP_D(timings.latency.max);
  EB_CMP_D(timings.latency.mean);
  EB_CMP_D(timings.latency.std);
  EB_CMP_D(timings.latency.p50);
  EB_CMP_D(timings.latency.p90);
  EB_CMP_D(timings.latency.p95);
  EB_CMP_D(timings.latency.p99);
  EB_CMP_D(timings.latency.p999);
  EB_CMP(timings.headline_metric);
  EB_CMP_D(timings.headline_value);
  EB_CMP_OPT(timings.early_stopping_ms);
  EB_CMP_D(timings.duration_s);
  EB_CMP(timings.met_latency_bound);
  EB_CMP_D(throughput.queries_per_s);
  EB_CMP_D(throughput.samples_per_s);
  EB_CMP_OPT(throughput.target_qps);
  EB_CMP(memory.peak_rss_bytes);
  EB_CMP(memory.arena_bytes);
  EB_CMP_D(cpu.user_s);
  EB_CMP_D(cpu.system_s);
  EB_CMP(energy.available);
  EB_CMP(energy.source);
  EB_CMP_D(energy.joules);
  if (a.energy.domains.size() != b.energy.domains.size()) {
    diff.push_back("energy.domains");
  } else {
    for (std::size_t i = 0; i < a.energy.domains.size(); ++i) {
      EB_CMP(energy.domains[i].name);
      EB_CMP_D(energy.domains[i].joules);
    }
  }
  EB_CMP(quality);
  if (a.profile.has_value() != b.profile.has_value()) {
    diff.push_back("profile");
  } else if (a.profile) {
    EB_CMP(profile->runs);
    auto same_entries = [&](const std::vector<OpProfileEntry>& x,
                            const std::vector<OpProfileEntry>& y) {
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i].name != y[i].name || x[i].op_type != y[i].op_type || x[i].calls != y[i].calls ||
            !same_double(x[i].total_ms, y[i].total_ms) || !same_double(x[i].share, y[i].share)) {
          return false;
        }
      }
      return true;
    };
    if (!same_entries(a.profile->by_node, b.profile->by_node)) diff.push_back("profile.by_node");
    if (!same_entries(a.profile->by_op_type, b.profile->by_op_type)) {
      diff.push_back("profile.by_op_type");
    }
  }
  if (a.latencies_path != b.latencies_path) diff.push_back("latencies_path");
  if (a.latencies_ms.size() != b.latencies_ms.size()) {
    diff.push_back("latencies_ms");
  } else {
    for (std::size_t i = 0; i < a.latencies_ms.size(); ++i) {
      if (!same_double(a.latencies_ms[i], b.latencies_ms[i])) {
        diff.push_back("latencies_ms[" + std::to_string(i) + "]");
        break;
      }
    }
  }
#undef EB_CMP
#undef EB_CMP_D
#undef EB_CMP_OPT
  return diff;
}

}  // namespace edgebench::results::testing
