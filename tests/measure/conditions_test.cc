// Run conditions: CPU lists, the readers against a fake /proc and /sys tree, other processes'
// load and steal time computed from tick deltas, the round spread, the noise verdict, pinning
// this thread, and pooling rounds into one scenario result.
#include "edgebench/measure/conditions.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgebench/measure/scenario.h"
#include "edgebench/results/result.h"
#include "measure/measure_test_util.h"

namespace edgebench::measure {
namespace {

namespace fs = std::filesystem;

class FakeRoot {
 public:
  const fs::path& path() const { return dir_.path(); }
  void write(const std::string& relative, const std::string& text) const {
    fs::create_directories((path() / relative).parent_path());
    std::ofstream(path() / relative) << text;
  }
  // /proc/stat with two CPUs: user nice system idle iowait irq softirq steal.
  void stat(std::uint64_t busy0, std::uint64_t idle0, std::uint64_t steal0, std::uint64_t busy1,
            std::uint64_t idle1, std::uint64_t steal1) const {
    write("proc/stat", fmt::format("cpu  1 2 3 4 5 6 7 8 0 0\n"
                                   "cpu0 {} 0 0 {} 0 0 0 {} 0 0\n"
                                   "cpu1 {} 0 0 {} 0 0 0 {} 0 0\n"
                                   "intr 12345\n",
                                   busy0, idle0, steal0, busy1, idle1, steal1));
  }

