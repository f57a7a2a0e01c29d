// ReduceMean: arithmetic mean over the given axes. Opsets 1, 11, 13, 18 (axes becomes
// an input). Integer means truncate toward zero, as the ONNX reference does.
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct MeanReducer {
  static constexpr std::string_view kName = "ReduceMean";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    C sum = 0;
    for (C v : values) sum = wrapping_add(sum, v);
    const auto count = static_cast<C>(values.size());
    if constexpr (std::is_floating_point_v<C>) {
      return sum / count;  // NaN for an empty reduction, as NumPy's mean
    } else {
      return values.empty() ? C(0) : sum / count;
    }
  }
};

}  // namespace

OpDef reduce_mean_op() { return {"", "ReduceMean", 1, &make_kernel<ReduceKernel<MeanReducer>>}; }

}  // namespace edgebench::engine::ops
