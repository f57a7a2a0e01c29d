// IsInf: y = x is +inf (when detect_positive) or -inf (when detect_negative), a bool tensor.
// ONNX opset 10 (float, double; float16 is accepted too, as later opsets do).
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct IsInfOp {
  using Types = FloatTypes;
  bool detect_positive = true;
  bool detect_negative = true;

  static Result<IsInfOp> create(const KernelCreateContext& ctx) {
    IsInfOp op;
    EB_ASSIGN_OR_RETURN(const std::int64_t positive,
                        ctx.node.attributes.get_int("detect_positive", 1));
    EB_ASSIGN_OR_RETURN(const std::int64_t negative,
                        ctx.node.attributes.get_int("detect_negative", 1));
    op.detect_positive = positive != 0;
    op.detect_negative = negative != 0;
    return op;
  }

  template <typename C>
  bool operator()(C x) const {
    if (!std::isinf(x)) return false;
    return x > C(0) ? detect_positive : detect_negative;
  }
};

}  // namespace

OpDef is_inf_op() { return {"", "IsInf", 10, &make_unary_kernel<IsInfOp>}; }

}  // namespace edgebench::engine::ops
