// Helpers for the resample/reduce family tests: building nodes and tensors, seeded random data,
// and multi-index iteration for the double-precision reference loops.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "edgebench/engine/plan.h"

namespace edgebench::engine::testing {

inline ir::Node make_node(std::string op_type, std::vector<std::string> inputs,
                          std::size_t num_outputs = 1) {
  ir::Node node;
  node.op_type = std::move(op_type);
  node.name = "n";
  node.inputs = std::move(inputs);
  for (std::size_t i = 0; i < num_outputs; ++i) node.outputs.push_back("y" + std::to_string(i));
  return node;
}

template <typename T>
Tensor make_tensor(DType dtype, Shape shape, const std::vector<T>& values) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  EXPECT_EQ(static_cast<std::size_t>(t.element_count()), values.size());
  for (std::size_t i = 0; i < values.size() && i < static_cast<std::size_t>(t.element_count());
       ++i) {
    t.data<T>()[i] = values[i];
  }
  return t;
}

inline Tensor int64_tensor(const std::vector<std::int64_t>& values) {
  return make_tensor<std::int64_t>(DType::kInt64, {static_cast<std::int64_t>(values.size())},
                                   values);
}

inline Tensor float_vector(const std::vector<float>& values) {
  return make_tensor<float>(DType::kFloat32, {static_cast<std::int64_t>(values.size())}, values);
}

// Uniform random float32 tensor in [lo, hi).
inline Tensor random_float(Shape shape, std::mt19937& rng, float lo = -2.0f, float hi = 2.0f) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (std::int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// Runs a node; fails the test (and returns an empty vector) on error.
inline std::vector<Tensor> run_ok(const ir::Node& node, std::int64_t opset,
                                  const std::vector<Tensor>& inputs) {
  auto out = run_node(node, opset, inputs);
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  if (!out.is_ok()) return {};
  return std::move(out).value();
}

// The status of running a node that is expected to fail.
inline Status run_status(const ir::Node& node, std::int64_t opset,
                         const std::vector<Tensor>& inputs) {
  return run_node(node, opset, inputs).status();
}

// Row-major multi-index of flat index i in shape.
inline std::vector<std::int64_t> unravel(std::int64_t i, const Shape& shape) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = i % shape[d];
    i /= shape[d];
  }
  return index;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& index, const Shape& shape) {
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

}  // namespace edgebench::engine::testing
