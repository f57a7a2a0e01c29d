// Slice: a strided sub-tensor, like NumPy's x[start:end:step] on several axes. ONNX opsets 1
// (starts/ends/axes attributes), 10 (starts/ends/axes/steps inputs), 11 (negative axes), 13.
// Starts and ends are clamped into the axis as the spec describes, so values such as
// INT64_MAX / INT64_MIN mean "to the end" / "from the start".
#include <algorithm>
#include <limits>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

// Where the slice starts and how it steps, per input axis, and the output shape.
struct SliceRegion {
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> steps;
  Shape shape;
};

// Number of indices start, start + step, ... strictly before `end` (after `end` when stepping
// backwards); start and end are already clamped into the axis.
std::int64_t slice_length(std::int64_t start, std::int64_t end, std::int64_t step) {
  if (step > 0) {
    return end > start ? (end - start - 1) / step + 1 : 0;
  }
  if (start <= end) return 0;
  // -step overflows for INT64_MIN; in unsigned arithmetic it is exact.
  const std::uint64_t magnitude = std::uint64_t{0} - static_cast<std::uint64_t>(step);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(start - end - 1) / magnitude) + 1;
}

Result<SliceRegion> slice_region(const Shape& input, std::span<const std::int64_t> starts,
                                 std::span<const std::int64_t> ends,
                                 const std::vector<std::int64_t>* axes_given,
                                 const std::vector<std::int64_t>* steps_given) {
  const int rank = static_cast<int>(input.size());
  if (starts.size() != ends.size()) {
    return invalid_argument(
        fmt::format("'starts' has {} values and 'ends' has {}", starts.size(), ends.size()));
  }
  std::vector<std::int64_t> axes;
  if (axes_given != nullptr) {
    axes = *axes_given;
    if (axes.size() != starts.size()) {
      return invalid_argument(
          fmt::format("'axes' has {} values, 'starts' has {}", axes.size(), starts.size()));
    }
  } else {
    if (starts.size() > input.size()) {
      return invalid_argument(
          fmt::format("'starts' has {} values for an input of rank {}", starts.size(), rank));
    }
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  }
  if (steps_given != nullptr && steps_given->size() != starts.size()) {
    return invalid_argument(
        fmt::format("'steps' has {} values, 'starts' has {}", steps_given->size(), starts.size()));
  }
  EB_ASSIGN_OR_RETURN(std::vector<int> normalized, tensor_family::normalize_axes(axes, rank));

  SliceRegion region{std::vector<std::int64_t>(input.size(), 0),
                     std::vector<std::int64_t>(input.size(), 1), input};
  for (std::size_t i = 0; i < normalized.size(); ++i) {
    const auto a = static_cast<std::size_t>(normalized[i]);
    const std::int64_t dim = input[a];
    const std::int64_t step = steps_given != nullptr ? (*steps_given)[i] : 1;
    if (step == 0) return invalid_argument(fmt::format("'steps' value for axis {} is 0", a));
    // dim >= 0, so adding it to a negative value cannot overflow.
    std::int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    std::int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (dim == 0) {
      start = end = 0;  // nothing to select (and [0, dim - 1] would be an empty range)
    } else if (step > 0) {
      start = std::clamp<std::int64_t>(start, 0, dim);
      end = std::clamp<std::int64_t>(end, 0, dim);
    } else {
      start = std::clamp<std::int64_t>(start, 0, dim - 1);
      end = std::clamp<std::int64_t>(end, -1, dim - 1);
    }
    region.starts[a] = start;
    region.steps[a] = step;
    region.shape[a] = slice_length(start, end, step);
  }
  return region;
}

class SliceKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<SliceKernel>(new SliceKernel());
    kernel->from_attributes_ = ctx.opset != 0 && ctx.opset < 10;
    if (kernel->from_attributes_) {
      const ir::Attributes& attrs = ctx.node.attributes;
      if (!attrs.has("starts") || !attrs.has("ends")) {
        return invalid_model("attributes 'starts' and 'ends' are required before opset 10");
      }
      EB_ASSIGN_OR_RETURN(kernel->starts_, attrs.get_ints("starts", {}));
      EB_ASSIGN_OR_RETURN(kernel->ends_, attrs.get_ints("ends", {}));
      if (attrs.has("axes")) {
        EB_ASSIGN_OR_RETURN(std::vector<std::int64_t> axes, attrs.get_ints("axes", {}));
        kernel->axes_ = std::move(axes);
      }
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    Result<SliceRegion> region = SliceRegion{};
    if (from_attributes_) {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
      region = slice_region(ctx.input_shape(0), starts_, ends_, axes_ ? &*axes_ : nullptr, nullptr);
    } else {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 5));
      EB_ASSIGN_OR_RETURN(auto starts, tensor_family::require_int_list(ctx, 1, "starts"));
      EB_ASSIGN_OR_RETURN(auto ends, tensor_family::require_int_list(ctx, 2, "ends"));
      std::optional<std::vector<std::int64_t>> axes;
      std::optional<std::vector<std::int64_t>> steps;
      if (ctx.has_input(3)) {
        EB_ASSIGN_OR_RETURN(axes, tensor_family::require_int_list(ctx, 3, "axes"));
      }
      if (ctx.has_input(4)) {
        EB_ASSIGN_OR_RETURN(steps, tensor_family::require_int_list(ctx, 4, "steps"));
      }
      region = slice_region(ctx.input_shape(0), starts, ends, axes ? &*axes : nullptr,
                            steps ? &*steps : nullptr);
    }
    if (!region.is_ok()) return ctx.error(region.status().message());
    ctx.set_output(0, ctx.input_dtype(0), region->shape);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    SliceRegion region;
    if (from_attributes_) {
      EB_ASSIGN_OR_RETURN(
          region, slice_region(x.shape(), starts_, ends_, axes_ ? &*axes_ : nullptr, nullptr));
    } else {
      const std::vector<std::int64_t> starts = ctx.input(1).to_int64_vector();
      const std::vector<std::int64_t> ends = ctx.input(2).to_int64_vector();
      std::optional<std::vector<std::int64_t>> axes;
      std::optional<std::vector<std::int64_t>> steps;
      if (ctx.has_input(3)) axes = ctx.input(3).to_int64_vector();
      if (ctx.has_input(4)) steps = ctx.input(4).to_int64_vector();
      EB_ASSIGN_OR_RETURN(region, slice_region(x.shape(), starts, ends, axes ? &*axes : nullptr,
                                               steps ? &*steps : nullptr));
    }
    const std::vector<std::int64_t> in_strides = strides_of(x.shape());
    std::vector<std::int64_t> strides(in_strides.size());
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < in_strides.size(); ++d) {
      // A step may be huge (INT64_MAX) when the axis yields one element; the stride is then
      // never used, and multiplying would overflow.
      strides[d] = region.shape[d] > 1 ? in_strides[d] * region.steps[d] : 0;
      offset += in_strides[d] * region.starts[d];
    }
    tensor_family::copy_strided(static_cast<const std::byte*>(x.raw_data()), offset, strides,
                                static_cast<std::byte*>(ctx.output(0).raw_data()), region.shape,
                                dtype_size(x.dtype()), ctx.thread_pool());
    return Status::ok();
  }

 private:
  SliceKernel() = default;

  bool from_attributes_ = false;
  std::vector<std::int64_t> starts_;
  std::vector<std::int64_t> ends_;
  std::optional<std::vector<std::int64_t>> axes_;
};

}  // namespace

OpDef slice_op() { return {"", "Slice", 1, &make_kernel<SliceKernel>}; }

}  // namespace edgebench::engine::ops
