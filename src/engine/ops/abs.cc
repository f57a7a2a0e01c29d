// Abs: y = |x|. ONNX opsets 1, 6 (adds integer types), 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AbsOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) {
      return x;
    } else if constexpr (std::is_integral_v<C>) {
      return x < 0 ? wrapping_neg(x) : x;  // |INT_MIN| wraps to INT_MIN, as in NumPy
    } else {
      return std::abs(x);
    }
  }
};

}  // namespace

OpDef abs_op() { return {"", "Abs", 1, &make_unary_kernel<AbsOp>}; }

}  // namespace edgebench::engine::ops
