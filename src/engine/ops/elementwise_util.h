// Shared pieces of the elementwise op family: typed element access (float16 and bool
// included), dtype lists per op, and the unary / binary / variadic / along-an-axis kernel
// templates that each op file instantiates with a small functor.
//
// An op functor is applied in its "compute" type: float for float16 (stored as IEEE binary16
// bits), bool for bool (stored as one byte, any non-zero byte reads as true), the dtype's own
// C++ type otherwise. Internal to the engine.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {

// --- element types ------------------------------------------------------------------------

// Tag type for float16 elements in the type lists below.
struct Half {};

template <typename T>
struct ElementTraits {
  using Storage = T;
  using Compute = T;
};
template <>
struct ElementTraits<Half> {
  using Storage = std::uint16_t;
  using Compute = float;
};
template <>
struct ElementTraits<bool> {
  // Model data may hold bytes other than 0 and 1; reading them through `bool` would be UB.
  using Storage = std::uint8_t;
  using Compute = bool;
};

template <typename T>
using storage_t = typename ElementTraits<T>::Storage;
template <typename T>
using compute_t = typename ElementTraits<T>::Compute;

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return DType::kFloat32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::kFloat64;
  else if constexpr (std::is_same_v<T, Half>)
    return DType::kFloat16;
  else if constexpr (std::is_same_v<T, bool>)
    return DType::kBool;
  else if constexpr (std::is_same_v<T, std::int8_t>)
    return DType::kInt8;
  else if constexpr (std::is_same_v<T, std::int16_t>)
    return DType::kInt16;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return DType::kInt32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return DType::kInt64;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return DType::kUInt8;
  else if constexpr (std::is_same_v<T, std::uint16_t>)
    return DType::kUInt16;
  else if constexpr (std::is_same_v<T, std::uint32_t>)
    return DType::kUInt32;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return DType::kUInt64;
  else
    static_assert(sizeof(T) == 0, "not an element type");
}

template <typename T>
inline compute_t<T> load(storage_t<T> v) {
  if constexpr (std::is_same_v<T, Half>)
    return half_to_float(v);
  else if constexpr (std::is_same_v<T, bool>)
    return v != 0;
  else
    return v;
}

template <typename T>
inline storage_t<T> store(compute_t<T> v) {
  if constexpr (std::is_same_v<T, Half>)
    return float_to_half(v);
  else if constexpr (std::is_same_v<T, bool>)
    return static_cast<std::uint8_t>(v ? 1 : 0);
  else
    return v;
}

// Converts a double to an arithmetic type without UB: NaN gives 0, out-of-range values
// saturate. For integer results of floating-point math (Pow, Erf, Shrink on integers).
template <typename T>
inline T saturate_cast(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0.0;
  } else {
    if (std::isnan(v)) return T(0);
    // max() as a double may round up to 2^digits (int64, uint64); either way a v at or above
    // it saturates and a v below it converts exactly after truncation.
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) {
      return std::numeric_limits<T>::max();
    }
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) {
      return std::numeric_limits<T>::lowest();
    }
    return static_cast<T>(v);
  }
}

// Integer +, -, * and negation that wrap around (two's complement) instead of overflowing
// into UB; integer types narrower than int are computed in unsigned int.
template <typename T>
using wrap_unsigned_t =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <typename T>
inline T wrapping_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = wrap_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}
template <typename T>
inline T wrapping_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = wrap_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
  } else {
    return a - b;
  }
}
template <typename T>
inline T wrapping_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = wrap_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}
template <typename T>
inline T wrapping_neg(T a) {
  return wrapping_sub(T(0), a);
}

// float16 nearest-even rounding of a double without the double rounding of double -> float
// -> half: the float step rounds to odd, which keeps enough information for the second step.
std::uint16_t double_to_half(double value);

// Whether a node's opset is older than `version`. Opset 0 (no import of the default domain)
// is read as the newest opset.
inline bool opset_before(std::int64_t opset, std::int64_t version) {
  return opset != 0 && opset < version;
}

// --- dtype lists ----------------------------------------------------------------------------

template <typename... Ts>
struct TypeList {};

