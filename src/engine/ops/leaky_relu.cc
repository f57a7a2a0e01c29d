// LeakyRelu: y = x < 0 ? alpha * x : x (alpha defaults to 0.01). ONNX opsets 1, 6, 16.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct LeakyReluOp {
  using Types = FloatTypes;
  float alpha = 0.01f;

  static Result<LeakyReluOp> create(const KernelCreateContext& ctx) {
    LeakyReluOp op;
    EB_ASSIGN_OR_RETURN(op.alpha, ctx.node.attributes.get_float("alpha", 0.01f));
    return op;
  }

  template <typename C>
  C operator()(C x) const {
    return x < C(0) ? static_cast<C>(alpha) * x : x;
  }
};

}  // namespace

OpDef leaky_relu_op() { return {"", "LeakyRelu", 1, &make_unary_kernel<LeakyReluOp>}; }

}  // namespace edgebench::engine::ops
