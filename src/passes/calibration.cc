// Range estimators for static quantization. See calibration.h for the histogram and the rules.
#include "edgebench/passes/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgebench::passes {

Result<CalibrationMethod> parse_calibration_method(std::string_view name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  if (name == "entropy") return CalibrationMethod::kEntropy;
  if (name == "mse") return CalibrationMethod::kMse;
  return invalid_argument(fmt::format(
      "unknown calibration method '{}' (expected minmax, percentile, entropy or mse)", name));
}

std::string_view calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kEntropy: return "entropy";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

RangeCollector::RangeCollector(std::size_t bins)
    : histogram_(std::max<std::size_t>(256, bins + bins % 2), 0) {}

void RangeCollector::add(std::span<const float> values) {
  double batch_abs_max = 0;
  for (const float v : values) {
    if (!std::isfinite(v)) continue;
    if (count_ == 0) min_ = max_ = v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    ++count_;
    batch_abs_max = std::max(batch_abs_max, static_cast<double>(std::fabs(v)));
  }
  if (batch_abs_max >= histogram_max_ && batch_abs_max > 0) {
    int exponent = 0;
    std::frexp(batch_abs_max, &exponent);  // batch_abs_max < 2^exponent
    const double new_max = std::ldexp(1.0, exponent);
    if (histogram_max_ > 0) {
      // new_max / histogram_max_ is 2^shift: bin i of the old histogram lies inside new bin
      // i >> shift.
      const int shift = static_cast<int>(std::lround(std::log2(new_max / histogram_max_)));
      std::vector<std::uint64_t> merged(histogram_.size(), 0);
      for (std::size_t i = 0; i < histogram_.size(); ++i) {
        merged[shift < 63 ? i >> shift : 0] += histogram_[i];
      }
      histogram_ = std::move(merged);
    }
    // With histogram_max_ == 0 every earlier value was 0 and stays in bin 0.
    histogram_max_ = new_max;
  }
  const double inverse_width = histogram_max_ > 0 ? 1.0 / bin_width() : 0.0;
  const std::size_t last_bin = histogram_.size() - 1;
  for (const float v : values) {
    if (!std::isfinite(v)) continue;
    if (v == 0) ++exact_zeros_;
    const double position = static_cast<double>(std::fabs(v)) * inverse_width;
    histogram_[std::min(last_bin, static_cast<std::size_t>(position))] += 1;
  }
}

TensorRange RangeCollector::minmax() const {
  if (empty()) return {};
  return {min_, max_};
}

TensorRange RangeCollector::clip(double threshold) const {
  if (empty()) return {};
  const float t = static_cast<float>(threshold);
  const float lo = std::max(min_, -t);
  // A threshold below every |x| (data away from 0) would invert the range; keep it a point.
  const float hi = std::max(lo, std::min(max_, t));
  return {lo, hi};
}

TensorRange RangeCollector::range(CalibrationMethod method, double percentile,
                                  bool /*is_signed_int8*/) const {
  switch (method) {
    case CalibrationMethod::kMinMax: return minmax();
    case CalibrationMethod::kPercentile: return clip(percentile_threshold(percentile));
    case CalibrationMethod::kEntropy: return clip(entropy_threshold());
    case CalibrationMethod::kMse: return clip(mse_threshold());
  }
  return minmax();
}

double RangeCollector::percentile_threshold(double percentile) const {
  if (empty() || histogram_max_ == 0) return 0;
  const double p = std::isnan(percentile) ? 100.0 : std::clamp(percentile, 0.0, 100.0);
  const double target = p / 100.0 * static_cast<double>(count_);
  double below = 0;
  for (std::size_t i = 0; i < histogram_.size(); ++i) {
    const auto in_bin = static_cast<double>(histogram_[i]);
    if (in_bin > 0 && below + in_bin >= target) {
      return (static_cast<double>(i) + (target - below) / in_bin) * bin_width();
    }
    below += in_bin;
  }
  return histogram_max_;
}

