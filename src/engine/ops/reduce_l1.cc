// ReduceL1: sum of absolute values over the given axes. Opsets 1, 11, 13, 18 (axes
// becomes an input).
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct L1Reducer {
  static constexpr std::string_view kName = "ReduceL1";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    C sum = 0;
    for (C v : values) {
      if constexpr (std::is_floating_point_v<C>) {
        sum += std::fabs(v);
      } else if constexpr (std::is_signed_v<C>) {
        sum = wrapping_add(sum, v < 0 ? wrapping_mul(v, C(-1)) : v);
      } else {
        sum += v;
      }
    }
    return sum;
  }
};

}  // namespace

OpDef reduce_l1_op() { return {"", "ReduceL1", 1, &make_kernel<ReduceKernel<L1Reducer>>}; }

}  // namespace edgebench::engine::ops
