// Sigmoid: y = 1 / (1 + e^-x). ONNX opsets 1, 6, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SigmoidOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    // Only ever exponentiate a non-positive number, so e^x cannot overflow to inf / inf.
    if (x >= C(0)) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
  }
};

}  // namespace

OpDef sigmoid_op() { return {"", "Sigmoid", 1, &make_unary_kernel<SigmoidOp>}; }

}  // namespace edgebench::engine::ops
