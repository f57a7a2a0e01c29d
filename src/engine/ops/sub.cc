// Sub: c = a - b with broadcasting; integers wrap around. ONNX opsets 1 and 6 (legacy broadcast
// attribute), 7, 13, 14.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SubOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C a, C b) const {
    return wrapping_sub(a, b);
  }
};

}  // namespace

OpDef sub_op() { return {"", "Sub", 1, &make_binary_kernel<SubOp>}; }

}  // namespace edgebench::engine::ops
