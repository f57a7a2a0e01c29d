// Softplus: y = ln(e^x + 1). ONNX opset 1.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SoftplusOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    // ln(e^x + 1) = x + ln(1 + e^-x): exponentiate only -|x| so large x does not overflow.
    return std::max(x, C(0)) + std::log1p(std::exp(-std::abs(x)));
  }
};

}  // namespace

OpDef softplus_op() { return {"", "Softplus", 1, &make_unary_kernel<SoftplusOp>}; }

}  // namespace edgebench::engine::ops