 private:
  testing::TempDir dir_;
};

TEST(CpuList, ParsesItemsAndRanges) {
  EXPECT_EQ(*parse_cpu_list("0"), std::vector<int>{0});
  EXPECT_EQ(*parse_cpu_list("3,1"), (std::vector<int>{1, 3}));
  EXPECT_EQ(*parse_cpu_list("0,2-4,3"), (std::vector<int>{0, 2, 3, 4}));
  EXPECT_EQ(format_cpu_list(std::vector<int>{0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
  EXPECT_EQ(format_cpu_list(std::vector<int>{}), "");
}

TEST(CpuList, RefusesBadLists) {
  for (const char* bad : {"", ",", "1,", "a", "-1", "3-1", "1-", "0-9999", "1.5", "0 1"}) {
    auto parsed = parse_cpu_list(bad);
    ASSERT_FALSE(parsed.is_ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("--cpu"), std::string::npos) << bad;
  }
}

TEST(ConditionsMeter, ReadsGovernorClockAndLoad) {
  FakeRoot root;
  root.write("proc/loadavg", "0.52 0.40 0.30 1/234 5678\n");
  root.write("sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance\n");
  root.write("sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "2450000\n");
  ConditionsMeter meter(root.path());
  EXPECT_DOUBLE_EQ(*meter.read_loadavg(), 0.52);
  EXPECT_EQ(meter.read_governor(1), "performance");
  EXPECT_DOUBLE_EQ(*meter.read_cpu_mhz(1), 2450.0);
  EXPECT_EQ(meter.read_governor(0), "");  // unreadable: absent, not guessed
  EXPECT_FALSE(meter.read_cpu_mhz(0).has_value());
}

TEST(ConditionsMeter, ReadsPerCpuTicksAndNeedsEveryCpu) {
  FakeRoot root;
  root.stat(100, 900, 5, 200, 800, 7);
  ConditionsMeter meter(root.path());
  const auto ticks = meter.read_ticks(std::vector<int>{1});
  ASSERT_TRUE(ticks.has_value());
  ASSERT_EQ(ticks->size(), 1u);
  EXPECT_EQ((*ticks)[0].busy, 200u);
  EXPECT_EQ((*ticks)[0].idle, 800u);
  EXPECT_EQ((*ticks)[0].steal, 7u);
  EXPECT_FALSE(meter.read_ticks(std::vector<int>{0, 2}).has_value());  // no cpu2 line
}

TEST(ConditionsMeter, OtherLoadIsBusyTimeMinusOwnAndStealIsAShare) {
  FakeRoot root;
  root.write("proc/loadavg", "1.00 1.00 1.00 1/1 1\n");
  root.stat(0, 0, 0, 0, 0, 0);
  ConditionsMeter meter(root.path());
  meter.start({0}, true);
  ::usleep(200000);
  // CPU 0 over the interval: 2 s busy, 1 s idle, 1 s stolen (ticks_per_s ticks a second).
  const long hz = sysconf(_SC_CLK_TCK);
  root.stat(2 * hz, hz, hz, 50 * hz, 0, 0);
  root.write("proc/loadavg", "1.50 1.00 1.00 1/1 1\n");
  const results::Conditions c = meter.stop(/*own_cpu_s=*/1.9);
  EXPECT_EQ(c.cpus, std::vector<int>{0});
  EXPECT_TRUE(c.pinned);
  ASSERT_TRUE(c.steal_pct && c.other_load_pct);
  EXPECT_DOUBLE_EQ(*c.steal_pct, 25.0);
  // 0.1 s of other processes' work over a wall time of at least 0.2 s: at most 50%, and more
  // than 0 (CPU 1's heavy load is not counted: the run did not use it).
  EXPECT_GT(*c.other_load_pct, 0.0);
  EXPECT_LE(*c.other_load_pct, 50.0);
  EXPECT_DOUBLE_EQ(*c.loadavg_start, 1.0);
  EXPECT_DOUBLE_EQ(*c.loadavg_end, 1.5);
}

TEST(ConditionsMeter, CountsTheLiveChildrenOfAProcess) {
  FakeRoot root;
  // utime and stime are fields 14 and 15; a name may hold spaces and parentheses.
  root.write("proc/100/stat",
             "100 (python3 (target)) S 42 100 100 0 -1 4194304 1 0 0 0 30 12 0 0\n");
  root.write("proc/101/stat", "101 (sh) S 42 101 101 0 -1 0 0 0 0 0 5 3 0 0\n");
  root.write("proc/102/stat", "102 (other) R 7 102 102 0 -1 0 0 0 0 0 900 900 0 0\n");
  root.write("proc/self/stat", "1 (x) S 42 1 1 0 -1 0 0 0 0 0 77 77 0 0\n");  // not a pid
  root.write("proc/103/status", "not a stat file\n");
  ConditionsMeter meter(root.path());
  EXPECT_EQ(meter.read_children_ticks(42), 30u + 12u + 5u + 3u);
  EXPECT_EQ(meter.read_children_ticks(7), 1800u);
  EXPECT_EQ(meter.read_children_ticks(5), 0u);
}

TEST(ConditionsMeter, UnreadableProcLeavesFiguresAbsent) {
  FakeRoot root;  // empty
  ConditionsMeter meter(root.path());
  meter.start({0}, false);
  results::Conditions c = meter.stop(0.0);
  EXPECT_FALSE(c.steal_pct.has_value());
  EXPECT_FALSE(c.other_load_pct.has_value());
  EXPECT_FALSE(c.loadavg_end.has_value());
  judge_noise(c, {});
  EXPECT_FALSE(c.noisy);
}

TEST(Noise, SpreadIsRangeOverMedian) {
  EXPECT_FALSE(round_spread_pct(std::vector<double>{5.0}).has_value());
  EXPECT_DOUBLE_EQ(*round_spread_pct(std::vector<double>{4.0, 5.0, 6.0}), 40.0);
  EXPECT_NEAR(*round_spread_pct(std::vector<double>{1.0, 1.0, 1.02, 1.02}), 2.0 / 1.01, 1e-9);
  EXPECT_FALSE(round_spread_pct(std::vector<double>{0.0, 0.0}).has_value());
}

TEST(Noise, EachReadingPastItsThresholdFlagsTheRun) {
  const NoiseThresholds t;  // 5% spread, 10% other load, 5% steal
  results::Conditions quiet;
  quiet.cpus = {1};
  quiet.spread_pct = 1.5;
  quiet.other_load_pct = 2.0;
  quiet.steal_pct = 0.1;
  judge_noise(quiet, t);
  EXPECT_FALSE(quiet.noisy);
  EXPECT_TRUE(quiet.noise_reasons.empty());

  results::Conditions spread = quiet;
  spread.spread_pct = 7.0;
  judge_noise(spread, t);
  EXPECT_TRUE(spread.noisy);
  ASSERT_EQ(spread.noise_reasons.size(), 1u);
  EXPECT_NE(spread.noise_reasons[0].find("between rounds"), std::string::npos);

  results::Conditions loaded = quiet;
  loaded.other_load_pct = 48.0;
  loaded.steal_pct = 9.0;
  judge_noise(loaded, t);
  EXPECT_TRUE(loaded.noisy);
  ASSERT_EQ(loaded.noise_reasons.size(), 2u);
  EXPECT_NE(loaded.noise_reasons[0].find("other processes used 48% of a CPU on CPUs 1"),
            std::string::npos);
  EXPECT_NE(loaded.noise_reasons[1].find("steal"), std::string::npos);
}

TEST(Pinning, PinsThisThreadAndRestores) {
  const std::vector<int> before = allowed_cpus();
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(pin_to_cpus(std::vector<int>{before.back()}).is_ok());
  EXPECT_EQ(allowed_cpus(), std::vector<int>{before.back()});
  const Status refused = pin_to_cpus(std::vector<int>{4000});
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("4000"), std::string::npos);
  ASSERT_TRUE(pin_to_cpus(before).is_ok());
  EXPECT_EQ(allowed_cpus(), before);
}

TEST(Rounds, SummarizePoolsLatenciesAndKeepsEachRoundsMedian) {
  auto exe = testing::compile_on("native", testing::relu_chain(2, {1, 16}));
  ASSERT_NE(exe, nullptr);
  const auto samples = testing::random_samples(2, {1, 16}, 7);
  ScenarioSettings settings = default_settings(ScenarioKind::kSingleStream);
  settings.min_duration_s = 0;
  settings.min_queries = 64;
  settings.warmup_queries = 2;
  Scenario scenario(settings);
  std::vector<MeasuredRound> rounds;
  for (int i = 0; i < 3; ++i) {
    auto round = scenario.run_round(*exe, samples);
    ASSERT_TRUE(round.is_ok()) << round.status().to_string();
    EXPECT_GT(round->p50_ms(settings.kind), 0.0);
    rounds.push_back(std::move(round).value());
  }
  const ScenarioResult pooled = scenario.summarize(rounds);
  std::uint64_t queries = 0;
  double duration = 0;
  for (const MeasuredRound& r : rounds) {
    queries += r.queries;
    duration += r.duration_s;
  }
  EXPECT_EQ(pooled.queries, queries);
  EXPECT_EQ(pooled.latencies_ms.size(), queries);
  EXPECT_EQ(pooled.latency.count, queries);
  EXPECT_DOUBLE_EQ(pooled.duration_s, duration);
  ASSERT_EQ(pooled.latencies_ms.size(), rounds[0].host_ms.size() * 3);
  EXPECT_EQ(pooled.latencies_ms.front(), rounds[0].host_ms.front());  // in run order
  EXPECT_EQ(pooled.latencies_ms.back(), rounds[2].host_ms.back());
  EXPECT_TRUE(pooled.valid);
  EXPECT_EQ(pooled.headline_metric, "p90_ms");
}

TEST(Conditions, RoundTripThroughTheResultJson) {
  results::Record record;
  record.id = "x";
  record.created_at = "2026-01-01T00:00:00Z";
  record.command = "bench";
  record.scenario.name = "single-stream";
  results::Conditions c;
  c.cpus = {1, 3};
  c.pinned = true;
  c.governor = "schedutil";
  c.steal_pct = 0.5;
  c.other_load_pct = 30;
  c.round_p50_ms = {1.0, 1.1};
  c.spread_pct = 9.5;
  c.noisy = true;
  c.noise_reasons = {"p50 varied"};
  record.conditions = c;
  auto back = results::from_json(results::to_json(record));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_TRUE(back->conditions.has_value());
  EXPECT_EQ(back->conditions->cpus, c.cpus);
  EXPECT_TRUE(back->conditions->pinned);
  EXPECT_EQ(back->conditions->governor, "schedutil");
  EXPECT_FALSE(back->conditions->cpu_mhz.has_value());
  EXPECT_EQ(back->conditions->round_p50_ms, c.round_p50_ms);
  EXPECT_DOUBLE_EQ(*back->conditions->spread_pct, 9.5);
  EXPECT_TRUE(back->conditions->noisy);
  EXPECT_EQ(back->conditions->noise_reasons, c.noise_reasons);
  EXPECT_TRUE(results::is_noisy(*back));

  nlohmann::json bad = results::to_json(record);
  bad["conditions"]["cpus"] = {0, -2};
  auto refused = results::from_json(bad);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("conditions.cpus"), std::string::npos);
}

}  // namespace
}  // namespace edgebench::measure
