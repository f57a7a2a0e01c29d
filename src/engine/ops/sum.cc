// Sum: elementwise sum of 1 or more inputs, with broadcasting, added left to right.
// ONNX opsets 1, 6, 8 (broadcasting), 13.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct SumOp {
  using Types = FloatTypes;
  template <typename C>
  C operator()(C acc, C x) const {
    return acc + x;
  }
};

}  // namespace

OpDef sum_op() { return {"", "Sum", 1, &make_kernel<VariadicKernel<SumOp>>}; }

}  // namespace edgebench::engine::ops
