// Softsign: y = x / (1 + |x|). ONNX opset 1.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SoftsignOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return x / (C(1) + std::abs(x));
  }
};

}  // namespace

OpDef softsign_op() { return {"", "Softsign", 1, &make_unary_kernel<SoftsignOp>}; }

}  // namespace edgebench::engine::ops
