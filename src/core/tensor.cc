#include "edgebench/core/tensor.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace edgebench {

Result<std::uint64_t> checked_element_count(std::span<const std::int64_t> shape) {
  std::uint64_t count = 1;
  for (std::int64_t d : shape) {
    if (d < 0) {
      return invalid_argument(
          fmt::format("negative dimension {} in shape {}", d, shape_to_string(shape)));
    }
  }
  // An empty tensor is valid whatever its other dims are.
  for (std::int64_t d : shape) {
    if (d == 0) return std::uint64_t{0};
  }
  for (std::int64_t d : shape) {
    if (d != 0 && count > UINT64_MAX / static_cast<std::uint64_t>(d)) {
      return out_of_range(
          fmt::format("shape {} overflows 64-bit element count", shape_to_string(shape)));
    }
    count *= static_cast<std::uint64_t>(d);
  }
  return count;
}

Result<std::uint64_t> checked_byte_size(DType dtype, std::span<const std::int64_t> shape) {
  EB_ASSIGN_OR_RETURN(std::uint64_t count, checked_element_count(shape));
  const std::uint64_t elem = dtype_size(dtype);
  if (elem != 0 && count > kMaxTensorBytes / elem) {
    return out_of_range(fmt::format("tensor {}{} needs more than the {} GiB limit",
                                    dtype_name(dtype), shape_to_string(shape),
                                    kMaxTensorBytes >> 30));
  }
  return count * elem;
}

std::int64_t element_count(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(std::span<const std::int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

namespace {

std::shared_ptr<std::byte> aligned_buffer(std::size_t bytes) {
  const std::size_t total = bytes + kTensorTailPadding;
  auto* p = static_cast<std::byte*>(::operator new[](total, std::align_val_t(kTensorAlignment)));
  std::memset(p, 0, total);
  return {p, [](std::byte* q) { ::operator delete[](q, std::align_val_t(kTensorAlignment)); }};
}

}  // namespace

Result<Tensor> Tensor::allocate(DType dtype, Shape shape) {
  if (dtype == DType::kUndefined) return invalid_argument("cannot allocate an undefined dtype");
  EB_ASSIGN_OR_RETURN(std::uint64_t bytes, checked_byte_size(dtype, shape));
  Tensor t;
  t.dtype_ = dtype;
  t.element_count_ = static_cast<std::int64_t>(bytes / dtype_size(dtype));
  t.shape_ = std::move(shape);
  try {
    t.storage_ = aligned_buffer(static_cast<std::size_t>(bytes));
  } catch (const std::bad_alloc&) {
    return out_of_range(
        fmt::format("out of memory allocating {} bytes for tensor {}", bytes, t.describe()));
  }
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  Result<Tensor> t = allocate(dtype, std::move(shape));
  if (!t.is_ok()) {
    std::fprintf(stderr, "edgebench: internal allocation failed: %s\n",
                 t.status().to_string().c_str());
    std::abort();
  }
  return std::move(t).value();
}

Tensor Tensor::view(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.element_count_ = edgebench::element_count(shape);
  t.shape_ = std::move(shape);
  t.data_ = static_cast<std::byte*>(data);
  return t;
}

double Tensor::element_as_double(std::int64_t i) const {
  double out = 0;
  if (dtype_ == DType::kFloat16) return half_to_float(data<std::uint16_t>()[i]);
  dispatch_dtype(dtype_, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    out = static_cast<double>(data<T>()[i]);
  });
  return out;
}

void Tensor::set_element(std::int64_t i, double value) {
  if (dtype_ == DType::kFloat16) {
    data<std::uint16_t>()[i] = float_to_half(static_cast<float>(value));
    return;
  }
  dispatch_dtype(dtype_, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (std::is_same_v<T, bool>) {
      data<T>()[i] = value != 0.0;
    } else {
      data<T>()[i] = static_cast<T>(value);
    }
  });
}

std::int64_t Tensor::element_as_int64(std::int64_t i) const {
  std::int64_t out = 0;
  if (dtype_ == DType::kFloat16)
    return static_cast<std::int64_t>(half_to_float(data<std::uint16_t>()[i]));
  dispatch_dtype(dtype_, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    out = static_cast<std::int64_t>(data<T>()[i]);
  });
  return out;
}

std::vector<std::int64_t> Tensor::to_int64_vector() const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(element_count_));
  for (std::int64_t i = 0; i < element_count_; ++i)
    out[static_cast<std::size_t>(i)] = element_as_int64(i);
  return out;
}

Tensor Tensor::clone() const {
  if (!defined()) return {};
  Tensor t = zeros(dtype_, shape_);
  if (byte_size() > 0) std::memcpy(t.data_, data_, byte_size());
  t.quant_ = quant_;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

std::string Tensor::describe() const {
  return fmt::format("{}{}", dtype_name(dtype_), shape_to_string(shape_));
}

}  // namespace edgebench
