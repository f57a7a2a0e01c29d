// Or: c = a || b on bool tensors, with broadcasting. ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct OrOp {
  using Types = BoolTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a || b;
  }
};

}  // namespace

OpDef or_op() { return {"", "Or", 7, &make_binary_kernel<OrOp>}; }

}  // namespace edgebench::engine::ops
