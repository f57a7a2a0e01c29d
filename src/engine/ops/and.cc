// And: c = a && b on bool tensors, with broadcasting. ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AndOp {
  using Types = BoolTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a && b;
  }
};

}  // namespace

OpDef and_op() { return {"", "And", 7, &make_binary_kernel<AndOp>}; }

}  // namespace edgebench::engine::ops
