// Cos: y = cos(x). ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct CosOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::cos(x);
  }
};

}  // namespace

OpDef cos_op() { return {"", "Cos", 7, &make_unary_kernel<CosOp>}; }

}  // namespace edgebench::engine::ops
