// TEMPORARY STUB (replaced by the real header on merge)
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string_view>

#include "edgebench/core/status.h"
namespace edgebench::passes {
enum class CalibrationMethod { kMinMax, kPercentile, kEntropy, kMse };
inline Result<CalibrationMethod> parse_calibration_method(std::string_view s) {
  if (s == "minmax") return CalibrationMethod::kMinMax;
  if (s == "percentile") return CalibrationMethod::kPercentile;
  if (s == "entropy") return CalibrationMethod::kEntropy;
  if (s == "mse") return CalibrationMethod::kMse;
  return invalid_argument("bad method");
}
struct TensorRange {
  float min = 0, max = 0;
};
class RangeCollector {
 public:
  explicit RangeCollector(std::size_t bins = 2048) { (void)bins; }
  void add(std::span<const float> v) {
    for (float x : v)
      if (std::isfinite(x)) {
        r_.min = std::min(r_.min, x);
        r_.max = std::max(r_.max, x);
      }
  }
  TensorRange minmax() const { return r_; }
  TensorRange range(CalibrationMethod, double = 99.99, bool = true) const { return r_; }

 private:
  TensorRange r_;
};
}  // namespace edgebench::passes
