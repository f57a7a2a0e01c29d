#include "resample_reduce_util.h"

#include <algorithm>

namespace edgebench::engine::ops {

Status expect_numeric_input(const InferContext& ctx, std::size_t i, bool with_bool) {
  if (!ctx.has_input(i)) return ctx.error(fmt::format("input {} is required", i));
  const DType dtype = ctx.input_dtype(i);
  const bool ok = with_bool ? dispatch_numeric<true>(dtype, "", [](auto*) {}).is_ok()
                            : dispatch_numeric<false>(dtype, "", [](auto*) {}).is_ok();
  if (ok) return Status::ok();
  return ctx.unsupported_error(fmt::format("input {} ('{}') has dtype {}, which is not supported",
                                           i, ctx.node().inputs[i], dtype_name(dtype)));
}

Result<std::vector<std::int64_t>> read_int_list(const Tensor& tensor, std::string_view what,
                                                std::initializer_list<DType> allowed) {
  if (std::find(allowed.begin(), allowed.end(), tensor.dtype()) == allowed.end()) {
    return invalid_model(
        fmt::format("{} must be an integer tensor, got {}", what, tensor.describe()));
  }
  if (tensor.rank() > 1) {
    return invalid_model(fmt::format("{} must be 1-D, got {}", what, tensor.describe()));
  }
  return tensor.to_int64_vector();
}

Result<std::vector<int>> normalize_axes(std::span<const std::int64_t> axes, int rank,
                                        std::string_view what) {
  std::vector<int> out;
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (std::int64_t axis : axes) {
    if (axis < -rank || axis >= rank) {
      return invalid_model(fmt::format("{} has axis {}, out of range [{}, {}] for rank {}", what,
                                       axis, -rank, rank - 1, rank));
    }
    const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
    if (seen[static_cast<std::size_t>(a)]) {
      return invalid_model(fmt::format("{} names axis {} more than once", what, a));
    }
    seen[static_cast<std::size_t>(a)] = true;
    out.push_back(a);
  }
  return out;
}

}  // namespace edgebench::engine::ops
