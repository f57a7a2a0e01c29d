#include "elementwise_util.h"

#include <bit>

namespace edgebench::engine::ops {

std::uint16_t double_to_half(double value) {
  if (!std::isfinite(value)) return float_to_half(static_cast<float>(value));
  float f = static_cast<float>(value);
  if (static_cast<double>(f) != value) {
    // Round to odd: truncate toward zero, then set the last bit as a "sticky" marker.
    if (std::fabs(static_cast<double>(f)) > std::fabs(value)) f = std::nextafter(f, 0.0f);
    f = std::bit_cast<float>(std::bit_cast<std::uint32_t>(f) | 1u);
  }
  return float_to_half(f);
}

Status expect_same_dtype(const InferContext& ctx, std::size_t first, std::size_t other) {
  if (!ctx.has_input(other)) return ctx.error(fmt::format("input {} is required", other));
  if (ctx.input_dtype(first) == ctx.input_dtype(other)) return Status::ok();
  return ctx.error(
      fmt::format("input {} ('{}') has dtype {} but input {} ('{}') has {}; they must match", other,
                  ctx.node().inputs[other], dtype_name(ctx.input_dtype(other)), first,
                  ctx.node().inputs[first], dtype_name(ctx.input_dtype(first))));
}

Result<Shape> broadcast_inputs(const InferContext& ctx, std::span<const std::size_t> inputs) {
  std::vector<Shape> shapes;
  shapes.reserve(inputs.size());
  for (std::size_t i : inputs) shapes.push_back(ctx.input_shape(i));
  auto shape = broadcast_shapes(std::span<const Shape>(shapes));
  if (!shape.is_ok()) return ctx.error(shape.status().message());
  return shape;
}

Status unexpected_dtype(DType dtype) {
  return internal_error(
      fmt::format("run() got dtype {}, which infer() rejects", dtype_name(dtype)));
}

Result<AxisSplit> split_at_axis(const Shape& shape, std::int64_t axis, bool coerce_2d) {
  const int rank = static_cast<int>(shape.size());
  if (rank == 0) return invalid_argument("the input must have rank 1 or more, not a scalar");
  EB_ASSIGN_OR_RETURN(const int a, normalize_axis(axis, rank));
  AxisSplit split;
  for (int d = 0; d < a; ++d) split.outer *= shape[static_cast<std::size_t>(d)];
  if (coerce_2d) {
    for (int d = a; d < rank; ++d) split.axis *= shape[static_cast<std::size_t>(d)];
  } else {
    split.axis = shape[static_cast<std::size_t>(a)];
    for (int d = a + 1; d < rank; ++d) split.inner *= shape[static_cast<std::size_t>(d)];
  }
  return split;
}

namespace {

template <typename To, typename From>
storage_t<To> convert_element(storage_t<From> v) {
  if constexpr (std::is_same_v<To, From> && !std::is_same_v<To, bool>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    return store<bool>(load<From>(v) != compute_t<From>(0));
  } else if constexpr (std::is_same_v<To, Half>) {
    // Integers above 2^24 lose bits in the float step but overflow float16 anyway.
    if constexpr (std::is_same_v<From, double>)
      return double_to_half(v);
    else
      return float_to_half(static_cast<float>(load<From>(v)));
  } else if constexpr (std::is_integral_v<To>) {
    const auto x = load<From>(v);
    if constexpr (std::is_floating_point_v<decltype(x)>) {
      return saturate_cast<To>(static_cast<double>(x));
    } else {
      return static_cast<To>(x);  // integer to integer wraps (C++20 defines it)
    }
  } else {
    return static_cast<To>(load<From>(v));
  }
}

}  // namespace

void cast_elements(const Tensor& in, Tensor& out) {
  visit_dtype(in.dtype(), AllTypes{}, [&](auto* from_tag) {
    using From = std::remove_pointer_t<decltype(from_tag)>;
    visit_dtype(out.dtype(), AllTypes{}, [&](auto* to_tag) {
      using To = std::remove_pointer_t<decltype(to_tag)>;
      const auto* src = in.data<storage_t<From>>();
      auto* dst = out.data<storage_t<To>>();
      for (std::int64_t i = 0; i < in.element_count(); ++i) {
        dst[i] = convert_element<To, From>(src[i]);
      }
    });
  });
}

}  // namespace edgebench::engine::ops
