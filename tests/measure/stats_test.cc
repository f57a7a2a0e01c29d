// Latency statistics: exact summaries, the nearest-rank convention and LoadGen's early-stopping
// estimate, checked against hand-computed values and a literal brute-force rendering of
// LoadGen's search (exact binomial sums over under-latency counts h).
#include "edgebench/measure/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace edgebench::measure {
namespace {

std::vector<double> one_to(int n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

// P(Binomial(n, p) <= k) by the plain sum of pmf terms in long double (small n only).
long double brute_binomial_cdf(std::uint64_t k, std::uint64_t n, long double p) {
  long double pmf = std::pow(1.0L - p, static_cast<long double>(n));  // j = 0
  long double sum = 0;
  for (std::uint64_t j = 0; j <= k && j <= n; ++j) {
    sum += pmf;
    pmf *= static_cast<long double>(n - j) / static_cast<long double>(j + 1) * p / (1.0L - p);
  }
  return sum;
}

// LoadGen's formulation: h(t) = fewest under-latency queries h such that t or fewer
// over-latency queries among h + t is improbable; t grows while n >= h(t) + t.
std::uint64_t brute_min_passing(std::uint64_t t, double q, double c) {
  for (std::uint64_t h = 1;; ++h) {
    if (brute_binomial_cdf(t, h + t, 1.0L - q) < 1.0L - c) return h;
  }
}

std::optional<std::uint64_t> brute_budget(std::uint64_t n, double q, double c) {
  const std::uint64_t h_min = brute_min_passing(1, q, c);
  if (n < h_min + 1) return std::nullopt;
  std::uint64_t t = 1;
  for (std::uint64_t i = 2; i < n + 1; ++i) {
    if (n < brute_min_passing(i, q, c) + i) {
      t = i - 1;
      break;
    }
  }
  return t;
}

TEST(MeasureStats, SummarizeSmallSetByHand) {
  const std::vector<double> v = {5, 1, 3, 2, 4};
  const results::LatencyStats s = summarize(v);
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt(2.0));  // population: sum of squares 10 over 5
  EXPECT_DOUBLE_EQ(s.p50, 3);               // ceil(2.5) = 3rd
  EXPECT_DOUBLE_EQ(s.p90, 5);               // ceil(4.5) = 5th
  EXPECT_DOUBLE_EQ(s.p999, 5);
}

TEST(MeasureStats, SummarizeSortedNeedsNoCopy) {
  const std::vector<double> sorted = {1, 2, 3, 4, 5};
  const results::LatencyStats s = summarize_sorted(sorted);
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.p50, 3);
  EXPECT_DOUBLE_EQ(s.mean, 3);
}

TEST(MeasureStats, PopulationStandardDeviation) {
  const std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9};
  const results::LatencyStats s = summarize(v);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_DOUBLE_EQ(s.std, 2);
}

TEST(MeasureStats, NearestRankOnExactMultiples) {
  // q * n / 100 lands on an integer: the rank is that integer, not the next one.
  const std::vector<double> v = one_to(1000);
  const results::LatencyStats s = summarize(v);
  EXPECT_DOUBLE_EQ(s.p50, 500);
  EXPECT_DOUBLE_EQ(s.p90, 900);
  EXPECT_DOUBLE_EQ(s.p95, 950);
  EXPECT_DOUBLE_EQ(s.p99, 990);
  EXPECT_DOUBLE_EQ(s.p999, 999);
  const std::vector<double> ten = one_to(10);
  EXPECT_DOUBLE_EQ(percentile_nearest_rank(ten, 90), 9);
  EXPECT_DOUBLE_EQ(percentile_nearest_rank(ten, 95), 10);
  EXPECT_DOUBLE_EQ(percentile_nearest_rank(ten, 10), 1);
  EXPECT_DOUBLE_EQ(percentile_nearest_rank(ten, 10.5), 2);
  EXPECT_DOUBLE_EQ(percentile_nearest_rank(ten, 100), 10);
  EXPECT_DOUBLE_EQ(percentile_nearest_rank(ten, 0), 1);
}

