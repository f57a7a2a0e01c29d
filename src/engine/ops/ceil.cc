// Ceil: y = ceil(x). ONNX opsets 1, 6, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct CeilOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::ceil(x);
  }
};

}  // namespace

OpDef ceil_op() { return {"", "Ceil", 1, &make_unary_kernel<CeilOp>}; }

}  // namespace edgebench::engine::ops
