// Helpers shared by the nn family of reference ops (conv, pooling, normalization): element access
// that treats float16 as float, and checked size arithmetic. Internal to the engine.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "edgebench/core/dtype.h"
#include "edgebench/core/status.h"
#include "edgebench/engine/op.h"

namespace edgebench::engine::ops {

// Tag for float16 in dispatch_elements: stored as uint16 bits, computed in float.
struct Float16 {};

// How a kernel reads and writes elements of type T: `Storage` is what the buffer holds and
// `Compute` is the type the arithmetic runs in.
template <typename T>
struct ElementOps {
  using Storage = T;
  using Compute = T;
  static Compute load(Storage v) { return v; }
  static Storage store(Compute v) { return v; }
};

template <>
struct ElementOps<Float16> {
  using Storage = std::uint16_t;
  using Compute = float;
  static float load(std::uint16_t v) { return half_to_float(v); }
  static std::uint16_t store(float v) { return float_to_half(v); }
};

// Calls f(ElementOps<T>{}) for the T among Ts that matches dtype (Float16 for kFloat16);
// unsupported otherwise. Unlike dispatch_types it handles float16.
template <typename... Ts, typename F>
Status dispatch_elements(DType dtype, std::string_view what, F&& f) {
  bool done = false;
  auto try_one = [&]<typename T>() {
    if constexpr ((std::is_same_v<T, Ts> || ...)) {
      f(ElementOps<T>{});
      done = true;
    }
  };
  switch (dtype) {
    case DType::kFloat32: try_one.template operator()<float>(); break;
    case DType::kFloat64: try_one.template operator()<double>(); break;
    case DType::kFloat16: try_one.template operator()<Float16>(); break;
    case DType::kInt8: try_one.template operator()<std::int8_t>(); break;
    case DType::kUInt8: try_one.template operator()<std::uint8_t>(); break;
    case DType::kInt16: try_one.template operator()<std::int16_t>(); break;
    case DType::kUInt16: try_one.template operator()<std::uint16_t>(); break;
    case DType::kInt32: try_one.template operator()<std::int32_t>(); break;
    case DType::kUInt32: try_one.template operator()<std::uint32_t>(); break;
    case DType::kInt64: try_one.template operator()<std::int64_t>(); break;
    case DType::kUInt64: try_one.template operator()<std::uint64_t>(); break;
    case DType::kBool: try_one.template operator()<bool>(); break;
    case DType::kUndefined: break;
  }
  if (!done)
    return unsupported(fmt::format("{} does not support dtype {}", what, dtype_name(dtype)));
  return Status::ok();
}

// Checked int64 arithmetic for sizes derived from model data; nullopt on overflow.
inline std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}
inline std::optional<std::int64_t> checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return std::nullopt;
  return out;
}
inline std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// Prefixes a shape-helper error with the node, as InferContext::error does.
inline Status in_node(const InferContext& ctx, const Status& status) {
  return status.with_context(ctx.node().describe());
}

// Shape rule of the Global*Pool ops: X (N, C, D1, ..., Dn) with n >= 1 pools to (N, C, 1, ..., 1).
inline Status infer_global_pool(InferContext& ctx) {
  EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
  EB_RETURN_IF_ERROR(
      ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16}));
  const Shape& x = ctx.input_shape(0);
  if (x.size() < 3) {
    return ctx.error(fmt::format(
        "input X has shape {}; expected rank 3 or more (N, C, spatial axes)", shape_to_string(x)));
  }
  Shape y(x.size(), 1);
  y[0] = x[0];
  y[1] = x[1];
  ctx.set_output(0, ctx.input_dtype(0), std::move(y));
  return Status::ok();
}

}  // namespace edgebench::engine::ops