TEST(MeasureStats, NearestRankMatchesIntegerDefinition) {
  // rank = ceil(q * n / 100) computed in integers (q in tenths of a percent).
  for (int n = 1; n <= 400; ++n) {
    const std::vector<double> v = one_to(n);
    for (int tenths : {1, 5, 100, 250, 500, 900, 950, 990, 999, 1000}) {
      const int rank = (tenths * n + 999) / 1000;
      EXPECT_DOUBLE_EQ(percentile_nearest_rank(v, tenths / 10.0), rank)
          << "n " << n << " q " << tenths / 10.0;
    }
  }
}

TEST(MeasureStats, EmptyAndSingle) {
  const results::LatencyStats empty = summarize({});
  EXPECT_EQ(empty.count, 0u);
  EXPECT_EQ(empty.p99, 0);
  const std::vector<double> one = {7.5};
  const results::LatencyStats s = summarize(one);
  EXPECT_EQ(s.count, 1u);
  EXPECT_DOUBLE_EQ(s.min, 7.5);
  EXPECT_DOUBLE_EQ(s.p50, 7.5);
  EXPECT_DOUBLE_EQ(s.p999, 7.5);
  EXPECT_DOUBLE_EQ(s.std, 0);
}

TEST(MeasureStats, SummarizeIgnoresInputOrder) {
  const std::uint64_t seed = 17;
  std::mt19937_64 rng(seed);
  std::vector<double> v = one_to(333);
  std::shuffle(v.begin(), v.end(), rng);
  const results::LatencyStats s = summarize(v);
  EXPECT_DOUBLE_EQ(s.p90, 300) << "seed " << seed;  // ceil(299.7)
  EXPECT_DOUBLE_EQ(s.mean, 167) << "seed " << seed;
}

TEST(MeasureStats, LogBinomialCdfMatchesBruteForce) {
  for (std::uint64_t n : {1, 2, 5, 17, 64, 100, 300}) {
    for (double p : {0.001, 0.01, 0.1, 0.5, 0.9}) {
      for (std::uint64_t k = 0; k <= n; k += (n > 20 ? 7 : 1)) {
        const double expected = static_cast<double>(brute_binomial_cdf(k, n, p));
        const double got = std::exp(log_binomial_cdf(k, n, p));
        EXPECT_NEAR(got, expected, 1e-12 + 1e-10 * expected)
            << "k " << k << " n " << n << " p " << p;
      }
    }
  }
}

TEST(MeasureStats, LogBinomialCdfKeepsTinyTails) {
  // P(X <= 0) = (1 - p)^n underflows a double as a probability; in log space it must not.
  const double lc = log_binomial_cdf(0, 100000, 0.5);
  EXPECT_NEAR(lc, 100000 * std::log(0.5), 1e-6);
  // k = 10: the terms j = 0..10 ratio C(n, j) / C(n, 10); the j = 10 term dominates.
  const double l10 = log_binomial_cdf(10, 100000, 0.5);
  const double pmf10 =
      std::lgamma(100001.0) - std::lgamma(11.0) - std::lgamma(99991.0) + 100000 * std::log(0.5);
  EXPECT_GT(l10, pmf10);
  EXPECT_LT(l10, pmf10 + 1e-3);  // the next term down is 10 / 99991 of it
  EXPECT_EQ(log_binomial_cdf(5, 5, 0.3), 0.0);
  EXPECT_EQ(log_binomial_cdf(2, 5, 0.0), 0.0);
  EXPECT_TRUE(std::isinf(log_binomial_cdf(2, 5, 1.0)));
}

