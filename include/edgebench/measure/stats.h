// Latency statistics: summaries, nearest-rank percentiles and MLPerf LoadGen's early-stopping
// estimate of a percentile.
//
// Percentile convention (the one in results/result.h, used everywhere): nearest rank on the
// latencies sorted ascending, p(q) = sorted[ceil(q/100 * n) - 1] for q in (0, 100], n >= 1.
//
// Early stopping (LoadGen, "early_stopping.cc"): a run of n queries supports the claim "the
// q-quantile latency is at most L" at confidence c when, had each query been over L with
// probability exactly 1 - q, seeing that few queries over L would be improbable:
//   P(Binomial(n, 1 - q) <= t) < 1 - c,   t = queries over L.
// The estimate is the latency L = sorted[n - t] for the largest t that passes, which makes the
// estimate an upper bound on the true quantile at that confidence. LoadGen searches, for each t,
// the fewest under-latency queries h(t) that pass and accepts t while n >= h(t) + t; since the
// binomial tail is monotonic in both h and t, that is the same t as above, which is how it is
// computed here (one pass over the binomial CDF, in log space).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "edgebench/results/result.h"

namespace edgebench::measure {

inline constexpr double kEarlyStoppingConfidence = 0.99;

// count, min, max, mean, population standard deviation and the nearest-rank p50/p90/p95/p99/
// p99.9 of `latencies_ms` (any order). All zero when empty.
results::LatencyStats summarize(std::span<const double> latencies_ms);

// The same from latencies already sorted ascending (no copy).
results::LatencyStats summarize_sorted(std::span<const double> sorted_ms);

// Nearest-rank percentile of latencies sorted ascending; `percent` in (0, 100] (clamped to the
// first/last element outside that range). 0 when `sorted` is empty.
double percentile_nearest_rank(std::span<const double> sorted, double percent);

// log P(X <= k) for X ~ Binomial(n, p), computed as a log-sum-exp of log-pmf terms (lgamma),
// so it neither underflows nor loses the small tails the early-stopping test lives in.
// Returns 0 (probability 1) when k >= n, -infinity when the probability is 0.
double log_binomial_cdf(std::uint64_t k, std::uint64_t n, double p);

// The largest number of over-latency queries t in [1, n - 1] for which n queries support the
// `quantile` (a fraction, e.g. 0.90) at `confidence`: P(Binomial(n, 1 - quantile) <= t) <
// 1 - confidence. std::nullopt when even t = 1 does not pass (too few queries).
std::optional<std::uint64_t> early_stopping_overlatency_budget(
    std::uint64_t n, double quantile, double confidence = kEarlyStoppingConfidence);

// The fewest queries for which an early-stopping estimate exists (LoadGen prints this as "need
// to process at least N queries"; 64 for the 90th percentile at 99% confidence).
std::uint64_t early_stopping_min_queries(double quantile,
                                         double confidence = kEarlyStoppingConfidence);

// LoadGen's early-stopping estimate of the `quantile` latency from latencies sorted ascending:
// sorted[n - t] with t from early_stopping_overlatency_budget. std::nullopt when there are too
// few latencies.
std::optional<double> early_stopping_estimate(std::span<const double> sorted, double quantile,
                                              double confidence = kEarlyStoppingConfidence);

// LoadGen's server-scenario check: with `overlatency` of `n` queries over the latency bound, do
// the queries support "the `quantile` latency meets the bound" at `confidence`?
bool early_stopping_bound_met(std::uint64_t n, std::uint64_t overlatency, double quantile,
                              double confidence = kEarlyStoppingConfidence);

}  // namespace edgebench::measure
