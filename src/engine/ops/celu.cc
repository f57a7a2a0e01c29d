// Celu: y = max(0, x) + min(0, alpha * (e^(x / alpha) - 1)) (alpha defaults to 1).
// ONNX opset 12 (float; double and float16 are accepted too).
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct CeluOp {
  using Types = FloatTypes;
  float alpha = 1.0f;

  static Result<CeluOp> create(const KernelCreateContext& ctx) {
    CeluOp op;
    EB_ASSIGN_OR_RETURN(op.alpha, ctx.node.attributes.get_float("alpha", 1.0f));
    if (op.alpha == 0.0f) return invalid_model("attribute 'alpha' must not be 0");
    return op;
  }

  template <typename C>
  C operator()(C x) const {
    const C a = static_cast<C>(alpha);
    return std::max(C(0), x) + std::min(C(0), a * std::expm1(x / a));
  }
};

}  // namespace

OpDef celu_op() { return {"", "Celu", 12, &make_unary_kernel<CeluOp>}; }

}  // namespace edgebench::engine::ops
