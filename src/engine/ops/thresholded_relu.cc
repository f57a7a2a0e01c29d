// ThresholdedRelu: y = x > alpha ? x : 0 (alpha defaults to 1). ONNX opset 10.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct ThresholdedReluOp {
  using Types = FloatTypes;
  float alpha = 1.0f;

  static Result<ThresholdedReluOp> create(const KernelCreateContext& ctx) {
    ThresholdedReluOp op;
    EB_ASSIGN_OR_RETURN(op.alpha, ctx.node.attributes.get_float("alpha", 1.0f));
    return op;
  }

  template <typename C>
  C operator()(C x) const {
    return x > static_cast<C>(alpha) ? x : C(0);
  }
};

}  // namespace

OpDef thresholded_relu_op() {
  return {"", "ThresholdedRelu", 10, &make_unary_kernel<ThresholdedReluOp>};
}

}  // namespace edgebench::engine::ops