TEST(MeasureStats, EarlyStoppingMinimumQueries) {
  // LoadGen's "need to process at least N queries": 64 at the 90th percentile, 662 at the 99th.
  EXPECT_EQ(early_stopping_min_queries(0.90), 64u);
  EXPECT_EQ(early_stopping_min_queries(0.99), 662u);
  EXPECT_EQ(early_stopping_min_queries(0.90), brute_min_passing(1, 0.90, 0.99) + 1);
  EXPECT_EQ(early_stopping_min_queries(0.99), brute_min_passing(1, 0.99, 0.99) + 1);
  EXPECT_EQ(early_stopping_min_queries(1.0), 0u);
}

TEST(MeasureStats, EarlyStoppingHandComputed) {
  // n = 100 at p90: P(Bin(100, 0.1) <= 3) = 0.0078 < 0.01 <= P(<= 4) = 0.0237, so t = 3 and the
  // estimate is the 3rd largest latency (2 discarded).
  const std::vector<double> v = one_to(100);
  EXPECT_EQ(early_stopping_overlatency_budget(100, 0.90), 3u);
  EXPECT_EQ(early_stopping_estimate(v, 0.90), 98.0);
  // n = 64 is the first count with an estimate: t = 1, the maximum.
  const std::vector<double> v64 = one_to(64);
  EXPECT_EQ(early_stopping_estimate(v64, 0.90), 64.0);
  const std::vector<double> v63 = one_to(63);
  EXPECT_FALSE(early_stopping_estimate(v63, 0.90).has_value());
  EXPECT_EQ(early_stopping_overlatency_budget(1000, 0.90), 78u);
  EXPECT_FALSE(early_stopping_estimate({}, 0.90).has_value());
}

TEST(MeasureStats, EarlyStoppingMatchesLoadGenSearch) {
  for (std::uint64_t n = 1; n <= 260; n += 3) {
    EXPECT_EQ(early_stopping_overlatency_budget(n, 0.90), brute_budget(n, 0.90, 0.99)) << "n " << n;
  }
  for (std::uint64_t n : {600, 661, 662, 663, 700, 900}) {
    EXPECT_EQ(early_stopping_overlatency_budget(n, 0.99), brute_budget(n, 0.99, 0.99)) << "n " << n;
  }
  for (std::uint64_t n : {20, 50, 80}) {
    EXPECT_EQ(early_stopping_overlatency_budget(n, 0.50), brute_budget(n, 0.50, 0.99)) << "n " << n;
  }
}

TEST(MeasureStats, EarlyStoppingEstimateIsAnUpperBoundOfThePercentile) {
  const std::uint64_t seed = 5;
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> dist(1.0);
  std::vector<double> v(20000);
  for (double& x : v) x = dist(rng);
  std::sort(v.begin(), v.end());
  const auto estimate = early_stopping_estimate(v, 0.90);
  ASSERT_TRUE(estimate.has_value());
  EXPECT_GE(*estimate, percentile_nearest_rank(v, 90)) << "seed " << seed;
  EXPECT_LE(*estimate, percentile_nearest_rank(v, 92)) << "seed " << seed;
}

TEST(MeasureStats, ServerBoundCheck) {
  // No over-latency query: (0.99)^n < 0.01 from n = 459 on.
  EXPECT_FALSE(early_stopping_bound_met(458, 0, 0.99));
  EXPECT_TRUE(early_stopping_bound_met(459, 0, 0.99));
  EXPECT_EQ(early_stopping_bound_met(662, 1, 0.99), true);
  EXPECT_EQ(early_stopping_bound_met(661, 1, 0.99), false);
  EXPECT_FALSE(early_stopping_bound_met(10, 10, 0.99));
  for (std::uint64_t t : {0, 1, 2, 5}) {
    const std::uint64_t need = brute_min_passing(t, 0.99, 0.99) + t;
    EXPECT_TRUE(early_stopping_bound_met(need, t, 0.99)) << "t " << t;
    EXPECT_FALSE(early_stopping_bound_met(need - 1, t, 0.99)) << "t " << t;
  }
}

}  // namespace
}  // namespace edgebench::measure
