// Erf: y = erf(x). ONNX opsets 9, 13; integer inputs give erf rounded toward zero.
#include "elementwise_util.h"
#include "fast_math.h"

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
  // float32: erf_approx (fast_math.h, within 2e-7 absolute), vectorized.
  EB_VECTOR_CLONES static void floats(const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = erf_approx(x[i]);
  }
};

}  // namespace

OpDef erf_op() { return {"", "Erf", 9, &make_unary_kernel<ErfOp>}; }

}  // namespace edgebench::engine::ops
