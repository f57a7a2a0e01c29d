// Sign: y = -1, 0 or 1 by the sign of x (NaN stays NaN). ONNX opsets 9, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SignOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C x) const {
    if (x > C(0)) return C(1);
    if constexpr (std::is_signed_v<C>) {
      if (x < C(0)) return C(-1);
    }
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(x)) return x;
    }
    return C(0);
  }
};

}  // namespace

OpDef sign_op() { return {"", "Sign", 9, &make_unary_kernel<SignOp>}; }

}  // namespace edgebench::engine::ops
