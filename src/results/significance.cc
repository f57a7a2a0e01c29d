#include "edgebench/results/significance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "edgebench/core/npy.h"

namespace edgebench::results {

namespace {

// The median of `values` (reordered in place).
double median(std::vector<double>& values) {
  const std::size_t n = values.size();
  auto mid = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (n % 2 == 1) return *mid;
  const double upper = *mid;
  const double lower = *std::max_element(values.begin(), mid);
  return 0.5 * (lower + upper);
}

}  // namespace

std::optional<MedianRatio> median_ratio_interval(std::span<const double> base,
                                                 std::span<const double> other, double confidence,
                                                 int resamples, std::uint64_t seed) {
  constexpr std::size_t kMinimum = 10;
  constexpr std::size_t kMaxSamples = 5000;
  if (base.size() < kMinimum || other.size() < kMinimum || resamples < 10 ||
      !(confidence > 0 && confidence < 1)) {
    return std::nullopt;
  }
  // Resampling costs resamples x n: a long run is thinned first to kMaxSamples latencies spread
  // evenly over it (in query order), which only widens the interval.
  auto thinned = [](std::span<const double> from) {
    if (from.size() <= kMaxSamples) return std::vector<double>(from.begin(), from.end());
    std::vector<double> out(kMaxSamples);
    for (std::size_t i = 0; i < kMaxSamples; ++i) out[i] = from[i * from.size() / kMaxSamples];
    return out;
  };
  const std::vector<double> base_kept = thinned(base), other_kept = thinned(other);
  base = base_kept;
  other = other_kept;
  std::vector<double> a(base.begin(), base.end()), b(other.begin(), other.end());
  const double base_median = median(a), other_median = median(b);
  if (!(base_median > 0) || !(other_median >= 0)) return std::nullopt;
  std::mt19937_64 random(seed);
  auto resample = [&random](std::span<const double> from, std::vector<double>& into) {
    std::uniform_int_distribution<std::size_t> pick(0, from.size() - 1);
    for (double& x : into) x = from[pick(random)];
    return median(into);
  };
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(resamples));
  for (int k = 0; k < resamples; ++k) {
    const double m0 = resample(base, a);
    const double m1 = resample(other, b);
    if (m0 > 0) ratios.push_back(m1 / m0);
  }
  if (ratios.size() < 10) return std::nullopt;
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::floor(q * static_cast<double>(ratios.size() - 1)));
    return ratios[std::min(i, ratios.size() - 1)];
  };
  MedianRatio m;
  m.ratio = other_median / base_median;
  m.low = at(tail);
  m.high = at(1 - tail);
  m.confidence = confidence;
  return m;
}

std::vector<double> raw_latencies(const Record& r) {
  if (!r.latencies_ms.empty()) return r.latencies_ms;
  if (r.latencies_path.empty()) return {};
  auto t = read_npy(r.latencies_path);
  if (!t.is_ok() || t->dtype() != DType::kFloat64) return {};
  const double* p = t->data<double>();
  return std::vector<double>(p, p + t->element_count());
}

std::string significance_text(const MedianRatio& m) {
  return fmt::format("{:.3f}-{:.3f}, {}", m.low, m.high,
                     m.significant()    ? "significant"
                     : m.beyond_noise() ? fmt::format("not significant (under {:.0f}%)",
                                                      100 * MedianRatio::kNegligible)
                                        : "not significant");
}

}  // namespace edgebench::results