using FloatTypes = TypeList<float, double, Half>;
using SignedNumericTypes =
    TypeList<float, double, Half, std::int8_t, std::int16_t, std::int32_t, std::int64_t>;
using NumericTypes =
    TypeList<float, double, Half, std::int8_t, std::int16_t, std::int32_t, std::int64_t,
             std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t>;
using AllTypes =
    TypeList<float, double, Half, std::int8_t, std::int16_t, std::int32_t, std::int64_t,
             std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t, bool>;
using UnsignedTypes = TypeList<std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t>;
using BoolTypes = TypeList<bool>;

template <typename... Ts>
constexpr bool has_dtype(DType dtype, TypeList<Ts...> /*types*/) {
  return ((dtype == dtype_of<Ts>()) || ...);
}

template <typename... Ts>
std::string dtype_names(TypeList<Ts...> /*types*/) {
  std::string out;
  ((out += (out.empty() ? "" : ", "), out += dtype_name(dtype_of<Ts>())), ...);
  return out;
}

// Calls f(static_cast<T*>(nullptr)) for the list entry T whose dtype is `dtype`; only the
// listed types are instantiated. Returns false when none matches.
template <typename... Ts, typename F>
bool visit_dtype(DType dtype, TypeList<Ts...> /*types*/, F&& f) {
  return ((dtype == dtype_of<Ts>() ? (f(static_cast<Ts*>(nullptr)), true) : false) || ...);
}

template <typename List>
Status expect_dtype_in(const InferContext& ctx, std::size_t input, List types) {
  if (!ctx.has_input(input)) return ctx.error(fmt::format("input {} is required", input));
  if (has_dtype(ctx.input_dtype(input), types)) return Status::ok();
  return ctx.unsupported_error(fmt::format("input {} ('{}') has dtype {}; supported: {}", input,
                                           ctx.node().inputs[input],
                                           dtype_name(ctx.input_dtype(input)), dtype_names(types)));
}

// Inputs `other` must have the dtype of input `first` (the ONNX type variable T).
Status expect_same_dtype(const InferContext& ctx, std::size_t first, std::size_t other);

// The multidirectional broadcast of the given present inputs' shapes, or an error naming the
// node and the shapes.
Result<Shape> broadcast_inputs(const InferContext& ctx, std::span<const std::size_t> inputs);

// Status for a run() whose dtype infer() should have rejected.
Status unexpected_dtype(DType dtype);

// --- loops ----------------------------------------------------------------------------------

// Calls f(out_index, a_index, b_index) for every element of `out`, where a and b broadcast to
// out's shape (already checked), in contiguous ranges spread over `pool` (null: one thread).
// Same-shape and scalar operands skip the index arithmetic.
template <typename F>
void broadcast_binary(ThreadPool* pool, const Tensor& a, const Tensor& b, const Tensor& out,
                      F&& f) {
  const bool a_full = a.shape() == out.shape();
  const bool b_full = b.shape() == out.shape();
  parallel_elements(pool, out.element_count(), [&](std::int64_t begin, std::int64_t end) {
    if (a_full && b_full) {
      for (std::int64_t i = begin; i < end; ++i) f(i, i, i);
    } else if (a_full && b.element_count() == 1) {
      for (std::int64_t i = begin; i < end; ++i) f(i, i, std::int64_t{0});
    } else if (b_full && a.element_count() == 1) {
      for (std::int64_t i = begin; i < end; ++i) f(i, std::int64_t{0}, i);
    } else {
      for_each_broadcast_range<2>(
          out.shape(), std::array<Shape, 2>{a.shape(), b.shape()}, begin, end,
          [&](std::int64_t i, const std::array<std::int64_t, 2>& o) { f(i, o[0], o[1]); });
    }
  });
}

// --- unary kernels --------------------------------------------------------------------------

// The result element type of a unary functor on T: bool when it returns bool (IsNaN), else T.
template <typename Op, typename T>
using unary_result_t =
    std::conditional_t<std::is_same_v<decltype(std::declval<const Op&>()(compute_t<T>{})), bool>,
                       bool, T>;

