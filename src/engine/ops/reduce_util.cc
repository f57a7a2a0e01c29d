#include "reduce_util.h"

namespace edgebench::engine::ops {

Result<ReducedAxes> reduced_axes(std::span<const std::int64_t> axes, int rank,
                                 bool noop_with_empty_axes) {
  ReducedAxes out;
  out.reduced.assign(static_cast<std::size_t>(rank), axes.empty() && !noop_with_empty_axes);
  out.identity = axes.empty() && noop_with_empty_axes;
  EB_ASSIGN_OR_RETURN(std::vector<int> normalized, normalize_axes(axes, rank, "axes"));
  for (int a : normalized) out.reduced[static_cast<std::size_t>(a)] = true;
  return out;
}

Shape reduced_shape(const Shape& input, const ReducedAxes& reduced, bool keepdims) {
  if (reduced.identity) return input;
  Shape out;
  for (std::size_t d = 0; d < input.size(); ++d) {
    if (!reduced.reduced[d]) {
      out.push_back(input[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

namespace {

// Offsets of every element of the sub-grid spanned by the axes where `select` is true, with the
// input's strides, row-major over those axes.
std::vector<std::int64_t> grid_offsets(const Shape& input, const std::vector<std::int64_t>& strides,
                                       const std::vector<bool>& select) {
  std::vector<std::int64_t> offsets = {0};
  for (std::size_t d = 0; d < input.size(); ++d) {
    if (!select[d]) continue;
    std::vector<std::int64_t> next;
    next.reserve(offsets.size() * static_cast<std::size_t>(input[d]));
    for (std::int64_t o : offsets) {
      for (std::int64_t i = 0; i < input[d]; ++i) next.push_back(o + i * strides[d]);
    }
    offsets = std::move(next);
  }
  return offsets;
}

}  // namespace

ReductionOffsets reduction_offsets(const Shape& input, const ReducedAxes& reduced) {
  const std::vector<std::int64_t> strides = strides_of(input);
  std::vector<bool> kept(reduced.reduced.size());
  for (std::size_t d = 0; d < kept.size(); ++d) kept[d] = !reduced.reduced[d];
  return {grid_offsets(input, strides, kept), grid_offsets(input, strides, reduced.reduced)};
}

Result<ReduceAttributes> parse_reduce_attributes(const KernelCreateContext& ctx,
                                                 std::int64_t axes_input_since) {
  const ir::Attributes& attrs = ctx.node.attributes;
  ReduceAttributes out;
  EB_ASSIGN_OR_RETURN(std::int64_t keepdims, attrs.get_int("keepdims", 1));
  if (keepdims != 0 && keepdims != 1) {
    return invalid_model(fmt::format("attribute 'keepdims' must be 0 or 1, got {}", keepdims));
  }
  out.keepdims = keepdims == 1;
  out.axes_from_input = ctx.opset >= axes_input_since;
  if (out.axes_from_input) {
    if (attrs.has("axes")) {
      return invalid_model(fmt::format(
          "attribute 'axes' is not allowed from opset {} on (axes is the second input); the "
          "model imports opset {}",
          axes_input_since, ctx.opset));
    }
    EB_ASSIGN_OR_RETURN(std::int64_t noop, attrs.get_int("noop_with_empty_axes", 0));
    if (noop != 0 && noop != 1) {
      return invalid_model(
          fmt::format("attribute 'noop_with_empty_axes' must be 0 or 1, got {}", noop));
    }
    out.noop_with_empty_axes = noop == 1;
  } else {
    EB_ASSIGN_OR_RETURN(out.axes, attrs.get_ints("axes", {}));
  }
  return out;
}

Result<ReducedAxes> resolve_reduced_axes(const ReduceAttributes& attributes, int rank,
                                         const Tensor* axes_input) {
  if (!attributes.axes_from_input) {
    return reduced_axes(attributes.axes, rank, /*noop_with_empty_axes=*/false);
  }
  std::vector<std::int64_t> axes;
  if (axes_input != nullptr) {
    EB_ASSIGN_OR_RETURN(axes, read_int_list(*axes_input, "input 'axes'", {DType::kInt64}));
  }
  return reduced_axes(axes, rank, attributes.noop_with_empty_axes);
}

}  // namespace edgebench::engine::ops
