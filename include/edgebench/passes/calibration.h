// Activation range estimation for static quantization: a RangeCollector watches the values a
// tensor takes over a calibration set and proposes the [min, max] its quantization should cover.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::passes {

enum class CalibrationMethod { kMinMax, kPercentile, kEntropy, kMse };

// "minmax", "percentile", "entropy", "mse"; kInvalidArgument names the accepted spellings.
Result<CalibrationMethod> parse_calibration_method(std::string_view name);
std::string_view calibration_method_name(CalibrationMethod method);

struct TensorRange {
  float min = 0, max = 0;
};

// Running min / max plus a histogram of |x| for one tensor. Not thread-safe; use one collector
// per tensor (they are independent, so tensors may be collected in parallel).
//
// The histogram has `bins` equal bins over [0, H), where H is the smallest power of two above
// the largest |x| seen (not |x| itself, as TensorRT does): a batch with a larger |x| doubles H,
// merging pairs of bins, and because every bin edge is a power-of-two multiple, the histogram
// after any sequence of batches is exactly the one a single batch of all the values would give.
// The price is at most half of the bins unused at the top.
//
// Thresholds T act on |x|; every method returns [max(min, -T), min(max, T)], so a non-negative
// tensor keeps min = 0 (and, like the observed range, every range contains 0 only if the data
// does). With 8-bit quantization, |x| gets 128 levels when the data has negative values and 256
// when it is non-negative (asymmetric quantization spends all levels on [0, T]).
//
// An empty collector (no finite value seen) returns the zero range {0, 0} from every method.
class RangeCollector {
 public:
  // `bins` is raised to at least 256 (the entropy method's smallest candidate) and to an even
  // count; a power of two keeps bin edges exact.
  explicit RangeCollector(std::size_t bins = 2048);

  // Adds one batch of observed values (any number of batches). NaN and infinities are ignored.
  void add(std::span<const float> values);

  bool empty() const { return count_ == 0; }
  std::uint64_t count() const { return count_; }  // finite values seen
  std::size_t bins() const { return histogram_.size(); }
  // Upper end H of the histogram (0 while every value seen is 0).
  double histogram_max() const { return histogram_max_; }
  const std::vector<std::uint64_t>& histogram() const { return histogram_; }

  // The observed [min, max].
  TensorRange minmax() const;
  // kMinMax: minmax(). kPercentile: T = the `percentile`-th percentile of |x| (linear within a
  // histogram bin; `percentile` is clamped to [0, 100]). kEntropy: TensorRT's KL-divergence
  // threshold over the density of |x|, without exact zeros and without point masses (bins that
  // tower over their neighbours, such as relu(bias) over an image's blank background), never
  // below a point mass (calibration.cc). kMse: the T minimising the expected squared error of 8-bit
  // quantization (rounding noise inside, clipping error outside). `is_signed_int8` names the
  // target type; both 8-bit types have 256 levels, so the level counts above do not depend on it.
  TensorRange range(CalibrationMethod method, double percentile = 99.99,
                    bool is_signed_int8 = true) const;

  // The thresholds on |x| behind range() (0 for an empty collector).
  double percentile_threshold(double percentile) const;
  double entropy_threshold() const;
  double mse_threshold() const;

 private:
  double bin_width() const { return histogram_max_ / static_cast<double>(histogram_.size()); }
  std::size_t levels() const { return min_ >= 0 ? 256 : 128; }
  TensorRange clip(double threshold) const;

  std::vector<std::uint64_t> histogram_;
  double histogram_max_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t exact_zeros_ = 0;  // quantize without error, which the MSE estimate uses
  float min_ = 0, max_ = 0;
};

}  // namespace edgebench::passes
