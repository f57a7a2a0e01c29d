// The ONNX backend node tests of the linear_quant ops (Gemm, MatMul, QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul, ConvInteger,
// QLinearConv), converted by linquant_onnx_cases.py, run through run_node.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "edgebench/engine/plan.h"

namespace edgebench::engine {
namespace {

struct CaseTensor {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  std::vector<double> values;
};

struct OnnxCase {
  std::string name;
  std::string op_type;
  std::int64_t opset = 0;
  std::vector<std::pair<std::string, ir::AttributeValue>> attributes;
  std::vector<CaseTensor> inputs;
  std::vector<CaseTensor> outputs;
};

const std::vector<OnnxCase>& onnx_cases() {
  static const std::vector<OnnxCase> cases = {
#include "linquant_onnx_cases.inc"
  };
  return cases;
}

Tensor make_tensor(const CaseTensor& t) {
  if (t.dtype == DType::kUndefined) return {};
  Tensor out = Tensor::zeros(t.dtype, t.shape);
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    const double v = t.values[i];
    switch (t.dtype) {
      case DType::kFloat32: out.data<float>()[i] = static_cast<float>(v); break;
      case DType::kFloat64: out.data<double>()[i] = v; break;
      case DType::kFloat16:
        out.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(v));
        break;
      case DType::kInt8: out.data<std::int8_t>()[i] = static_cast<std::int8_t>(v); break;
      case DType::kUInt8: out.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(v); break;
      case DType::kInt32: out.data<std::int32_t>()[i] = static_cast<std::int32_t>(v); break;
      case DType::kInt64: out.data<std::int64_t>()[i] = static_cast<std::int64_t>(v); break;
      default: ADD_FAILURE() << "dtype " << dtype_name(t.dtype) << " not handled by the test";
    }
  }
  return out;
}

TEST(LinQuantOnnx, BackendNodeTestsPass) {
  ASSERT_FALSE(onnx_cases().empty());
  for (const OnnxCase& c : onnx_cases()) {
    SCOPED_TRACE(c.name);
    ir::Node node;
    node.name = c.name;
    node.op_type = c.op_type;
    for (const auto& [name, value] : c.attributes) node.attributes.set(name, value);
    std::vector<Tensor> inputs;
    for (const CaseTensor& t : c.inputs) {
      node.inputs.push_back(t.name);
      inputs.push_back(make_tensor(t));
    }
    for (const CaseTensor& t : c.outputs) node.outputs.push_back(t.name);
    auto result = run_node(node, c.opset, inputs);
    ASSERT_TRUE(result.is_ok()) << result.status().to_string();
    ASSERT_EQ(result->size(), c.outputs.size());
    for (std::size_t o = 0; o < c.outputs.size(); ++o) {
      const CaseTensor& want = c.outputs[o];
      const Tensor& got = (*result)[o];
      ASSERT_EQ(got.dtype(), want.dtype) << "output " << want.name;
      ASSERT_EQ(got.shape(), want.shape) << "output " << want.name;
      for (std::int64_t i = 0; i < got.element_count(); ++i) {
        const double expected = want.values[static_cast<std::size_t>(i)];
        if (is_floating(want.dtype)) {
          // The ONNX backend runner's tolerance.
          EXPECT_NEAR(got.element_as_double(i), expected, 1e-7 + 1e-3 * std::fabs(expected))
              << "output " << want.name << " element " << i;
        } else {
          EXPECT_EQ(got.element_as_double(i), expected)
              << "output " << want.name << " element " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace edgebench::engine
