// HardSigmoid: y = max(0, min(1, alpha * x + beta)) (alpha 0.2, beta 0.5 by default).
// ONNX opsets 1, 6.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct HardSigmoidOp {
  using Types = FloatTypes;
  float alpha = 0.2f;
  float beta = 0.5f;

  static Result<HardSigmoidOp> create(const KernelCreateContext& ctx) {
    HardSigmoidOp op;
    EB_ASSIGN_OR_RETURN(op.alpha, ctx.node.attributes.get_float("alpha", 0.2f));
    EB_ASSIGN_OR_RETURN(op.beta, ctx.node.attributes.get_float("beta", 0.5f));
    return op;
  }

  template <typename C>
  C operator()(C x) const {
    const C y = static_cast<C>(alpha) * x + static_cast<C>(beta);
    return std::max(C(0), std::min(C(1), y));
  }
};

}  // namespace

OpDef hard_sigmoid_op() { return {"", "HardSigmoid", 1, &make_unary_kernel<HardSigmoidOp>}; }

}  // namespace edgebench::engine::ops
