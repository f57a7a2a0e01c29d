// Atan: y = arctan(x). ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AtanOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::atan(x);
  }
};

}  // namespace

OpDef atan_op() { return {"", "Atan", 7, &make_unary_kernel<AtanOp>}; }

}  // namespace edgebench::engine::ops