// y = op(x) elementwise. Op provides `using Types = TypeList<...>` (accepted dtypes) and
// `template <typename C> C-or-bool operator()(C x) const`; optionally
// `static Result<Op> create(const KernelCreateContext&)` to parse attributes, and
// `static void floats(const float* x, float* y, std::int64_t n)`, a vectorized loop for float32.
template <typename Op>
class UnaryKernel final : public OpKernel {
 public:
  explicit UnaryKernel(Op op) : op_(std::move(op)) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, typename Op::Types{}));
    DType out = DType::kUndefined;
    visit_dtype(ctx.input_dtype(0), typename Op::Types{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      out = dtype_of<unary_result_t<Op, T>>();
    });
    ctx.set_output(0, out, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const bool known = visit_dtype(x.dtype(), typename Op::Types{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      using R = unary_result_t<Op, T>;
      const auto* in = x.data<storage_t<T>>();
      auto* out = y.data<storage_t<R>>();
      if constexpr (std::is_same_v<T, float> && std::is_same_v<R, float> &&
                    requires { Op::floats(in, out, std::int64_t{0}); }) {
        parallel_elements(ctx.thread_pool(), x.element_count(),
                          [&](std::int64_t begin, std::int64_t end) {
                            Op::floats(in + begin, out + begin, end - begin);
                          });
        return;
      }
      parallel_elements(ctx.thread_pool(), x.element_count(),
                        [&](std::int64_t begin, std::int64_t end) {
                          for (std::int64_t i = begin; i < end; ++i) {
                            out[i] = store<R>(static_cast<compute_t<R>>(op_(load<T>(in[i]))));
                          }
                        });
    });
    return known ? Status::ok() : unexpected_dtype(x.dtype());
  }

 private:
  Op op_;
};

template <typename Op>
Result<std::unique_ptr<OpKernel>> make_unary_kernel(const KernelCreateContext& ctx) {
  if constexpr (requires { Op::create(ctx); }) {
    EB_ASSIGN_OR_RETURN(Op op, Op::create(ctx));
    return std::unique_ptr<OpKernel>(std::make_unique<UnaryKernel<Op>>(std::move(op)));
  } else {
    return std::unique_ptr<OpKernel>(std::make_unique<UnaryKernel<Op>>(Op{}));
  }
}

// --- binary kernels -------------------------------------------------------------------------

template <typename Op, typename T>
using binary_result_t = std::conditional_t<
    std::is_same_v<decltype(std::declval<const Op&>()(compute_t<T>{}, compute_t<T>{})), bool>, bool,
    T>;

// c = op(a, b) with multidirectional broadcasting; a and b share one dtype from Op::Types.
// Op may add `Status check(const InferContext&) const` for dtype-dependent attribute rules.
// Opsets before 7 had no NumPy broadcasting: with the `broadcast` attribute set, B's dims line
// up with A's starting at `axis` (default: B's dims are A's trailing dims); without it, A and B
// have one shape. PRelu before 7 applied a 1-D slope along the channel axis (1).
struct LegacyBroadcast {
  bool active = false;  // the node's opset is below 7
  bool broadcast = false;
  std::optional<std::int64_t> axis;
  bool channel_slope = false;  // PRelu

  static Result<LegacyBroadcast> parse(const KernelCreateContext& ctx, bool channel_slope);
  // B's shape rewritten so that NumPy broadcasting gives the legacy result; error if the
  // shapes are not legal under the legacy rule.
  Result<Shape> aligned_b(const Shape& a, const Shape& b) const;
};

