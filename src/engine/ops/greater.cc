// Greater: c = (a > b), a bool tensor, with broadcasting. ONNX opsets 7, 9, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct GreaterOp {
  using Types = NumericTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a > b;
  }
};

}  // namespace

OpDef greater_op() { return {"", "Greater", 7, &make_binary_kernel<GreaterOp>}; }

}  // namespace edgebench::engine::ops
