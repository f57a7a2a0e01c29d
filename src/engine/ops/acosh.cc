// Acosh: y = arcosh(x). ONNX opset 9.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct AcoshOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::acosh(x);
  }
};

}  // namespace

OpDef acosh_op() { return {"", "Acosh", 9, &make_unary_kernel<AcoshOp>}; }

}  // namespace edgebench::engine::ops
