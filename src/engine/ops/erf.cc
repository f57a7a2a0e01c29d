// Erf: y = erf(x). ONNX opsets 9, 13; integer inputs give erf rounded toward zero.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct ErfOp {
  using Types = NumericTypes;
  template <typename C>
  C operator()(C x) const {
    if constexpr (std::is_floating_point_v<C>) {
      return std::erf(x);
    } else {
      return saturate_cast<C>(std::erf(static_cast<double>(x)));
    }
  }
};

}  // namespace

OpDef erf_op() { return {"", "Erf", 9, &make_unary_kernel<ErfOp>}; }

}  // namespace edgebench::engine::ops
