// Sin: y = sin(x). ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SinOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::sin(x);
  }
};

}  // namespace

OpDef sin_op() { return {"", "Sin", 7, &make_unary_kernel<SinOp>}; }

}  // namespace edgebench::engine::ops
