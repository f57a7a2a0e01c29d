// Helpers for the tensor-family op tests: building nodes, random tensors of any dtype and
// index arithmetic for the independent references.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "edgebench/engine/plan.h"

namespace edgebench::engine::tensor_test {

// A node with inputs named in0, in1, ... (an empty string in `absent` positions) and outputs
// out0, out1, ...
inline ir::Node make_node(std::string op_type, std::size_t inputs, std::size_t outputs = 1) {
  ir::Node node;
  node.op_type = std::move(op_type);
  node.name = node.op_type + "_under_test";
  for (std::size_t i = 0; i < inputs; ++i) node.inputs.push_back("in" + std::to_string(i));
  for (std::size_t i = 0; i < outputs; ++i) node.outputs.push_back("out" + std::to_string(i));
  return node;
}

inline Tensor int64s(std::vector<std::int64_t> values) {
  return Tensor::vector<std::int64_t>(DType::kInt64, values);
}

inline Tensor int32s(const std::vector<std::int64_t>& values) {
  std::vector<std::int32_t> narrow(values.begin(), values.end());
  return Tensor::vector<std::int32_t>(DType::kInt32, narrow);
}

// Random contents for any dtype; every element is distinct enough that a misplaced copy shows.
inline Tensor random_tensor(DType dtype, const Shape& shape, std::mt19937& rng) {
  Tensor t = Tensor::zeros(dtype, shape);
  std::uniform_real_distribution<float> real(-100.0f, 100.0f);
  std::uniform_int_distribution<int> small(-100, 100);
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    switch (dtype) {
      case DType::kFloat32: t.data<float>()[i] = real(rng); break;
      case DType::kFloat64: t.data<double>()[i] = real(rng) * 1.0001; break;
      case DType::kFloat16: t.data<std::uint16_t>()[i] = float_to_half(real(rng)); break;
      case DType::kBool: t.data<bool>()[i] = (rng() & 1u) != 0; break;
      case DType::kInt8: t.data<std::int8_t>()[i] = static_cast<std::int8_t>(small(rng)); break;
      case DType::kUInt8: t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(rng()); break;
      case DType::kInt16: t.data<std::int16_t>()[i] = static_cast<std::int16_t>(rng()); break;
      case DType::kUInt16: t.data<std::uint16_t>()[i] = static_cast<std::uint16_t>(rng()); break;
      case DType::kInt32: t.data<std::int32_t>()[i] = static_cast<std::int32_t>(rng()); break;
      case DType::kUInt32: t.data<std::uint32_t>()[i] = static_cast<std::uint32_t>(rng()); break;
      case DType::kInt64:
        t.data<std::int64_t>()[i] = static_cast<std::int64_t>((std::uint64_t{rng()} << 32) | rng());
        break;
      case DType::kUInt64: t.data<std::uint64_t>()[i] = (std::uint64_t{rng()} << 32) | rng(); break;
      case DType::kUndefined: break;
    }
  }
  return t;
}

inline Shape random_shape(std::mt19937& rng, int rank, std::int64_t max_dim = 5,
                          std::int64_t min_dim = 1) {
  std::uniform_int_distribution<std::int64_t> dim(min_dim, max_dim);
  Shape s(static_cast<std::size_t>(rank));
  for (auto& d : s) d = dim(rng);
  return s;
}

// Multi-index of flat position `flat` in `shape` (row-major), and back.
inline std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& index, const Shape& shape) {
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

// Byte-wise element access, so references work for every dtype.
inline const std::byte* element_ptr(const Tensor& t, std::int64_t i) {
  return static_cast<const std::byte*>(t.raw_data()) +
         static_cast<std::size_t>(i) * dtype_size(t.dtype());
}

inline bool same_element(const Tensor& a, std::int64_t i, const Tensor& b, std::int64_t j) {
  return std::memcmp(element_ptr(a, i), element_ptr(b, j), dtype_size(a.dtype())) == 0;
}

// Expects `actual` to be `reference` exactly (dtype, shape, bytes).
inline void expect_same_tensor(const Tensor& actual, const Tensor& reference,
                               const std::string& what) {
  ASSERT_EQ(actual.dtype(), reference.dtype()) << what;
  ASSERT_EQ(actual.shape(), reference.shape()) << what;
  for (std::int64_t i = 0; i < actual.element_count(); ++i) {
    ASSERT_TRUE(same_element(actual, i, reference, i))
        << what << ": element " << i << " is " << actual.element_as_double(i) << ", expected "
        << reference.element_as_double(i);
  }
}

// Runs one node; fails the test with the status when it does not succeed.
inline std::vector<Tensor> run_ok(const ir::Node& node, std::int64_t opset,
                                  const std::vector<Tensor>& inputs) {
  auto out = run_node(node, opset, inputs);
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  if (!out.is_ok()) return {};
  return std::move(out).value();
}

inline Status run_status(const ir::Node& node, std::int64_t opset,
                         const std::vector<Tensor>& inputs) {
  return run_node(node, opset, inputs).status();
}

inline constexpr DType kSomeDTypes[] = {DType::kFloat32, DType::kInt64, DType::kFloat16,
                                        DType::kBool,    DType::kUInt8, DType::kFloat64};

}  // namespace edgebench::engine::tensor_test