namespace {

// Replaces each bin that towers over its neighbourhood by the density around it and returns the
// result; *end is one past the highest bin changed (0 if none). A bin is a point mass when it
// holds more than kTowerRatio times the median of the kRadius bins on either side and its excess
// is at least kMinShare of all the counts: a density's neighbouring bins differ by their
// sampling noise, and the share keeps the few counts of a sparse tail (median 0) as they are.
std::vector<std::uint64_t> point_masses_removed(std::span<const std::uint64_t> histogram,
                                                std::size_t* end) {
  constexpr std::size_t kRadius = 8;
  constexpr double kTowerRatio = 4;
  constexpr double kMinShare = 1e-3;
  double total = 0;
  for (const std::uint64_t h : histogram) total += static_cast<double>(h);
  std::vector<std::uint64_t> density(histogram.begin(), histogram.end());
  std::vector<double> around;
  *end = 0;
  for (std::size_t j = 0; j < histogram.size(); ++j) {
    const auto count = static_cast<double>(histogram[j]);
    if (count < kMinShare * total) continue;
    around.clear();
    const std::size_t lo = j > kRadius ? j - kRadius : 0;
    const std::size_t hi = std::min(histogram.size(), j + kRadius + 1);
    for (std::size_t k = lo; k < hi; ++k) {
      if (k != j) around.push_back(static_cast<double>(histogram[k]));
    }
    std::sort(around.begin(), around.end());
    const std::size_t mid = around.size() / 2;
    const double median =
        around.size() % 2 == 1 ? around[mid] : (around[mid - 1] + around[mid]) / 2;
    if (count > kTowerRatio * median && count - median >= kMinShare * total) {
      density[j] = static_cast<std::uint64_t>(median);
      *end = j + 1;
    }
  }
  return density;
}

}  // namespace

// TensorRT's calibration ("8-bit Inference with TensorRT", Migacz 2017): for each candidate
// count i of bins, P is the histogram's first i bins with everything beyond folded into the
// last one (what clipping at i bins does to the data), and Q is the same i bins WITHOUT the
// outliers, merged into `levels` quantization levels and spread back evenly over the bins where
// P is non-zero (what the quantized tensor can represent). The i minimising KL(P || Q) wins.
// Q lacks the clipped mass, so clipping too much is penalised; wide candidates merge more bins
// per level, so resolution loss is penalised too. Where a level of Q has no mass at all but P
// has (a top level holding only clipped outliers), Q gets kEmptyLevelMass of one value per bin,
// as the reference implementations smooth Q, so the divergence stays finite and grows with the
// clipped mass instead of ruling out every threshold between the body and the outliers.
//
// The divergence measures resolution only through how Q smears a level's mass over its bins, so
// it is meant for a density. Two kinds of mass are not one and are left out:
// - Exact zeros (half of a ReLU output): 0 is always on the grid, so they cost nothing at any
//   threshold, yet their spike in the first bin would pull the divergence towards thresholds
//   that crush everything else.
// - Point masses elsewhere (point_masses_removed): a convolution over a constant region (the
//   zero background of an image) gives relu(bias) at every pixel of it, one exact value per
//   channel. Quantizing such a value moves it by at most half a step, like any other, but the
//   divergence of merging its towering bin with its neighbours is its whole mass times the log
//   of the merge factor, and whether a candidate merges it at all depends on where the level
//   edges fall. On the reference CNN's first ReLU nine such values hold 43% of the non-zero
//   mass, and the search settled on whichever candidate happened to give them levels of their
//   own (1.36 against a maximum of 7.6). The threshold never cuts below a point mass: clipping
//   a value that carries that much of the data costs more than any resolution gains.
// When nothing but zeros and point masses remain (an image input of n / 255 values), the
// threshold is the largest |x|.
double RangeCollector::entropy_threshold() const {
  constexpr double kEmptyLevelMass = 1e-4;
  if (empty() || histogram_max_ == 0) return 0;
  std::vector<std::uint64_t> observed = histogram_;
  observed[0] -= std::min<std::uint64_t>(observed[0], exact_zeros_);
  std::size_t last_point_mass = 0;  // one past the highest bin holding a point mass
  const std::vector<std::uint64_t> histogram = point_masses_removed(observed, &last_point_mass);
  const std::size_t bins = histogram.size();
  const std::size_t levels = this->levels();
  std::size_t used = 0;  // bins up to the last non-empty one
  for (std::size_t i = 0; i < bins; ++i) {
    if (histogram[i] != 0) used = i + 1;
  }
  if (used == 0) return std::max(std::fabs(min_), std::fabs(max_));
  const std::size_t first_candidate = std::max(levels, last_point_mass);
  // Beyond `used` P no longer changes while Q only gets coarser.
  const std::size_t last_candidate = std::min(bins, std::max(first_candidate, used));
  std::vector<double> p(bins), q(bins);
  double outliers = 0;
  for (std::size_t j = first_candidate; j < bins; ++j) {
    outliers += static_cast<double>(histogram[j]);
  }

  double best_divergence = std::numeric_limits<double>::infinity();
  std::size_t best = last_candidate;
  for (std::size_t i = first_candidate; i <= last_candidate; ++i) {
    // outliers = sum of histogram[i..bins)
    if (i > first_candidate) outliers -= static_cast<double>(histogram[i - 1]);
    for (std::size_t j = 0; j < i; ++j) p[j] = static_cast<double>(histogram[j]);
    p[i - 1] += outliers;
    for (std::size_t level = 0; level < levels; ++level) {
      const std::size_t begin = level * i / levels, end = (level + 1) * i / levels;
      double mass = 0;
      std::size_t nonzero = 0;
      for (std::size_t j = begin; j < end; ++j) {
        mass += static_cast<double>(histogram[j]);
        nonzero += p[j] > 0 ? 1 : 0;
      }
      const double per_bin = mass > 0 ? mass / static_cast<double>(nonzero) : kEmptyLevelMass;
      for (std::size_t j = begin; j < end; ++j) q[j] = p[j] > 0 ? per_bin : 0.0;
    }
    double p_total = 0, q_total = 0;
    for (std::size_t j = 0; j < i; ++j) {
      p_total += p[j];
      q_total += q[j];
    }
    double divergence = 0;
    for (std::size_t j = 0; j < i; ++j) {
      if (p[j] > 0) divergence += p[j] / p_total * std::log((p[j] / p_total) / (q[j] / q_total));
    }
    if (divergence < best_divergence) {
      best_divergence = divergence;
      best = i;
    }
  }
  return (static_cast<double>(best) + 0.5) * bin_width();
}

