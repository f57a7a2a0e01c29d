// ReduceSumSquare: sum of squares over the given axes. Opsets 1, 11, 13, 18 (axes becomes
// an input).
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct SumSquareReducer {
  static constexpr std::string_view kName = "ReduceSumSquare";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    C sum = 0;
    for (C v : values) sum = wrapping_add(sum, wrapping_mul(v, v));
    return sum;
  }
};

}  // namespace

OpDef reduce_sum_square_op() {
  return {"", "ReduceSumSquare", 1, &make_kernel<ReduceKernel<SumSquareReducer>>};
}

}  // namespace edgebench::engine::ops
