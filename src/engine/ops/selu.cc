// Selu: y = gamma * (x > 0 ? x : alpha * (e^x - 1)). ONNX opsets 1, 6.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

// The spec's defaults, as float32 values.
constexpr float kDefaultAlpha = 1.67326319217681884765625f;
constexpr float kDefaultGamma = 1.05070102214813232421875f;

struct SeluOp {
  using Types = FloatTypes;
  float alpha = kDefaultAlpha;
  float gamma = kDefaultGamma;

  static Result<SeluOp> create(const KernelCreateContext& ctx) {
    SeluOp op;
    EB_ASSIGN_OR_RETURN(op.alpha, ctx.node.attributes.get_float("alpha", kDefaultAlpha));
    EB_ASSIGN_OR_RETURN(op.gamma, ctx.node.attributes.get_float("gamma", kDefaultGamma));
    return op;
  }

  template <typename C>
  C operator()(C x) const {
    const C y = x > C(0) ? x : static_cast<C>(alpha) * std::expm1(x);
    return static_cast<C>(gamma) * y;
  }
};

}  // namespace

OpDef selu_op() { return {"", "Selu", 1, &make_unary_kernel<SeluOp>}; }

}  // namespace edgebench::engine::ops
