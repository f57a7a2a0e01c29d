// Neg: y = -x. ONNX opsets 1, 6 (adds signed integer types), 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct NegOp {
  using Types = SignedNumericTypes;
  template <typename C>
  C operator()(C x) const {
    return wrapping_neg(x);  // -INT_MIN wraps to INT_MIN instead of overflowing
  }
};

}  // namespace

OpDef neg_op() { return {"", "Neg", 1, &make_unary_kernel<NegOp>}; }

}  // namespace edgebench::engine::ops
