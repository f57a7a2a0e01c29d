// Helpers shared by the linear_quant op tests (tests/engine/linquant_*_test.cc): building a
// node, filling tensors from a seeded generator, and reading results back.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "edgebench/engine/plan.h"

namespace edgebench::engine::linquant_test {

// A node with inputs named in0, in1, ... (an absent optional input gets an empty name when its
// Tensor is undefined) and `outputs` outputs.
inline ir::Node make_node(const std::string& op_type, std::size_t inputs, std::size_t outputs = 1) {
  ir::Node node;
  node.name = op_type + "_under_test";
  node.op_type = op_type;
  for (std::size_t i = 0; i < inputs; ++i) node.inputs.push_back("in" + std::to_string(i));
  for (std::size_t i = 0; i < outputs; ++i) node.outputs.push_back("out" + std::to_string(i));
  return node;
}

// Runs `node`, naming absent (undefined) inputs "" as ONNX does.
inline Result<std::vector<Tensor>> run(ir::Node node, std::int64_t opset,
                                       const std::vector<Tensor>& inputs) {
  node.inputs.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    node.inputs[i] = inputs[i].defined() ? "in" + std::to_string(i) : "";
  }
  return run_node(node, opset, inputs);
}

// A tensor of the given dtype holding `values` (converted; float16 rounds to nearest even).
inline Tensor tensor_of(DType dtype, Shape shape, const std::vector<double>& values) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  EXPECT_EQ(static_cast<std::int64_t>(values.size()), t.element_count());
  for (std::size_t i = 0; i < values.size() && static_cast<std::int64_t>(i) < t.element_count();
       ++i) {
    const double v = values[i];
    switch (dtype) {
      case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
      case DType::kFloat64: t.data<double>()[i] = v; break;
      case DType::kFloat16:
        t.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(v));
        break;
      case DType::kInt8: t.data<std::int8_t>()[i] = static_cast<std::int8_t>(v); break;
      case DType::kUInt8: t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(v); break;
      case DType::kInt16: t.data<std::int16_t>()[i] = static_cast<std::int16_t>(v); break;
      case DType::kInt32: t.data<std::int32_t>()[i] = static_cast<std::int32_t>(v); break;
      case DType::kUInt32: t.data<std::uint32_t>()[i] = static_cast<std::uint32_t>(v); break;
      case DType::kInt64: t.data<std::int64_t>()[i] = static_cast<std::int64_t>(v); break;
      case DType::kUInt64: t.data<std::uint64_t>()[i] = static_cast<std::uint64_t>(v); break;
      default: ADD_FAILURE() << "dtype " << dtype_name(dtype) << " not handled by the test";
    }
  }
  return t;
}

inline Tensor scalar_of(DType dtype, double value) { return tensor_of(dtype, {}, {value}); }

// All elements as double (float16 decoded).
inline std::vector<double> values_of(const Tensor& t) {
  std::vector<double> out(static_cast<std::size_t>(t.element_count()));
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    out[static_cast<std::size_t>(i)] = t.element_as_double(i);
  }
  return out;
}

inline std::int64_t count_of(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

// Seeded values; integers are drawn uniformly from [low, high], floats from [low, high).
class Random {
 public:
  explicit Random(std::uint32_t seed) : engine_(seed) {}

  std::vector<double> ints(std::int64_t count, std::int64_t low, std::int64_t high) {
    std::uniform_int_distribution<std::int64_t> dist(low, high);
    std::vector<double> out(static_cast<std::size_t>(count));
    for (double& v : out) v = static_cast<double>(dist(engine_));
    return out;
  }
  // Floats representable in float32 (so that the tensor holds exactly what the test uses).
  std::vector<double> floats(std::int64_t count, double low, double high) {
    std::uniform_real_distribution<double> dist(low, high);
    std::vector<double> out(static_cast<std::size_t>(count));
    for (double& v : out) v = static_cast<float>(dist(engine_));
    return out;
  }
  // Values for a quantized dtype: its whole range.
  std::vector<double> quantized(DType dtype, std::int64_t count) {
    return dtype == DType::kInt8 ? ints(count, -128, 127) : ints(count, 0, 255);
  }
  std::int64_t integer(std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(engine_);
  }
  double real(double low, double high) {
    return static_cast<float>(std::uniform_real_distribution<double>(low, high)(engine_));
  }

 private:
  std::mt19937 engine_;
};

// The reference rounding, independent of the engine's: std::nearbyint in the default
// round-to-nearest-even mode.
inline double reference_round(double v) { return std::nearbyint(v); }

inline double reference_saturate(double v, DType dtype) {
  const double low = dtype == DType::kInt8 ? -128.0 : 0.0;
  const double high = dtype == DType::kInt8 ? 127.0 : 255.0;
  return v < low ? low : (v > high ? high : v);
}

}  // namespace edgebench::engine::linquant_test
