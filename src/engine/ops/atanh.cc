// Atanh: y = artanh(x). ONNX opset 9.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AtanhOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::atanh(x);
  }
};

}  // namespace

OpDef atanh_op() { return {"", "Atanh", 9, &make_unary_kernel<AtanhOp>}; }

}  // namespace edgebench::engine::ops
