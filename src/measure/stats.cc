#include "edgebench/measure/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace edgebench::measure {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Terms this far below the largest one (in log space) no longer change a double sum: even a
// billion of them add less than 1e-13 relative.
constexpr double kNegligibleLogRatio = -50.0;

bool is_open_unit(double x) { return x > 0.0 && x < 1.0; }

// log of the Binomial(n, p) probability mass at j, with log_p = log(p), log_q = log(1 - p).
double log_binomial_pmf(std::uint64_t j, std::uint64_t n, double log_p, double log_q) {
  const double nd = static_cast<double>(n), jd = static_cast<double>(j);
  return std::lgamma(nd + 1.0) - std::lgamma(jd + 1.0) - std::lgamma(nd - jd + 1.0) + jd * log_p +
         (nd - jd) * log_q;
}

}  // namespace

double percentile_nearest_rank(std::span<const double> sorted, double percent) {
  if (sorted.empty()) return 0.0;
  const std::size_t n = sorted.size();
  if (!(percent > 0.0)) return sorted.front();  // also NaN
  if (percent >= 100.0) return sorted.back();
  // q * n / 100 is often an integer in exact arithmetic (p99.9 of 1000) but a hair above it in
  // floating point; the relative slack keeps ceil() from jumping to the next rank.
  const double exact_rank = percent * static_cast<double>(n) / 100.0;
  const double rank = std::ceil(exact_rank - exact_rank * 1e-12);
  const std::size_t index = std::clamp<std::size_t>(static_cast<std::size_t>(rank), 1, n) - 1;
  return sorted[index];
}

results::LatencyStats summarize(std::span<const double> latencies_ms) {
  std::vector<double> sorted(latencies_ms.begin(), latencies_ms.end());
  std::sort(sorted.begin(), sorted.end());
  return summarize_sorted(sorted);
}

results::LatencyStats summarize_sorted(std::span<const double> sorted) {
  results::LatencyStats stats;
  if (sorted.empty()) return stats;
  const double n = static_cast<double>(sorted.size());
  double sum = 0.0;
  for (double x : sorted) sum += x;
  const double mean = sum / n;
  double squares = 0.0;  // second pass: no cancellation from sum(x^2) - n * mean^2
  for (double x : sorted) squares += (x - mean) * (x - mean);
  stats.count = sorted.size();
  stats.min = sorted.front();
  stats.max = sorted.back();
  stats.mean = mean;
  stats.std = std::sqrt(squares / n);
  stats.p50 = percentile_nearest_rank(sorted, 50.0);
  stats.p90 = percentile_nearest_rank(sorted, 90.0);
  stats.p95 = percentile_nearest_rank(sorted, 95.0);
  stats.p99 = percentile_nearest_rank(sorted, 99.0);
  stats.p999 = percentile_nearest_rank(sorted, 99.9);
  return stats;
}

double log_binomial_cdf(std::uint64_t k, std::uint64_t n, double p) {
  if (k >= n || !(p > 0.0)) return 0.0;
  if (p >= 1.0) return kNegInf;
  const double log_p = std::log(p), log_q = std::log1p(-p);
  // The pmf rises to its mode floor((n + 1) p) and falls after it, so the largest term of the
  // sum is at min(k, mode) and the terms shrink monotonically on both sides of it.
  const double mode = std::floor((static_cast<double>(n) + 1.0) * p);
  const std::uint64_t peak = std::min<std::uint64_t>(k, static_cast<std::uint64_t>(mode));
  const double log_peak = log_binomial_pmf(peak, n, log_p, log_q);
  double sum = 1.0;  // the peak term, scaled by exp(-log_peak)
  for (std::uint64_t j = peak; j-- > 0;) {
    const double d = log_binomial_pmf(j, n, log_p, log_q) - log_peak;
    if (d < kNegligibleLogRatio) break;
    sum += std::exp(d);
  }
  for (std::uint64_t j = peak + 1; j <= k; ++j) {
    const double d = log_binomial_pmf(j, n, log_p, log_q) - log_peak;
    if (d < kNegligibleLogRatio) break;
    sum += std::exp(d);
  }
  return std::min(0.0, log_peak + std::log(sum));
}

namespace {

// LoadGen's test: do n queries with t of them over latency support the quantile?
bool passes(std::uint64_t n, std::uint64_t t, double quantile, double confidence) {
  return log_binomial_cdf(t, n, 1.0 - quantile) < std::log1p(-confidence);
}

}  // namespace

std::optional<std::uint64_t> early_stopping_overlatency_budget(std::uint64_t n, double quantile,
                                                               double confidence) {
  if (!is_open_unit(quantile) || !is_open_unit(confidence) || n < 2) return std::nullopt;
  if (!passes(n, 1, quantile, confidence)) return std::nullopt;
  // Largest passing t in [1, n - 1]: the binomial CDF grows with t.
  std::uint64_t lo = 1, hi = n - 1;  // lo passes
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (passes(n, mid, quantile, confidence)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

std::uint64_t early_stopping_min_queries(double quantile, double confidence) {
  if (!is_open_unit(quantile) || !is_open_unit(confidence)) return 0;
  // P(Binomial(n, 1 - q) <= 1) falls as n grows: double n until it passes, then bisect.
  std::uint64_t hi = 2;
  while (!passes(hi, 1, quantile, confidence)) {
    if (hi > (std::uint64_t{1} << 62)) return 0;
    hi *= 2;
  }
  std::uint64_t lo = hi / 2 + 1;  // hi / 2 fails (or is 1, which has no t in [1, n - 1])
  if (hi == 2) return 2;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (passes(mid, 1, quantile, confidence)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

std::optional<double> early_stopping_estimate(std::span<const double> sorted, double quantile,
                                              double confidence) {
  const auto t = early_stopping_overlatency_budget(sorted.size(), quantile, confidence);
  if (!t) return std::nullopt;
  return sorted[sorted.size() - *t];
}

bool early_stopping_bound_met(std::uint64_t n, std::uint64_t overlatency, double quantile,
                              double confidence) {
  if (!is_open_unit(quantile) || !is_open_unit(confidence) || overlatency >= n) return false;
  return passes(n, overlatency, quantile, confidence);
}

}  // namespace edgebench::measure
