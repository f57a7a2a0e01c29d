// Elu: y = x < 0 ? alpha * (e^x - 1) : x (alpha defaults to 1). ONNX opsets 1, 6.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct EluOp {
  using Types = FloatTypes;
  float alpha = 1.0f;

  static Result<EluOp> create(const KernelCreateContext& ctx) {
    EluOp op;
    EB_ASSIGN_OR_RETURN(op.alpha, ctx.node.attributes.get_float("alpha", 1.0f));
    return op;
  }

  template <typename C>
  C operator()(C x) const {
    // expm1 keeps precision for x near 0, where e^x - 1 cancels.
    return x < C(0) ? static_cast<C>(alpha) * std::expm1(x) : x;
  }
};

}  // namespace

OpDef elu_op() { return {"", "Elu", 1, &make_unary_kernel<EluOp>}; }

}  // namespace edgebench::engine::ops
