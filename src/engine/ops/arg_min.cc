// ArgMin: index of the smallest value along an axis, as int64. Opsets 1, 11, 12
// (select_last_index), 13.
#include "reduce_util.h"

namespace edgebench::engine::ops {
namespace {

struct ArgMinPicker {
  static constexpr std::string_view kName = "ArgMin";
  template <typename V>
  static bool better(V candidate, V best) {
    return candidate < best;
  }
};

}  // namespace

OpDef arg_min_op() { return {"", "ArgMin", 1, &make_kernel<ArgReduceKernel<ArgMinPicker>>}; }

}  // namespace edgebench::engine::ops
