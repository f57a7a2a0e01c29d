// Max: elementwise maximum of 1 or more inputs, with broadcasting; NaN wins (as NumPy).
// ONNX opsets 1, 6, 8 (broadcasting), 12 (integer types), 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct MaxOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C acc, C x) const {
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(acc)) return acc;
      if (std::isnan(x)) return x;
    }
    return x > acc ? x : acc;
  }
};

}  // namespace

OpDef max_op() { return {"", "Max", 1, &make_kernel<VariadicKernel<MaxOp>>}; }

}  // namespace edgebench::engine::ops
