// Reciprocal: y = 1 / x. ONNX opsets 1, 6, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct ReciprocalOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return C(1) / x;
  }
};

}  // namespace

OpDef reciprocal_op() { return {"", "Reciprocal", 1, &make_unary_kernel<ReciprocalOp>}; }

}  // namespace edgebench::engine::ops
