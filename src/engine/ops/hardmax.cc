// Hardmax: y = 1 at the first maximum along an axis, 0 elsewhere. ONNX opsets 1, 11 (input
// coerced to 2-D at `axis`, default 1) and 13 (along `axis` alone, default -1).
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct HardmaxOp {
  void operator()(std::span<double> slice) const {
    std::size_t best = 0;
    for (std::size_t k = 1; k < slice.size(); ++k) {
      if (slice[k] > slice[best]) best = k;
    }
    for (std::size_t k = 0; k < slice.size(); ++k) slice[k] = k == best ? 1.0 : 0.0;
  }
};

}  // namespace

OpDef hardmax_op() { return {"", "Hardmax", 1, &AxisSliceKernel<HardmaxOp>::create}; }

}  // namespace edgebench::engine::ops
