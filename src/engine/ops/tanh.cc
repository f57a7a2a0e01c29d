// Tanh: y = tanh(x). ONNX opsets 1, 6, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct TanhOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::tanh(x);
  }
};

}  // namespace

OpDef tanh_op() { return {"", "Tanh", 1, &make_unary_kernel<TanhOp>}; }

}  // namespace edgebench::engine::ops
