// ReduceLogSum: log of the sum over the given axes. Opsets 1, 11, 13, 18 (axes becomes
// an input). Integer types compute in double and truncate.
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct LogSumReducer {
  static constexpr std::string_view kName = "ReduceLogSum";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    double sum = 0;
    for (C v : values) sum += static_cast<double>(v);
    return accumulator_from_double<C>(std::log(sum));
  }
};

}  // namespace

OpDef reduce_log_sum_op() {
  return {"", "ReduceLogSum", 1, &make_kernel<ReduceKernel<LogSumReducer>>};
}

}  // namespace edgebench::engine::ops
