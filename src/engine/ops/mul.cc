// Mul: c = a * b with broadcasting; integers wrap around. ONNX opsets 1 and 6 (legacy broadcast
// attribute), 7, 13, 14.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct MulOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C a, C b) const {
    return wrapping_mul(a, b);
  }
};

}  // namespace

OpDef mul_op() { return {"", "Mul", 1, &make_binary_kernel<MulOp>}; }

}  // namespace edgebench::engine::ops
