// Acos: y = arccos(x). ONNX opset 7.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AcosOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::acos(x);
  }
};

}  // namespace

OpDef acos_op() { return {"", "Acos", 7, &make_unary_kernel<AcosOp>}; }

}  // namespace edgebench::engine::ops
