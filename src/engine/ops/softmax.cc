// Softmax: y = e^x / sum(e^x) along an axis. ONNX opsets 1, 11 (input coerced to 2-D at
// `axis`, default 1) and 13 (along `axis` alone, default -1).
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SoftmaxOp {
  void operator()(std::span<double> slice) const {
    // Subtracting the maximum keeps e^x finite; the result is the same.
    double max = -std::numeric_limits<double>::infinity();
    for (double v : slice) max = std::max(max, v);
    double sum = 0.0;
    for (double& v : slice) {
      v = std::exp(v - max);
      sum += v;
    }
    for (double& v : slice) v /= sum;
  }
};

}  // namespace

OpDef softmax_op() { return {"", "Softmax", 1, &AxisSliceKernel<SoftmaxOp>::create}; }

}  // namespace edgebench::engine::ops
