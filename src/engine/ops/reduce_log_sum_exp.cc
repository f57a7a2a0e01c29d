// ReduceLogSumExp: log(sum(exp(x))) over the given axes. Opsets 1, 11, 13, 18 (axes
// becomes an input). Integer types compute in double and truncate.
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct LogSumExpReducer {
  static constexpr std::string_view kName = "ReduceLogSumExp";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    // Shifting by the maximum keeps exp() from overflowing; the result is the same.
    double shift = -std::numeric_limits<double>::infinity();
    for (C v : values) shift = std::max(shift, static_cast<double>(v));
    if (!std::isfinite(shift)) return accumulator_from_double<C>(shift);  // empty, or an inf
    double sum = 0;
    for (C v : values) sum += std::exp(static_cast<double>(v) - shift);
    return accumulator_from_double<C>(shift + std::log(sum));
  }
};

}  // namespace

OpDef reduce_log_sum_exp_op() {
  return {"", "ReduceLogSumExp", 1, &make_kernel<ReduceKernel<LogSumExpReducer>>};
}

}  // namespace edgebench::engine::ops
