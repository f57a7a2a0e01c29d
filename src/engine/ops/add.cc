// Add: c = a + b with broadcasting; integers wrap around. ONNX opsets 1 and 6 (legacy broadcast
// attribute), 7, 13, 14.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AddOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C a, C b) const {
    return wrapping_add(a, b);
  }
};

}  // namespace

OpDef add_op() { return {"", "Add", 1, &make_binary_kernel<AddOp>}; }

}  // namespace edgebench::engine::ops
