// HardSwish: y = x * max(0, min(1, x / 6 + 1/2)). ONNX opset 14.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct HardSwishOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    const C gate = x / C(6) + C(0.5);
    return x * std::max(C(0), std::min(C(1), gate));
  }
};

}  // namespace

OpDef hard_swish_op() { return {"", "HardSwish", 14, &make_unary_kernel<HardSwishOp>}; }

}  // namespace edgebench::engine::ops
