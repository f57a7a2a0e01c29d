// Asin: y = arcsin(x). ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AsinOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::asin(x);
  }
};

}  // namespace

OpDef asin_op() { return {"", "Asin", 7, &make_unary_kernel<AsinOp>}; }

}  // namespace edgebench::engine::ops
