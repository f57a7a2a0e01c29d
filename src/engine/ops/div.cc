// Div: c = a / b with broadcasting. ONNX opsets 1 and 6 (legacy broadcast attribute), 7, 13, 14.
// Integer division truncates toward zero like C (as the ONNX tests expect); an integer division by
// zero gives 0 rather than trapping, and INT_MIN / -1 wraps to INT_MIN.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct DivOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return C(0);
      if constexpr (std::is_signed_v<C>) {
        if (b == C(-1)) return wrapping_neg(a);
      }
    }
    return static_cast<C>(a / b);
  }
};

}  // namespace

OpDef div_op() { return {"", "Div", 1, &make_binary_kernel<DivOp>}; }

}  // namespace edgebench::engine::ops
