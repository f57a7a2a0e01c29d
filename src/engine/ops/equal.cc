// Equal: c = (a == b), a bool tensor, with broadcasting. ONNX opsets 7, 11, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct EqualOp {
  using Types = AllTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a == b;
  }
};

}  // namespace

OpDef equal_op() { return {"", "Equal", 7, &make_binary_kernel<EqualOp>}; }

}  // namespace edgebench::engine::ops
