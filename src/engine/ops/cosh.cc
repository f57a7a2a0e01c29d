// Cosh: y = cosh(x). ONNX opset 9.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct CoshOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::cosh(x);
  }
};

}  // namespace

OpDef cosh_op() { return {"", "Cosh", 9, &make_unary_kernel<CoshOp>}; }

}  // namespace edgebench::engine::ops
