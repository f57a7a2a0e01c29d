// Sqrt: y = sqrt(x). ONNX opsets 1, 6, 13 (opset 1's consumed_inputs is a legacy hint, ignored).
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SqrtOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::sqrt(x);
  }
};

}  // namespace

OpDef sqrt_op() { return {"", "Sqrt", 1, &make_unary_kernel<SqrtOp>}; }

}  // namespace edgebench::engine::ops
