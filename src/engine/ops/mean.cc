// Mean: elementwise mean of 1 or more inputs, with broadcasting (sum left to right, then
// divide). ONNX opsets 1, 6, 8 (broadcasting), 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct MeanOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C acc, C x) const {
    return acc + x;
  }
  template <typename C>
  C finish(C sum, std::size_t count) const {
    return sum / static_cast<C>(count);
  }
};

}  // namespace

OpDef mean_op() { return {"", "Mean", 1, &make_kernel<VariadicKernel<MeanOp>>}; }

}  // namespace edgebench::engine::ops
