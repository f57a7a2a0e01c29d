// Round: y = x rounded to the nearest integer, halves to even (as NumPy). ONNX opset 11.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct RoundOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    // nearbyint uses the default rounding mode, round-half-to-even; std::round would round
    // halves away from zero.
    return std::nearbyint(x);
  }
};

}  // namespace

OpDef round_op() { return {"", "Round", 11, &make_unary_kernel<RoundOp>}; }

}  // namespace edgebench::engine::ops
