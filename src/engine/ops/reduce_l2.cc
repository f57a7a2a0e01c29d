// ReduceL2: Euclidean norm over the given axes. Opsets 1, 11, 13, 18 (axes becomes
// an input). Integer types compute in double and truncate, as the ONNX reference does.
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct L2Reducer {
  static constexpr std::string_view kName = "ReduceL2";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    double sum = 0;
    for (C v : values) sum += static_cast<double>(v) * static_cast<double>(v);
    return accumulator_from_double<C>(std::sqrt(sum));
  }
};

}  // namespace

OpDef reduce_l2_op() { return {"", "ReduceL2", 1, &make_kernel<ReduceKernel<L2Reducer>>}; }

}  // namespace edgebench::engine::ops
