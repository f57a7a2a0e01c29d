// Tan: y = tan(x). ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct TanOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::tan(x);
  }
};

}  // namespace

OpDef tan_op() { return {"", "Tan", 7, &make_unary_kernel<TanOp>}; }

}  // namespace edgebench::engine::ops
