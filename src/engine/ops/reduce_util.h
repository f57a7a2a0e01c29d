// Shared machinery of the reduce ops (ReduceSum, ReduceMean, ... and ArgMax/ArgMin): which axes
// a node reduces, the output shape, and the offsets a reduction reads. Each op's file holds only
// its fold (a Reducer) and its OpDef. Internal to the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "parallel_util.h"
#include "resample_reduce_util.h"

namespace edgebench::engine::ops {

struct ReducedAxes {
  std::vector<bool> reduced;  // reduced[d]: axis d is folded away
  bool identity = false;      // noop_with_empty_axes and no axes: the output equals the input
};

// The axes a reduction folds: `axes` (possibly negative) or, when empty, every axis. With
// noop_with_empty_axes an empty list folds none (the op is then an identity).
Result<ReducedAxes> reduced_axes(std::span<const std::int64_t> axes, int rank,
                                 bool noop_with_empty_axes);

// Output shape of a reduction: reduced axes become 1 (keepdims) or disappear.
Shape reduced_shape(const Shape& input, const ReducedAxes& reduced, bool keepdims);

// Where a reduction reads: output element j (row-major over the kept axes, which is also the
// output's order with or without keepdims) folds input elements base[j] + within[k] for every
// k; `within` runs row-major over the reduced axes, so for a single axis k is the index.
struct ReductionOffsets {
  std::vector<std::int64_t> base;
  std::vector<std::int64_t> within;
};
ReductionOffsets reduction_offsets(const Shape& input, const ReducedAxes& reduced);

// The type a reducer folds in for element type T: double for floating types, a 64-bit integer
// of T's signedness otherwise (exact for sums and products of the narrower types, wrapping
// like fixed-width arithmetic on overflow).
template <typename T>
using ReduceAccumulator =
    std::conditional_t<kIsFloatLike<T>, double,
                       std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>;

// Two's complement wrap-around for signed 64-bit folds (signed overflow is undefined in C++).
template <typename C>
C wrapping_add(C a, C b) {
  if constexpr (std::is_same_v<C, std::int64_t>) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
  } else {
    return a + b;
  }
}
template <typename C>
C wrapping_mul(C a, C b) {
  if constexpr (std::is_same_v<C, std::int64_t>) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
  } else {
    return a * b;
  }
}

// A double result folded for an integer accumulator, truncated toward zero like NumPy's
// astype (the ONNX reference); saturating.
template <typename C>
C accumulator_from_double(double value) {
  if constexpr (std::is_floating_point_v<C>) {
    return value;
  } else {
    return from_double<C>(value, IntRounding::kTruncate);
  }
}

// Parsed attributes common to every Reduce* op.
struct ReduceAttributes {
  bool keepdims = true;
  bool noop_with_empty_axes = false;
  bool axes_from_input = false;    // opset >= the op's axes_input_since
  std::vector<std::int64_t> axes;  // the attribute, when !axes_from_input
};

Result<ReduceAttributes> parse_reduce_attributes(const KernelCreateContext& ctx,
                                                 std::int64_t axes_input_since);

// The reduced axes of a node for an input of rank `rank`: from the attribute, or from the axes
// input's value (null when absent).
Result<ReducedAxes> resolve_reduced_axes(const ReduceAttributes& attributes, int rank,
                                         const Tensor* axes_input);

// A Reduce* op whose fold is Reducer:
//   static constexpr std::string_view kName;              // "ReduceSum"
//   static constexpr std::int64_t kAxesInputSince;        // opset where axes became an input
//   template <typename C> static C reduce(std::span<const C> values);  // values may be empty
// C is ReduceAccumulator<T> for the input's element type T.
template <typename Reducer>
class ReduceKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(ReduceAttributes attributes,
                        parse_reduce_attributes(ctx, Reducer::kAxesInputSince));
    return std::unique_ptr<OpKernel>(new ReduceKernel(std::move(attributes)));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, attributes_.axes_from_input ? 2 : 1));
    EB_RETURN_IF_ERROR(expect_numeric_input(ctx, 0));
    const Tensor* axes = nullptr;
    if (attributes_.axes_from_input && ctx.has_input(1)) {
      EB_ASSIGN_OR_RETURN(axes, ctx.require_value(1));
    }
    auto reduced = resolve_reduced_axes(attributes_, ctx.input_rank(0), axes);
    if (!reduced.is_ok()) return reduced.status().with_context(ctx.node().describe());
    ctx.set_output(0, ctx.input_dtype(0),
                   reduced_shape(ctx.input_shape(0), *reduced, attributes_.keepdims));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const Tensor* axes = ctx.has_input(1) ? &ctx.input(1) : nullptr;
    EB_ASSIGN_OR_RETURN(ReducedAxes reduced, resolve_reduced_axes(attributes_, x.rank(), axes));
    if (reduced.identity) {
      std::copy(x.bytes().begin(), x.bytes().end(), y.bytes().begin());
      return Status::ok();
    }
    const ReductionOffsets offsets = reduction_offsets(x.shape(), reduced);
    return dispatch_numeric(x.dtype(), Reducer::kName, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      using C = ReduceAccumulator<T>;
      const T* in = x.data<T>();
      T* out = y.data<T>();
      // One item per output element; its whole fold stays in one task.
      parallel_outer(
          ctx.thread_pool(), static_cast<std::int64_t>(offsets.base.size()),
          static_cast<std::int64_t>(offsets.within.size()),
          [&](std::int64_t first, std::int64_t last) {
            std::vector<C> values(offsets.within.size());
            for (auto j = static_cast<std::size_t>(first); j < static_cast<std::size_t>(last);
                 ++j) {
              for (std::size_t k = 0; k < values.size(); ++k) {
                const T v = in[offsets.base[j] + offsets.within[k]];
                if constexpr (kIsFloatLike<T>) {
                  values[k] = to_double(v);
                } else {
                  values[k] = static_cast<C>(v);
                }
              }
              const C folded = Reducer::reduce(std::span<const C>(values));
              if constexpr (kIsFloatLike<T>) {
                out[j] = from_double<T>(folded);
              } else {
                out[j] = static_cast<T>(folded);  // modular narrowing, as fixed-width arithmetic
              }
            }
          });
    });
  }

 private:
  explicit ReduceKernel(ReduceAttributes attributes) : attributes_(std::move(attributes)) {}

  ReduceAttributes attributes_;
};

