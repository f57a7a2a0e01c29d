// Exp: y = e^x. ONNX opsets 1, 6, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct ExpOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::exp(x);
  }
};

}  // namespace

OpDef exp_op() { return {"", "Exp", 1, &make_unary_kernel<ExpOp>}; }

}  // namespace edgebench::engine::ops
