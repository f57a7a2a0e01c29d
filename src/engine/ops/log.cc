// Log: y = ln(x). ONNX opsets 1, 6, 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct LogOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C x) const {
    return std::log(x);
  }
};

}  // namespace

OpDef log_op() { return {"", "Log", 1, &make_unary_kernel<LogOp>}; }

}  // namespace edgebench::engine::ops
