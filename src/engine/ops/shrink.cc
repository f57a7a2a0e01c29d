// Shrink: y = x < -lambd ? x + bias : (x > lambd ? x - bias : 0) (lambd 0.5, bias 0 by
// default). ONNX opset 9; integer inputs are computed in double and rounded toward zero.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct ShrinkOp {
  using Types = NumericTypes;
  float lambd = 0.5f;
  float bias = 0.0f;

  static Result<ShrinkOp> create(const KernelCreateContext& ctx) {
    ShrinkOp op;
    EB_ASSIGN_OR_RETURN(op.lambd, ctx.node.attributes.get_float("lambd", 0.5f));
    EB_ASSIGN_OR_RETURN(op.bias, ctx.node.attributes.get_float("bias", 0.0f));
    return op;
  }

  template <typename C>
  C operator()(C x) const {
    const double v = static_cast<double>(x);
    double y = 0.0;
    if (v < -static_cast<double>(lambd))
      y = v + static_cast<double>(bias);
    else if (v > static_cast<double>(lambd))
      y = v - static_cast<double>(bias);
    if constexpr (std::is_floating_point_v<C>) {
      return static_cast<C>(y);
    } else {
      return saturate_cast<C>(y);
    }
  }
};

}  // namespace

OpDef shrink_op() { return {"", "Shrink", 9, &make_unary_kernel<ShrinkOp>}; }

}  // namespace edgebench::engine::ops