// Expected squared error of quantizing |x| with threshold T = i bins and step
// delta = T / (levels - 1): values inside get uniform rounding noise delta^2 / 12 (exact zeros
// none: 0 is always on the grid), values beyond T (at their bin centres c) lose (c - T)^2.
// Suffix sums over the bins beyond T make each candidate O(1).
double RangeCollector::mse_threshold() const {
  if (empty() || histogram_max_ == 0) return 0;
  const std::size_t bins = histogram_.size();
  const double width = bin_width();
  const double steps = static_cast<double>(levels() - 1);
  std::vector<double> beyond_count(bins + 1, 0), beyond_sum(bins + 1, 0),
      beyond_square(bins + 1, 0);
  for (std::size_t j = bins; j-- > 0;) {
    const auto h = static_cast<double>(histogram_[j]);
    const double centre = (static_cast<double>(j) + 0.5) * width;
    beyond_count[j] = beyond_count[j + 1] + h;
    beyond_sum[j] = beyond_sum[j + 1] + h * centre;
    beyond_square[j] = beyond_square[j + 1] + h * centre * centre;
  }
  const auto total = static_cast<double>(count_);
  const auto zeros = static_cast<double>(exact_zeros_);
  double best_error = std::numeric_limits<double>::infinity();
  std::size_t best = bins;
  for (std::size_t i = 1; i <= bins; ++i) {
    const double t = static_cast<double>(i) * width;
    const double delta = t / steps;
    const double inside = std::max(0.0, total - beyond_count[i] - zeros);
    const double clipped = beyond_square[i] - 2 * t * beyond_sum[i] + t * t * beyond_count[i];
    const double error = inside * delta * delta / 12 + std::max(0.0, clipped);
    if (error < best_error) {
      best_error = error;
      best = i;
    }
    if (beyond_count[i] == 0) break;  // nothing left to clip: larger T only adds noise
  }
  return static_cast<double>(best) * width;
}

}  // namespace edgebench::passes