template <typename Op>
class BinaryKernel final : public OpKernel {
 public:
  BinaryKernel(Op op, LegacyBroadcast legacy) : op_(std::move(op)), legacy_(legacy) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, typename Op::Types{}));
    EB_RETURN_IF_ERROR(expect_same_dtype(ctx, 0, 1));
    if constexpr (requires { op_.check(ctx); }) {
      if (!legacy_.active) EB_RETURN_IF_ERROR(op_.check(ctx));
    }
    Shape shape;
    if (legacy_.active) {
      auto b = legacy_.aligned_b(ctx.input_shape(0), ctx.input_shape(1));
      if (!b.is_ok()) return ctx.error(b.status().message());
      shape = ctx.input_shape(0);
    } else {
      const std::size_t inputs[] = {0, 1};
      EB_ASSIGN_OR_RETURN(shape, broadcast_inputs(ctx, inputs));
    }
    DType out = DType::kUndefined;
    visit_dtype(ctx.input_dtype(0), typename Op::Types{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      out = dtype_of<binary_result_t<Op, T>>();
    });
    ctx.set_output(0, out, std::move(shape));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    Tensor legacy_b;  // legacy (opset < 7) models only: B viewed with its aligned shape
    if (legacy_.active) {
      EB_ASSIGN_OR_RETURN(Shape aligned, legacy_.aligned_b(a.shape(), ctx.input(1).shape()));
      legacy_b = ctx.input(1).reshaped(std::move(aligned));
    }
    const Tensor& b = legacy_.active ? legacy_b : ctx.input(1);
    Tensor& c = ctx.output(0);
    const bool known = visit_dtype(a.dtype(), typename Op::Types{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      using R = binary_result_t<Op, T>;
      const auto* pa = a.data<storage_t<T>>();
      const auto* pb = b.data<storage_t<T>>();
      auto* pc = c.data<storage_t<R>>();
      broadcast_binary(
          ctx.thread_pool(), a, b, c, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
            pc[i] = store<R>(static_cast<compute_t<R>>(op_(load<T>(pa[ia]), load<T>(pb[ib]))));
          });
    });
    return known ? Status::ok() : unexpected_dtype(a.dtype());
  }

 private:
  Op op_;
  LegacyBroadcast legacy_;
};

template <typename Op>
Result<std::unique_ptr<OpKernel>> make_binary_kernel(const KernelCreateContext& ctx) {
  constexpr bool kChannelSlope = requires { Op::kLegacyChannelSlope; };
  EB_ASSIGN_OR_RETURN(LegacyBroadcast legacy, LegacyBroadcast::parse(ctx, kChannelSlope));
  if constexpr (requires { Op::create(ctx); }) {
    EB_ASSIGN_OR_RETURN(Op op, Op::create(ctx));
    return std::unique_ptr<OpKernel>(std::make_unique<BinaryKernel<Op>>(std::move(op), legacy));
  } else {
    return std::unique_ptr<OpKernel>(std::make_unique<BinaryKernel<Op>>(Op{}, legacy));
  }
}

// --- variadic kernels -----------------------------------------------------------------------

// out = op(...op(op(x0, x1), x2)..., xn) with multidirectional broadcasting over 1 or more
// inputs of one dtype (Min, Max, Sum, Mean). Op provides Types and
// `template <typename C> C operator()(C acc, C x) const`; optionally
// `template <typename C> C finish(C acc, std::size_t count) const` (Mean divides).
template <typename Op>
class VariadicKernel final : public OpKernel {
 public:
  explicit VariadicKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    if (ctx.num_inputs() == 0) return ctx.error("expects at least 1 input, has 0");
    std::vector<std::size_t> inputs;
    for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return ctx.error(fmt::format("input {} is empty", i));
      EB_RETURN_IF_ERROR(expect_dtype_in(ctx, i, typename Op::Types{}));
      EB_RETURN_IF_ERROR(expect_same_dtype(ctx, 0, i));
      inputs.push_back(i);
    }
    EB_ASSIGN_OR_RETURN(Shape shape, broadcast_inputs(ctx, inputs));
    ctx.set_output(0, ctx.input_dtype(0), std::move(shape));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    Tensor& out = ctx.output(0);
    const bool known = visit_dtype(out.dtype(), typename Op::Types{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      auto* po = out.data<storage_t<T>>();
      // Each range folds all inputs into its own elements, in input order.
      const auto inputs = static_cast<std::int64_t>(ctx.num_inputs());
      parallel_outer(
          ctx.thread_pool(), out.element_count(), inputs,
          [&](std::int64_t begin, std::int64_t end) {
            const Tensor& first = ctx.input(0);
            const auto* p0 = first.data<storage_t<T>>();
            for_each_broadcast_range<1>(
                out.shape(), std::array<Shape, 1>{first.shape()}, begin, end,
                [&](std::int64_t i, const std::array<std::int64_t, 1>& o) { po[i] = p0[o[0]]; });
            for (std::size_t k = 1; k < ctx.num_inputs(); ++k) {
              const Tensor& x = ctx.input(k);
              const auto* px = x.data<storage_t<T>>();
              for_each_broadcast_range<1>(
                  out.shape(), std::array<Shape, 1>{x.shape()}, begin, end,
                  [&](std::int64_t i, const std::array<std::int64_t, 1>& o) {
                    po[i] = store<T>(op_(load<T>(po[i]), load<T>(px[o[0]])));
                  });
            }
            if constexpr (requires { op_.finish(compute_t<T>{}, std::size_t{1}); }) {
              for (std::int64_t i = begin; i < end; ++i) {
                po[i] = store<T>(op_.finish(load<T>(po[i]), ctx.num_inputs()));
              }
            }
          });
    });
    return known ? Status::ok() : unexpected_dtype(out.dtype());
  }

 private:
  Op op_;
};

