// Asinh: y = arsinh(x). ONNX opset 9.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AsinhOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::asinh(x);
  }
};

}  // namespace

OpDef asinh_op() { return {"", "Asinh", 9, &make_unary_kernel<AsinhOp>}; }

}  // namespace edgebench::engine::ops
