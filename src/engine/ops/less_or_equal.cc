// LessOrEqual: c = (a <= b), a bool tensor, with broadcasting. ONNX opsets 12, 16.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct LessOrEqualOp {
  using Types = NumericTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a <= b;
  }
};

}  // namespace

OpDef less_or_equal_op() { return {"", "LessOrEqual", 12, &make_binary_kernel<LessOrEqualOp>}; }

}  // namespace edgebench::engine::ops
