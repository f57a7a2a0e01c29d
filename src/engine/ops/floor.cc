// Floor: y = floor(x). ONNX opsets 1, 6, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct FloorOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::floor(x);
  }
};

}  // namespace

OpDef floor_op() { return {"", "Floor", 1, &make_unary_kernel<FloorOp>}; }

}  // namespace edgebench::engine::ops
