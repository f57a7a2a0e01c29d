// Whether a latency difference between two results is real: a bootstrap confidence interval on
// the ratio of their medians, from the raw per-query latencies. Deterministic: the resampling
// is seeded, so the same results always get the same interval.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "edgebench/results/result.h"

namespace edgebench::results {

struct MedianRatio {
  double ratio = 0;  // median(other) / median(base)
  double low = 0;    // the confidence interval's bounds
  double high = 0;
  double confidence = 0.95;
  // The interval lies wholly beyond +-kNegligible of 1: the medians differ by more than that,
  // beyond what resampling the queries explains. A difference that is statistically real but
  // smaller (long runs make the interval narrow) is not called significant: run-to-run drift of
  // a machine is of that order.
  static constexpr double kNegligible = 0.01;
  bool beyond_noise() const { return low > 1.0 || high < 1.0; }
  bool significant() const { return low > 1.0 + kNegligible || high < 1.0 - kNegligible; }
};

// Percentile bootstrap: `resamples` times, each sample resampled with replacement (seeded), the
// ratio of the two medians; the interval is the middle `confidence` of those ratios. Nullopt
// when either sample has fewer than 10 latencies or a median is not positive. A sample of more
// than 5000 latencies is thinned to 5000 spread evenly over the run, which keeps the cost
// bounded and can only widen the interval.
std::optional<MedianRatio> median_ratio_interval(std::span<const double> base,
                                                 std::span<const double> other,
                                                 double confidence = 0.95, int resamples = 1000,
                                                 std::uint64_t seed = 0x65646765);

// A result's raw latencies: its inline latencies_ms, or the .npy file its latencies_path names
// (empty when neither can be read).
std::vector<double> raw_latencies(const Record& r);

// "0.950-0.985, significant" / "0.980-1.020, not significant" / "0.995-0.999, not significant
// (under 1%)": how compare shows it.
std::string significance_text(const MedianRatio& m);

}  // namespace edgebench::results
