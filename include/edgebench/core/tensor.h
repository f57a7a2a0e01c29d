// Tensor: a dtype, a shape and a contiguous row-major buffer, with optional quantization.
//
// A Tensor is a cheap handle: copying it shares the buffer (like a shared_ptr). Use clone() for
// a deep copy. A tensor either owns its buffer (allocate) or views memory owned by someone else
// (view), typically the engine's activation arena; a view must not outlive that memory.
// Buffers are 64-byte aligned and followed by kTensorTailPadding readable bytes so that SIMD
// kernels may over-read the last vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "edgebench/core/dtype.h"
#include "edgebench/core/status.h"

namespace edgebench {

using Shape = std::vector<std::int64_t>;

inline constexpr std::size_t kTensorAlignment = 64;
inline constexpr std::size_t kTensorTailPadding = 64;
// Largest single tensor edgebench will allocate; protects against hostile shapes.
inline constexpr std::uint64_t kMaxTensorBytes = std::uint64_t{16} << 30;

// Element count of a shape, rejecting negative dims and overflow.
Result<std::uint64_t> checked_element_count(std::span<const std::int64_t> shape);
// Byte size of a dtype/shape pair, rejecting overflow and sizes above kMaxTensorBytes.
Result<std::uint64_t> checked_byte_size(DType dtype, std::span<const std::int64_t> shape);
// Element count of a shape that is already known to be valid.
std::int64_t element_count(std::span<const std::int64_t> shape);
std::string shape_to_string(std::span<const std::int64_t> shape);

// Per-tensor (axis unset, one scale) or per-axis (one scale and zero point per slice of axis).
struct QuantParams {
  std::vector<float> scales;
  std::vector<std::int64_t> zero_points;
  std::optional<int> axis;

  bool per_axis() const { return axis.has_value(); }
};

class Tensor {
 public:
  Tensor() = default;

  // Allocates a zero-filled tensor; fails on negative dims, overflow or sizes over the limit.
  static Result<Tensor> allocate(DType dtype, Shape shape);
  // Allocates a tensor whose shape is known to be valid (internal use); aborts on failure.
  static Tensor zeros(DType dtype, Shape shape);
  // Wraps memory owned elsewhere. The caller keeps `data` alive and large enough.
  static Tensor view(DType dtype, Shape shape, void* data);
  // A 0-d tensor of `dtype` holding `value` converted to that dtype.
  template <typename T>
  static Tensor scalar(DType dtype, T value) {
    Tensor t = zeros(dtype, {});
    t.set_element_from(0, value);
    return t;
  }
  // A 1-d tensor of `dtype` holding the given values converted to that dtype.
  template <typename T>
  static Tensor vector(DType dtype, std::span<const T> values) {
    Tensor t = zeros(dtype, {static_cast<std::int64_t>(values.size())});
    for (std::size_t i = 0; i < values.size(); ++i) {
      t.set_element_from(static_cast<std::int64_t>(i), values[i]);
    }
    return t;
  }
  // Writes element i converted from T with a direct static_cast (no detour through double, so
  // int64 values survive exactly); float16 rounds to nearest even.
  template <typename T>
  void set_element_from(std::int64_t i, T value) {
    if (dtype_ == DType::kFloat16) {
      data<std::uint16_t>()[i] = float_to_half(static_cast<float>(value));
      return;
    }
    dispatch_dtype(dtype_, [&](auto* tag) {
      using U = std::remove_pointer_t<decltype(tag)>;
      if constexpr (std::is_same_v<U, bool>) {
        data<U>()[i] = value != T(0);
      } else {
        data<U>()[i] = static_cast<U>(value);
      }
    });
  }
  // Writes element i converted from double to the tensor's dtype (float16 rounds to nearest).
  void set_element(std::int64_t i, double value);

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  std::int64_t dim(int axis) const { return shape_[static_cast<std::size_t>(axis)]; }
  std::int64_t element_count() const { return element_count_; }
  std::size_t byte_size() const {
    return static_cast<std::size_t>(element_count_) * dtype_size(dtype_);
  }
  bool owns_data() const { return storage_ != nullptr; }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <typename T>
  T* data() {
    return reinterpret_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(data_);
  }
  std::span<std::byte> bytes() { return {data_, byte_size()}; }
  std::span<const std::byte> bytes() const { return {data_, byte_size()}; }

  // Reads element i converted to double / int64 (any dtype); for shape-like inputs and tests.
  double element_as_double(std::int64_t i) const;
  std::int64_t element_as_int64(std::int64_t i) const;
  // All elements as int64 (for shape, axes, pads inputs).
  std::vector<std::int64_t> to_int64_vector() const;

  const std::optional<QuantParams>& quant() const { return quant_; }
  void set_quant(std::optional<QuantParams> quant) { quant_ = std::move(quant); }

  // Deep copy into a newly owned buffer.
  Tensor clone() const;
  // Same buffer, new shape with the same element count (checked by the caller).
  Tensor reshaped(Shape shape) const;

  std::string describe() const;  // "float32[1,3,224,224]"

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::int64_t element_count_ = 0;
  std::shared_ptr<std::byte> storage_;
  std::byte* data_ = nullptr;
  std::optional<QuantParams> quant_;
};

// Calls f with a typed null pointer `T*` for the tensor's dtype: f(static_cast<T*>(nullptr)).
// Returns false (without calling f) for kUndefined.
template <typename F>
bool dispatch_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(static_cast<float*>(nullptr)); return true;
    case DType::kFloat64: f(static_cast<double*>(nullptr)); return true;
    case DType::kFloat16: f(static_cast<std::uint16_t*>(nullptr)); return true;
    case DType::kInt8: f(static_cast<std::int8_t*>(nullptr)); return true;
    case DType::kUInt8: f(static_cast<std::uint8_t*>(nullptr)); return true;
    case DType::kInt16: f(static_cast<std::int16_t*>(nullptr)); return true;
    case DType::kUInt16: f(static_cast<std::uint16_t*>(nullptr)); return true;
    case DType::kInt32: f(static_cast<std::int32_t*>(nullptr)); return true;
    case DType::kUInt32: f(static_cast<std::uint32_t*>(nullptr)); return true;
    case DType::kInt64: f(static_cast<std::int64_t*>(nullptr)); return true;
    case DType::kUInt64: f(static_cast<std::uint64_t*>(nullptr)); return true;
    case DType::kBool: f(static_cast<bool*>(nullptr)); return true;
    case DType::kUndefined: return false;
  }
  return false;
}

}  // namespace edgebench
