// Not: y = !x on bool tensors. ONNX opset 1.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct NotOp {
  using Types = BoolTypes;
  template <typename C>
  C operator()(C x) const {
    return !x;
  }
};

}  // namespace

OpDef not_op() { return {"", "Not", 1, &make_unary_kernel<NotOp>}; }

}  // namespace edgebench::engine::ops