// ArgMax / ArgMin: the index of the extreme value along one axis, as int64. Picker provides
//   static constexpr std::string_view kName;            // "ArgMax"
//   template <typename V> static bool better(V candidate, V best);  // strictly better
// Ties keep the first index, or the last with select_last_index (opset 12 on). Values compare
// in their own type (float16 as float).
template <typename Picker>
class ArgReduceKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& attrs = ctx.node.attributes;
    EB_ASSIGN_OR_RETURN(std::int64_t axis, attrs.get_int("axis", 0));
    EB_ASSIGN_OR_RETURN(std::int64_t keepdims, attrs.get_int("keepdims", 1));
    EB_ASSIGN_OR_RETURN(std::int64_t select_last, attrs.get_int("select_last_index", 0));
    if (keepdims != 0 && keepdims != 1) {
      return invalid_model(fmt::format("attribute 'keepdims' must be 0 or 1, got {}", keepdims));
    }
    if (select_last != 0 && select_last != 1) {
      return invalid_model(
          fmt::format("attribute 'select_last_index' must be 0 or 1, got {}", select_last));
    }
    if (select_last == 1 && ctx.opset < 12) {
      return invalid_model(fmt::format(
          "attribute 'select_last_index' needs opset 12 or later; the model imports opset {}",
          ctx.opset));
    }
    return std::unique_ptr<OpKernel>(new ArgReduceKernel(axis, keepdims == 1, select_last == 1));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(expect_numeric_input(ctx, 0));
    const int rank = ctx.input_rank(0);
    if (rank == 0) return ctx.error("input must have rank 1 or more, got a scalar");
    if (axis_ < -rank || axis_ >= rank) {
      return ctx.error(fmt::format("attribute 'axis' is {}, out of range [{}, {}] for rank {}",
                                   axis_, -rank, rank - 1, rank));
    }
    const Shape& shape = ctx.input_shape(0);
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    const ReducedAxes reduced = single_axis(rank, axis);
    if (shape[static_cast<std::size_t>(axis)] == 0 &&
        element_count(reduced_shape(shape, reduced, true)) > 0) {
      return ctx.error(fmt::format("cannot take {} along axis {} of {}: it is empty", Picker::kName,
                                   axis, shape_to_string(shape)));
    }
    ctx.set_output(0, DType::kInt64, reduced_shape(shape, reduced, keepdims_));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    std::int64_t* out = ctx.output(0).data<std::int64_t>();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + x.rank() : axis_);
    const ReductionOffsets offsets = reduction_offsets(x.shape(), single_axis(x.rank(), axis));
    return dispatch_numeric(x.dtype(), Picker::kName, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const T* in = x.data<T>();
      parallel_outer(ctx.thread_pool(), static_cast<std::int64_t>(offsets.base.size()),
                     static_cast<std::int64_t>(offsets.within.size()),
                     [&](std::int64_t first, std::int64_t last) {
                       for (auto j = static_cast<std::size_t>(first);
                            j < static_cast<std::size_t>(last); ++j) {
                         auto key = [&](std::size_t k) {
                           const T v = in[offsets.base[j] + offsets.within[k]];
                           if constexpr (std::is_same_v<T, Half>) {
                             return half_to_float(v.bits);
                           } else {
                             return v;
                           }
                         };
                         std::size_t best_index = 0;
                         auto best = key(0);
                         for (std::size_t k = 1; k < offsets.within.size(); ++k) {
                           const auto v = key(k);
                           if (Picker::better(v, best) || (select_last_index_ && v == best)) {
                             best = v;
                             best_index = k;
                           }
                         }
                         out[j] = static_cast<std::int64_t>(best_index);
                       }
                     });
    });
  }

 private:
  ArgReduceKernel(std::int64_t axis, bool keepdims, bool select_last_index)
      : axis_(axis), keepdims_(keepdims), select_last_index_(select_last_index) {}

  static ReducedAxes single_axis(int rank, int axis) {
    ReducedAxes reduced;
    reduced.reduced.assign(static_cast<std::size_t>(rank), false);
    reduced.reduced[static_cast<std::size_t>(axis)] = true;
    return reduced;
  }

  std::int64_t axis_;
  bool keepdims_;
  bool select_last_index_;
};

}  // namespace edgebench::engine::ops
