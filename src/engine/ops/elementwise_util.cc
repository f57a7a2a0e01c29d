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

void cast_elements(const Tensor& in, Tensor& out, ThreadPool* pool) {
  visit_dtype(in.dtype(), AllTypes{}, [&](auto* from_tag) {
    using From = std::remove_pointer_t<decltype(from_tag)>;
    visit_dtype(out.dtype(), AllTypes{}, [&](auto* to_tag) {
      using To = std::remove_pointer_t<decltype(to_tag)>;
      const auto* src = in.data<storage_t<From>>();
      auto* dst = out.data<storage_t<To>>();
      parallel_elements(pool, in.element_count(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) dst[i] = convert_element<To, From>(src[i]);
      });
    });
  });
}

Result<LegacyBroadcast> LegacyBroadcast::parse(const KernelCreateContext& ctx, bool channel_slope) {
  LegacyBroadcast legacy;
  // Opset 0 means "no opset import"; treat it as the newest rules.
  legacy.active = ctx.opset > 0 && ctx.opset < 7;
  if (!legacy.active) return legacy;
  legacy.channel_slope = channel_slope;
  EB_ASSIGN_OR_RETURN(std::int64_t broadcast, ctx.node.attributes.get_int("broadcast", 0));
  legacy.broadcast = broadcast != 0;
  if (ctx.node.attributes.has("axis")) {
    EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", 0));
    legacy.axis = axis;
  }
  return legacy;
}

Result<Shape> LegacyBroadcast::aligned_b(const Shape& a, const Shape& b) const {
  const auto rank_a = static_cast<std::int64_t>(a.size());
  const auto rank_b = static_cast<std::int64_t>(b.size());
  if (channel_slope) {
    // A slope of one element is shared; a 1-D slope of C elements runs along axis 1.
    if (element_count(b) == 1) return Shape{};
    if (rank_b == 1 && rank_a >= 2 && b[0] == a[1]) {
      Shape aligned(static_cast<std::size_t>(rank_a - 1), 1);
      aligned[0] = b[0];
      return aligned;
    }
    if (b == a) return b;
    return invalid_argument(fmt::format("slope shape {} does not fit input shape {} (opset < 7)",
                                        shape_to_string(b), shape_to_string(a)));
  }
  if (!broadcast) {
    if (a == b) return b;
    return invalid_argument(fmt::format(
        "shapes {} and {} differ and the legacy 'broadcast' attribute is not set (opset < 7)",
        shape_to_string(a), shape_to_string(b)));
  }
  std::int64_t start = axis.has_value() ? *axis : rank_a - rank_b;
  if (start < 0) start += rank_a;
  if (rank_b > rank_a || start < 0 || start + rank_b > rank_a) {
    return invalid_argument(fmt::format("shape {} cannot broadcast onto {} at axis {} (opset < 7)",
                                        shape_to_string(b), shape_to_string(a), start));
  }
  if (element_count(b) == 1) return Shape{};
  Shape aligned(static_cast<std::size_t>(rank_a - start), 1);
  for (std::int64_t i = 0; i < rank_b; ++i) {
    const std::int64_t d = b[static_cast<std::size_t>(i)];
    if (d != 1 && d != a[static_cast<std::size_t>(start + i)]) {
      return invalid_argument(
          fmt::format("shape {} cannot broadcast onto {} at axis {} (opset < 7)",
                      shape_to_string(b), shape_to_string(a), start));
    }
    aligned[static_cast<std::size_t>(i)] = d;
  }
  return aligned;
}

}  // namespace edgebench::engine::ops
