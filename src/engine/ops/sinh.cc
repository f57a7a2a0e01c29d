// Sinh: y = sinh(x). ONNX opset 9.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SinhOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::sinh(x);
  }
};

}  // namespace

OpDef sinh_op() { return {"", "Sinh", 9, &make_unary_kernel<SinhOp>}; }

}  // namespace edgebench::engine::ops
