// ArgMax: index of the largest value along an axis, as int64. Opsets 1, 11, 12
// (select_last_index), 13.
#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct ArgMaxPicker {
  static constexpr std::string_view kName = "ArgMax";
  template <typename V>
  static bool better(V candidate, V best) {
    return candidate > best;
  }
};

}  // namespace

OpDef arg_max_op() { return {"", "ArgMax", 1, &make_kernel<ArgReduceKernel<ArgMaxPicker>>}; }

}  // namespace edgebench::engine::ops
