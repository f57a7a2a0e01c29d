// ReduceMin: smallest value over the given axes. Opsets 1, 11, 12, 13, 18 (axes
// becomes an input). NaN propagates; an empty reduction gives the largest value of the type
// (+inf for floating types).
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct MinReducer {
  static constexpr std::string_view kName = "ReduceMin";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    C best = std::numeric_limits<C>::has_infinity ? std::numeric_limits<C>::infinity()
                                                  : std::numeric_limits<C>::max();
    for (C v : values) {
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(v)) return v;
      }
      if (v < best) best = v;
    }
    return best;
  }
};

}  // namespace

OpDef reduce_min_op() { return {"", "ReduceMin", 1, &make_kernel<ReduceKernel<MinReducer>>}; }

}  // namespace edgebench::engine::ops
