// Helpers for the elementwise op tests: nodes, seeded random tensors, an independent
// broadcasting reference and tolerant comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "edgebench/engine/plan.h"

namespace edgebench::engine::elementwise_test {

inline ir::Node make_node(std::string op_type, std::size_t inputs, std::size_t outputs = 1,
                          ir::Attributes attributes = {}) {
  ir::Node node;
  node.name = "n";
  node.op_type = std::move(op_type);
  for (std::size_t i = 0; i < inputs; ++i) node.inputs.push_back("x" + std::to_string(i));
  for (std::size_t i = 0; i < outputs; ++i) node.outputs.push_back("y" + std::to_string(i));
  node.attributes = std::move(attributes);
  return node;
}

inline Result<std::vector<Tensor>> run(const ir::Node& node, std::int64_t opset,
                                       std::vector<Tensor> inputs) {
  return run_node(node, opset, std::span<const Tensor>(inputs));
}

// Writes `value` into element i of t, converting to t's dtype (float16 rounds to nearest).
inline void set_element(Tensor& t, std::int64_t i, double value) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(value); break;
    case DType::kFloat64: t.data<double>()[i] = value; break;
    case DType::kFloat16:
      t.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(value));
      break;
    case DType::kInt8: t.data<std::int8_t>()[i] = static_cast<std::int8_t>(value); break;
    case DType::kUInt8: t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(value); break;
    case DType::kInt16: t.data<std::int16_t>()[i] = static_cast<std::int16_t>(value); break;
    case DType::kUInt16: t.data<std::uint16_t>()[i] = static_cast<std::uint16_t>(value); break;
    case DType::kInt32: t.data<std::int32_t>()[i] = static_cast<std::int32_t>(value); break;
    case DType::kUInt32: t.data<std::uint32_t>()[i] = static_cast<std::uint32_t>(value); break;
    case DType::kInt64: t.data<std::int64_t>()[i] = static_cast<std::int64_t>(value); break;
    case DType::kUInt64: t.data<std::uint64_t>()[i] = static_cast<std::uint64_t>(value); break;
    case DType::kBool: t.data<std::uint8_t>()[i] = value != 0 ? 1 : 0; break;
    case DType::kUndefined: break;
  }
}

// Element i as a double; bool reads its byte, float16 its value.
inline double get_element(const Tensor& t, std::int64_t i) {
  if (t.dtype() == DType::kBool) return t.data<std::uint8_t>()[i] != 0 ? 1.0 : 0.0;
  return t.element_as_double(i);
}

inline Tensor make_tensor(DType dtype, Shape shape, std::span<const double> values) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  for (std::int64_t i = 0; i < t.element_count(); ++i)
    set_element(t, i, values[static_cast<std::size_t>(i)]);
  return t;
}

inline Tensor make_tensor(DType dtype, Shape shape, std::initializer_list<double> values) {
  return make_tensor(dtype, std::move(shape),
                     std::span<const double>(values.begin(), values.size()));
}

// Uniform values in [lo, hi]; integer dtypes get whole numbers, bool gets 0 / 1.
inline Tensor random_tensor(DType dtype, Shape shape, std::mt19937& rng, double lo, double hi) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  const bool whole = is_integer(dtype) || dtype == DType::kBool;
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    double v;
    if (dtype == DType::kBool) {
      v = std::uniform_int_distribution<int>(0, 1)(rng);
    } else if (whole) {
      v = static_cast<double>(std::uniform_int_distribution<std::int64_t>(
          static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi))(rng));
    } else {
      v = std::uniform_real_distribution<double>(lo, hi)(rng);
    }
    set_element(t, i, v);
  }
  return t;
}

// The offset into an input of shape `in` that output element `flat` of shape `out` reads under
// NumPy broadcasting. Written independently of op_util's odometer: unravel, then re-ravel with
// broadcast dims pinned to 0.
inline std::int64_t broadcast_offset(const Shape& in, const Shape& out, std::int64_t flat) {
  std::vector<std::int64_t> index(out.size());
  for (std::size_t d = out.size(); d-- > 0;) {
    index[d] = flat % out[d];
    flat /= out[d];
  }
  std::int64_t offset = 0;
  const std::size_t lead = out.size() - in.size();
  for (std::size_t d = 0; d < in.size(); ++d) {
    offset = offset * in[d] + (in[d] == 1 ? 0 : index[lead + d]);
  }
  return offset;
}

// NumPy broadcast of two shapes (test-side version).
inline Shape broadcast_shape(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Per-dtype tolerances for float results against a double reference.
inline double tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return 1e-12;
    case DType::kFloat32: return 2e-6;
    case DType::kFloat16: return 2e-3;
    default: return 0.0;
  }
}

// Compares every element with `expected` within atol + rtol * |expected| (NaN matches NaN,
// infinities must match exactly).
inline void expect_close(const Tensor& actual, std::span<const double> expected, double tol,
                         const std::string& what) {
  ASSERT_EQ(actual.element_count(), static_cast<std::int64_t>(expected.size())) << what;
  int failures = 0;
  for (std::int64_t i = 0; i < actual.element_count() && failures < 5; ++i) {
    const double a = get_element(actual, i);
    const double e = expected[static_cast<std::size_t>(i)];
    if (std::isnan(e) && std::isnan(a)) continue;
    if (std::isinf(e) || std::isinf(a)) {
      if (a != e) {
        ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << e;
        ++failures;
      }
      continue;
    }
    if (!(std::abs(a - e) <= tol + tol * std::abs(e))) {
      ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << e
                    << " (tolerance " << tol << ")";
      ++failures;
    }
  }
}

inline std::string describe_case(std::string_view op, DType dtype, const std::vector<Shape>& shapes,
                                 std::uint32_t seed) {
  std::string out = std::string(op) + " " + std::string(dtype_name(dtype));
  for (const Shape& s : shapes) out += " " + shape_to_string(s);
  out += " seed " + std::to_string(seed);
  return out;
}

}  // namespace edgebench::engine::elementwise_test
