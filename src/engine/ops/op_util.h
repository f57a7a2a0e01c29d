// Shared helpers for op implementations: axis handling, broadcasting, typed dispatch.
// Internal to the engine (not a public header).
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "edgebench/core/dtype.h"
#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/engine/op.h"

namespace edgebench::engine::ops {

// Maps a possibly negative axis into [0, rank); error when out of range.
Result<int> normalize_axis(std::int64_t axis, int rank);

// Multidirectional (NumPy-style) broadcast of shapes, per the ONNX rules.
Result<Shape> broadcast_shapes(std::span<const Shape> shapes);
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Row-major strides of a shape (in elements).
std::vector<std::int64_t> strides_of(const Shape& shape);

// Strides of `input` when broadcast to `output` (0 on broadcast dims); input rank <= output.
std::vector<std::int64_t> broadcast_strides(const Shape& input, const Shape& output);

// The row-major multi-index of element `flat` of a tensor of `shape` (flat < its size).
inline std::vector<std::int64_t> unravel_index(const Shape& shape, std::int64_t flat) {
  std::vector<std::int64_t> index(shape.size(), 0);
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

// Calls f(out_index, in_offsets...) for the elements [begin, end) of `output` (row-major),
// where each in_offset is the element offset into the corresponding input after broadcasting.
// Plain and readable; the reference kernels use it.
template <std::size_t N, typename F>
void for_each_broadcast_range(const Shape& output, const std::array<Shape, N>& inputs,
                              std::int64_t begin, std::int64_t end, F&& f) {
  if (begin >= end) return;
  const int rank = static_cast<int>(output.size());
  std::array<std::vector<std::int64_t>, N> strides;
  for (std::size_t k = 0; k < N; ++k) strides[k] = broadcast_strides(inputs[k], output);
  // The multi-index and offsets of element `begin`.
  std::vector<std::int64_t> index = unravel_index(output, begin);
  std::array<std::int64_t, N> offsets{};
  for (std::size_t d = 0; d < index.size(); ++d) {
    for (std::size_t k = 0; k < N; ++k) offsets[k] += strides[k][d] * index[d];
  }
  for (std::int64_t i = begin; i < end; ++i) {
    f(i, offsets);
    // Increment the multi-index and offsets (odometer).
    for (int d = rank - 1; d >= 0; --d) {
      const auto ud = static_cast<std::size_t>(d);
      ++index[ud];
      for (std::size_t k = 0; k < N; ++k) offsets[k] += strides[k][ud];
      if (index[ud] < output[ud]) break;
      for (std::size_t k = 0; k < N; ++k) offsets[k] -= strides[k][ud] * index[ud];
      index[ud] = 0;
    }
  }
}

// for_each_broadcast_range over every element of `output`.
template <std::size_t N, typename F>
void for_each_broadcast(const Shape& output, const std::array<Shape, N>& inputs, F&& f) {
  for_each_broadcast_range<N>(output, inputs, 0, element_count(output), std::forward<F>(f));
}

// Float16 is stored as uint16 bits; these read/write any arithmetic dtype as float/double.
template <typename T>
inline double load_as_double(const T* p, std::int64_t i) {
  return static_cast<double>(p[i]);
}

// Dispatches on a dtype among the listed types; returns unsupported otherwise.
// Usage: dispatch_types<float, double, int32_t>(dtype, "Relu", [&](auto tag) { using T = ...; });
template <typename... Ts, typename F>
Status dispatch_types(DType dtype, std::string_view what, F&& f) {
  bool done = false;
  auto try_one = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr ((std::is_same_v<T, Ts> || ...)) {
      f(tag);
      done = true;
    }
  };
  // float16 shares uint16_t storage; dispatch_dtype maps kFloat16 to uint16_t, so only treat
  // it as handled when the caller lists uint16_t and dtype is kUInt16.
  if (dtype == DType::kFloat16) {
    return unsupported(fmt::format("{} does not support dtype float16", what));
  }
  dispatch_dtype(dtype, try_one);
  if (!done)
    return unsupported(fmt::format("{} does not support dtype {}", what, dtype_name(dtype)));
  return Status::ok();
}

}  // namespace edgebench::engine::ops
