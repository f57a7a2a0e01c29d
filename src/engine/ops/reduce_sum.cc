// ReduceSum: sum over the given axes. Opsets 1, 11, 13 (axes becomes an input).
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct SumReducer {
  static constexpr std::string_view kName = "ReduceSum";
  static constexpr std::int64_t kAxesInputSince = 13;

  template <typename C>
  static C reduce(std::span<const C> values) {
    C sum = 0;
    for (C v : values) sum = wrapping_add(sum, v);
    return sum;
  }
};

}  // namespace

OpDef reduce_sum_op() { return {"", "ReduceSum", 1, &make_kernel<ReduceKernel<SumReducer>>}; }

}  // namespace edgebench::engine::ops
