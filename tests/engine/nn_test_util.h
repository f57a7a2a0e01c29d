// Shared pieces of the nn op tests: node building, seeded random tensors, element access in
// double, and comparison against a double-precision reference with a stated tolerance.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "edgebench/engine/plan.h"

namespace edgebench::engine::nn_test {

inline ir::Node make_node(std::string op_type, std::vector<std::string> inputs,
                          std::vector<std::string> outputs = {"y"}) {
  ir::Node node;
  node.name = "test_" + op_type;
  node.op_type = std::move(op_type);
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  return node;
}

// A tensor of the given dtype with values uniform in [lo, hi) (rounded to the dtype, so that a
// reference reading the tensor back sees exactly what the kernel sees).
inline Tensor random_tensor(std::mt19937& rng, DType dtype, const Shape& shape, double lo = -1.0,
                            double hi = 1.0) {
  Tensor t = Tensor::zeros(dtype, shape);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    const double v = dist(rng);
    switch (dtype) {
      case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
      case DType::kFloat64: t.data<double>()[i] = v; break;
      case DType::kFloat16:
        t.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(v));
        break;
      case DType::kInt8: t.data<std::int8_t>()[i] = static_cast<std::int8_t>(std::lround(v)); break;
      case DType::kUInt8:
        t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(std::lround(v));
        break;
      default: ADD_FAILURE() << "random_tensor: unexpected dtype"; break;
    }
  }
  return t;
}

inline std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> out(static_cast<std::size_t>(t.element_count()));
  for (std::int64_t i = 0; i < t.element_count(); ++i)
    out[static_cast<std::size_t>(i)] = t.element_as_double(i);
  return out;
}

inline std::int64_t count_of(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

// Calls f(index) for every row-major multi-index of `dims`.
inline void for_each_index(const Shape& dims, const std::function<void(const Shape&)>& f) {
  if (count_of(dims) == 0) return;
  Shape index(dims.size(), 0);
  while (true) {
    f(index);
    std::size_t d = dims.size();
    while (d > 0 && ++index[d - 1] == dims[d - 1]) index[--d] = 0;
    if (d == 0) return;
  }
}

// Row-major offset of a multi-index.
inline std::int64_t offset_of(const Shape& dims, const Shape& index) {
  std::int64_t offset = 0;
  for (std::size_t d = 0; d < dims.size(); ++d) offset = offset * dims[d] + index[d];
  return offset;
}

// Passes when every element satisfies |got - want| <= tolerance * max(|want|, 1): a relative
// bound with an absolute floor for values near zero.
inline void expect_close(const Tensor& got, const Shape& want_shape,
                         const std::vector<double>& want, double tolerance,
                         const std::string& what) {
  ASSERT_EQ(got.shape(), want_shape) << what;
  ASSERT_EQ(static_cast<std::size_t>(got.element_count()), want.size()) << what;
  double worst = 0;
  std::int64_t worst_at = -1;
  for (std::int64_t i = 0; i < got.element_count(); ++i) {
    const double w = want[static_cast<std::size_t>(i)];
    const double g = got.element_as_double(i);
    const double err = std::abs(g - w) / std::max(std::abs(w), 1.0);
    if (!(err <= worst)) {  // also catches NaN
      worst = std::isnan(err) ? INFINITY : err;
      worst_at = i;
    }
  }
  EXPECT_LE(worst, tolerance) << what << ": worst element " << worst_at << " got "
                              << (worst_at >= 0 ? got.element_as_double(worst_at) : 0.0) << " want "
                              << (worst_at >= 0 ? want[static_cast<std::size_t>(worst_at)] : 0.0);
}

inline double tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return 1e-10;
    case DType::kFloat16: return 2e-3;  // one float16 rounding of the output, with margin
    default: return 1e-4;
  }
}

// Runs one node; fails the test (and returns empty) when it does not succeed.
inline std::vector<Tensor> run_ok(const ir::Node& node, std::int64_t opset,
                                  const std::vector<Tensor>& inputs, const std::string& what) {
  auto out = run_node(node, opset, inputs);
  EXPECT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
  if (!out.is_ok()) return {};
  return std::move(out).value();
}

// The status of running one node (for error-path tests).
inline Status run_status(const ir::Node& node, std::int64_t opset,
                         const std::vector<Tensor>& inputs) {
  return run_node(node, opset, inputs).status();
}

inline Tensor float_tensor(const Shape& shape, const std::vector<float>& values) {
  Tensor t = Tensor::zeros(DType::kFloat32, shape);
  EXPECT_EQ(static_cast<std::size_t>(t.element_count()), values.size());
  for (std::size_t i = 0; i < values.size() && i < static_cast<std::size_t>(t.element_count());
       ++i) {
    t.data<float>()[i] = values[i];
  }
  return t;
}

inline Tensor int64_tensor(const Shape& shape, const std::vector<std::int64_t>& values) {
  Tensor t = Tensor::zeros(DType::kInt64, shape);
  EXPECT_EQ(static_cast<std::size_t>(t.element_count()), values.size());
  for (std::size_t i = 0; i < values.size() && i < static_cast<std::size_t>(t.element_count());
       ++i) {
    t.data<std::int64_t>()[i] = values[i];
  }
  return t;
}

}  // namespace edgebench::engine::nn_test
