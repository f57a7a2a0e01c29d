// Less: c = (a < b), a bool tensor, with broadcasting. ONNX opsets 7, 9, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct LessOp {
  using Types = NumericTypes;
  template <typename C>
  bool operator()(C a, C b) const {
    return a < b;
  }
};

}  // namespace

OpDef less_op() { return {"", "Less", 7, &make_binary_kernel<LessOp>}; }

}  // namespace edgebench::engine::ops
