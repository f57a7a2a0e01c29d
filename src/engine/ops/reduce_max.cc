// ReduceMax: largest value over the given axes. Opsets 1, 11, 12, 13, 18 (axes
// becomes an input). NaN propagates; an empty reduction gives the lowest value of the type
// (-inf for floating types).
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct MaxReducer {
  static constexpr std::string_view kName = "ReduceMax";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    C best = std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity()
                                                  : std::numeric_limits<C>::lowest();
    for (C v : values) {
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(v)) return v;
      }
      if (v > best) best = v;
    }
    return best;
  }
};

}  // namespace

OpDef reduce_max_op() { return {"", "ReduceMax", 1, &make_kernel<ReduceKernel<MaxReducer>>}; }

}  // namespace edgebench::engine::ops
