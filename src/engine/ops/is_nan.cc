// IsNaN: y = isnan(x), a bool tensor. ONNX opsets 9, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct IsNaNOp {
  using Types = FloatTypes;
  template <typename C>
  bool operator()(C x) const {
    return std::isnan(x);
  }
};

}  // namespace

OpDef is_nan_op() { return {"", "IsNaN", 9, &make_unary_kernel<IsNaNOp>}; }

}  // namespace edgebench::engine::ops
