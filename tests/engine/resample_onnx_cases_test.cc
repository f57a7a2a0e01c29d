// The ONNX backend node tests of the resample/reduce family (ONNX 1.12 data, turned into C++ by
// data/gen_resample_reduce_onnx_cases.py), with the tolerances of ONNX's backend runner
// (rtol 1e-3, atol 1e-7).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <variant>

#include "edgebench/engine/plan.h"

namespace edgebench::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct CaseTensor {
  DType dtype = DType::kUndefined;  // kUndefined: an absent optional input
  Shape shape;
  std::vector<double> values;
};

struct CaseAttribute {
  std::string name;
  ir::AttributeValue value;
};

struct OnnxCase {
  std::string name;
  std::string op_type;
  std::int64_t opset;
  std::vector<CaseAttribute> attributes;
  std::vector<CaseTensor> inputs;
  std::vector<CaseTensor> outputs;
};

const std::vector<OnnxCase>& onnx_cases() {
  static const std::vector<OnnxCase> cases = {
#include "engine/data/resample_reduce_onnx_cases.inc"
  };
  return cases;
}

Tensor to_tensor(const CaseTensor& c) {
  if (c.dtype == DType::kUndefined) return {};
  Tensor t = Tensor::zeros(c.dtype, c.shape);
  dispatch_dtype(c.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    for (std::size_t i = 0; i < c.values.size(); ++i) {
      if (c.dtype == DType::kFloat16) {
        t.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(c.values[i]));
      } else {
        t.data<T>()[i] = static_cast<T>(c.values[i]);
      }
    }
  });
  return t;
}

class ResampleOnnxCases : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ResampleOnnxCases, MatchesExpectedOutput) {
  const OnnxCase& c = onnx_cases()[GetParam()];
  SCOPED_TRACE(c.name);
  ir::Node node;
  node.name = c.name;
  node.op_type = c.op_type;
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    inputs.push_back(to_tensor(c.inputs[i]));
    node.inputs.push_back(inputs.back().defined() ? "in" + std::to_string(i) : "");
  }
  for (std::size_t i = 0; i < c.outputs.size(); ++i)
    node.outputs.push_back("out" + std::to_string(i));
  for (const CaseAttribute& a : c.attributes) node.attributes.set(a.name, a.value);

  auto got = run_node(node, c.opset, inputs);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  ASSERT_EQ(got->size(), c.outputs.size());
  for (std::size_t o = 0; o < c.outputs.size(); ++o) {
    const Tensor& y = (*got)[o];
    const CaseTensor& want = c.outputs[o];
    ASSERT_EQ(y.dtype(), want.dtype) << "output " << o;
    ASSERT_EQ(y.shape(), want.shape) << "output " << o;
    for (std::int64_t i = 0; i < y.element_count(); ++i) {
      const double g = y.element_as_double(i);
      const double w = want.values[static_cast<std::size_t>(i)];
      if (std::isnan(w)) {
        EXPECT_TRUE(std::isnan(g)) << "output " << o << " element " << i;
      } else if (std::isinf(w)) {
        EXPECT_EQ(g, w) << "output " << o << " element " << i;
      } else {
        EXPECT_NEAR(g, w, 1e-7 + 1e-3 * std::fabs(w)) << "output " << o << " element " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ResampleOnnx, ResampleOnnxCases,
                         ::testing::Range<std::size_t>(0, onnx_cases().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& param) {
                           return onnx_cases()[param.param].name;
                         });

}  // namespace
}  // namespace edgebench::engine
