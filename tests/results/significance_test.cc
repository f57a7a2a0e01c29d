#include "edgebench/results/significance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "edgebench/results/compare.h"

namespace {

using edgebench::results::compare_records;
using edgebench::results::median_ratio_interval;
using edgebench::results::Record;
using ::testing::HasSubstr;

// Latencies as a run of a model gives them: a body around `median` ms with a long right tail,
// drawn from a seeded generator (a deterministic fake clock).
std::vector<double> run_latencies(double median, std::uint64_t seed, std::size_t n = 2000) {
  std::mt19937_64 random(seed);
  std::lognormal_distribution<double> body(std::log(median), 0.05);
  std::exponential_distribution<double> stall(1.0);
  std::uniform_real_distribution<double> chance(0, 1);
  std::vector<double> out(n);
  for (double& x : out) x = body(random) + (chance(random) < 0.02 ? stall(random) : 0.0);
  return out;
}

Record run(const std::string& label, std::vector<double> latencies) {
  Record r;
  r.id = label;
  r.label = label;
  r.latencies_ms = std::move(latencies);
  r.timings.latency.p50 = 1.0;
  return r;
}

TEST(Significance, TwoRunsOfTheSameConfigurationAreNotSignificant) {
  // Different seeds: two runs of one configuration, as two bench invocations give them.
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    auto m = median_ratio_interval(run_latencies(2.0, seed), run_latencies(2.0, seed + 100));
    ASSERT_TRUE(m.has_value());
    EXPECT_FALSE(m->significant()) << seed << ": " << m->low << " .. " << m->high;
    EXPECT_LT(m->low, 1.0);
    EXPECT_GT(m->high, 1.0);
  }
}

TEST(Significance, AnExecutableFivePercentSlowerIsSignificant) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    auto m = median_ratio_interval(run_latencies(2.0, seed), run_latencies(2.1, seed + 100));
    ASSERT_TRUE(m.has_value());
    EXPECT_TRUE(m->significant()) << seed << ": " << m->low << " .. " << m->high;
    EXPECT_GT(m->low, 1.0);
    EXPECT_NEAR(m->ratio, 1.05, 0.01);
  }
}

TEST(Significance, DeterministicAndRefusesTooFewLatencies) {
  const auto a = run_latencies(1.0, 7), b = run_latencies(1.0, 8);
  auto m1 = median_ratio_interval(a, b), m2 = median_ratio_interval(a, b);
  ASSERT_TRUE(m1 && m2);
  EXPECT_EQ(m1->low, m2->low);
  EXPECT_EQ(m1->high, m2->high);
  EXPECT_FALSE(median_ratio_interval(std::vector<double>(9, 1.0), b).has_value());
  EXPECT_FALSE(median_ratio_interval(std::vector<double>(50, 0.0), b).has_value());
  // A long run is thinned, and a 5% difference still shows.
  auto long_runs =
      median_ratio_interval(run_latencies(1.0, 9, 200000), run_latencies(1.05, 10, 200000));
  ASSERT_TRUE(long_runs.has_value());
  EXPECT_TRUE(long_runs->significant());
  // Half a percent: certain with this many queries, yet under the 1% that runs drift by.
  auto tiny = median_ratio_interval(run_latencies(1.0, 11, 20000), run_latencies(1.005, 12, 20000));
  ASSERT_TRUE(tiny.has_value());
  EXPECT_TRUE(tiny->beyond_noise());
  EXPECT_FALSE(tiny->significant());
  EXPECT_THAT(edgebench::results::significance_text(*tiny),
              HasSubstr("not significant (under 1%)"));
}

TEST(Significance, CompareSaysWhichDifferencesAreReal) {
  const std::vector<Record> records = {run("base", run_latencies(2.0, 1)),
                                       run("again", run_latencies(2.0, 2)),
                                       run("slower", run_latencies(2.1, 3)), run("none", {})};
  const std::string table = edgebench::results::comparison_text(compare_records(records));
  EXPECT_THAT(table, HasSubstr("p50 ratio 95% CI"));
  // One row: (base), then each column's interval and verdict.
  const auto row = table.substr(table.find("p50 ratio 95% CI"));
  const std::string line = row.substr(0, row.find('\n'));
  EXPECT_THAT(line, HasSubstr("(base)"));
  const auto again = line.find("not significant");
  ASSERT_NE(again, std::string::npos) << line;
  EXPECT_NE(line.find(", significant", again + 1), std::string::npos) << line;
  EXPECT_EQ(line.back(), '-') << line;  // no raw latencies: no interval
}

}  // namespace
