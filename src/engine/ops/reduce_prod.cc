// ReduceProd: product over the given axes. Opsets 1, 11, 13, 18 (axes becomes an input).
#include <algorithm>
#include <cmath>
#include <limits>

#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct ProdReducer {
  static constexpr std::string_view kName = "ReduceProd";
  static constexpr std::int64_t kAxesInputSince = 18;

  template <typename C>
  static C reduce(std::span<const C> values) {
    C product = 1;
    for (C v : values) product = wrapping_mul(product, v);
    return product;
  }
};

}  // namespace

OpDef reduce_prod_op() { return {"", "ReduceProd", 1, &make_kernel<ReduceKernel<ProdReducer>>}; }

}  // namespace edgebench::engine::ops