// --- along-an-axis kernels (Softmax, LogSoftmax, Hardmax) -----------------------------------

// A tensor seen as [outer, axis, inner]: `axis` elements at stride `inner` per slice.
struct AxisSplit {
  std::int64_t outer = 1;
  std::int64_t axis = 1;
  std::int64_t inner = 1;
};

// Before opset 13 these ops coerce the input to 2-D at `axis` ([prod(dims[:axis]),
// prod(dims[axis:])]) and work on rows; from 13 on they work along the one axis.
Result<AxisSplit> split_at_axis(const Shape& shape, std::int64_t axis, bool coerce_2d);

// y[slice] = op(x[slice]) for every 1-D slice along the axis, computed in double. Op provides
// `void operator()(std::span<double> slice) const` (in place) and `static constexpr
// std::string_view kName`.
template <typename Op>
class AxisSliceKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const bool coerce_2d = opset_before(ctx.opset, 13);
    EB_ASSIGN_OR_RETURN(const std::int64_t axis,
                        ctx.node.attributes.get_int("axis", coerce_2d ? 1 : -1));
    return std::unique_ptr<OpKernel>(new AxisSliceKernel(axis, coerce_2d));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, FloatTypes{}));
    auto split = split_at_axis(ctx.input_shape(0), axis_, coerce_2d_);
    if (!split.is_ok()) return ctx.error(split.status().message());
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    EB_ASSIGN_OR_RETURN(const AxisSplit split, split_at_axis(x.shape(), axis_, coerce_2d_));
    const bool known = visit_dtype(x.dtype(), FloatTypes{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const auto* in = x.data<storage_t<T>>();
      auto* out = y.data<storage_t<T>>();
      // One item per 1-D slice (outer index o, inner index j), numbered o * inner + j.
      parallel_outer(ctx.thread_pool(), split.outer * split.inner, split.axis,
                     [&](std::int64_t begin, std::int64_t end) {
                       std::vector<double> slice(static_cast<std::size_t>(split.axis));
                       for (std::int64_t s = begin; s < end; ++s) {
                         const std::int64_t o = s / split.inner;
                         const std::int64_t j = s % split.inner;
                         const std::int64_t base = o * split.axis * split.inner + j;
                         for (std::int64_t k = 0; k < split.axis; ++k) {
                           slice[static_cast<std::size_t>(k)] = load<T>(in[base + k * split.inner]);
                         }
                         op_(std::span<double>(slice));
                         for (std::int64_t k = 0; k < split.axis; ++k) {
                           out[base + k * split.inner] = store<T>(
                               static_cast<compute_t<T>>(slice[static_cast<std::size_t>(k)]));
                         }
                       }
                     });
    });
    return known ? Status::ok() : unexpected_dtype(x.dtype());
  }

 private:
  AxisSliceKernel(std::int64_t axis, bool coerce_2d) : axis_(axis), coerce_2d_(coerce_2d) {}

  std::int64_t axis_;
  bool coerce_2d_;
  Op op_;
};

// --- casts ----------------------------------------------------------------------------------

// Converts every element of `in` to out's dtype (same element count): float to integer
// saturates (NaN gives 0), integer to integer wraps, anything to bool is `!= 0`, float16 goes
// through float with nearest-even rounding.
// Spread over `pool` (null: one thread).
void cast_elements(const Tensor& in, Tensor& out, ThreadPool* pool = nullptr);

}  // namespace edgebench::engine::ops
