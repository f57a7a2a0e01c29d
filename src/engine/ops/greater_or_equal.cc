// GreaterOrEqual: c = (a >= b), a bool tensor, with broadcasting. ONNX opsets 12, 16.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct GreaterOrEqualOp {
  using Types = NumericTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a >= b;
  }
};

}  // namespace

OpDef greater_or_equal_op() {
  return {"", "GreaterOrEqual", 12, &make_binary_kernel<GreaterOrEqualOp>};
}

}  // namespace edgebench::engine::ops
