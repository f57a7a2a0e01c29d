// LogSoftmax: y = x - ln(sum(e^x)) along an axis. ONNX opsets 1, 11 (input coerced to 2-D at
// `axis`, default 1) and 13 (along `axis` alone, default -1).
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct LogSoftmaxOp {
  void operator()(std::span<double> slice) const {
    // x - max - ln(sum(e^(x - max))): no e^x overflows and no log of an underflowed 0.
    double max = -std::numeric_limits<double>::infinity();
    for (double v : slice) max = std::max(max, v);
    double sum = 0.0;
    for (double v : slice) sum += std::exp(v - max);
    const double log_sum = std::log(sum);
    for (double& v : slice) v = v - max - log_sum;
  }
};

}  // namespace

OpDef log_softmax_op() { return {"", "LogSoftmax", 1, &AxisSliceKernel<LogSoftmaxOp>::create}; }

}  // namespace edgebench::engine::ops
