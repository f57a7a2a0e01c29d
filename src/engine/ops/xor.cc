// Xor: c = a != b on bool tensors, with broadcasting. ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct XorOp {
  using Types = BoolTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a != b;
  }
};

}  // namespace

OpDef xor_op() { return {"", "Xor", 7, &make_binary_kernel<XorOp>}; }

}  // namespace edgebench::engine::ops
