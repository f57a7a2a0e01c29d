// Unary elementwise ops against double-precision references on seeded random inputs.
#include <limits>

#include "elementwise_test_util.h"

namespace edgebench::engine {
namespace {

using namespace elementwise_test;

struct UnaryCase {
  std::string op;
  ir::Attributes attributes;
  std::function<double(double)> reference;
  double lo;
  double hi;
  std::int64_t opset = 18;
};

ir::Attributes floats(std::initializer_list<std::pair<const char*, float>> values) {
  ir::Attributes attributes;
  for (const auto& [name, value] : values) attributes.set(name, value);
  return attributes;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<UnaryCase> float_cases() {
  return {
      {"Sqrt", {}, [](double x) { return std::sqrt(x); }, 0.0, 10.0},
      {"Exp", {}, [](double x) { return std::exp(x); }, -5.0, 5.0},
      {"Log", {}, [](double x) { return std::log(x); }, 0.01, 10.0},
      {"Tanh", {}, [](double x) { return std::tanh(x); }, -4.0, 4.0},
      {"Sigmoid", {}, sigmoid, -10.0, 10.0},
      {"Abs", {}, [](double x) { return std::abs(x); }, -5.0, 5.0},
      {"Neg", {}, [](double x) { return -x; }, -5.0, 5.0},
      {"Erf", {}, [](double x) { return std::erf(x); }, -3.0, 3.0},
      {"Reciprocal", {}, [](double x) { return 1.0 / x; }, 0.25, 8.0},
      {"Floor", {}, [](double x) { return std::floor(x); }, -5.0, 5.0},
      {"Ceil", {}, [](double x) { return std::ceil(x); }, -5.0, 5.0},
      {"Round", {}, [](double x) { return std::nearbyint(x); }, -5.0, 5.0},
      {"Sin", {}, [](double x) { return std::sin(x); }, -6.0, 6.0},
      {"Tan", {}, [](double x) { return std::tan(x); }, -1.4, 1.4},
      {"Asin", {}, [](double x) { return std::asin(x); }, -0.99, 0.99},
      {"Acos", {}, [](double x) { return std::acos(x); }, -0.99, 0.99},
      {"Atan", {}, [](double x) { return std::atan(x); }, -5.0, 5.0},
      {"Sinh", {}, [](double x) { return std::sinh(x); }, -4.0, 4.0},
      {"Cosh", {}, [](double x) { return std::cosh(x); }, -4.0, 4.0},
      {"Asinh", {}, [](double x) { return std::asinh(x); }, -5.0, 5.0},
      {"Acosh", {}, [](double x) { return std::acosh(x); }, 1.0, 6.0},
      {"Atanh", {}, [](double x) { return std::atanh(x); }, -0.95, 0.95},
      {"Cos", {}, [](double x) { return std::cos(x); }, -6.0, 6.0},
      {"Softsign", {}, [](double x) { return x / (1.0 + std::abs(x)); }, -5.0, 5.0},
      {"Softplus", {}, [](double x) { return std::log(std::exp(x) + 1.0); }, -10.0, 10.0},
      {"Sign", {}, [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }, -3.0, 3.0},
      {"Relu", {}, [](double x) { return std::max(x, 0.0); }, -3.0, 3.0},
      {"HardSwish",
       {},
       [](double x) { return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5)); },
       -5.0,
       5.0},
      {"Elu", floats({{"alpha", 2.0f}}),
       [](double x) { return x < 0 ? 2.0 * (std::exp(x) - 1.0) : x; }, -4.0, 4.0},
      {"Elu", {}, [](double x) { return x < 0 ? std::exp(x) - 1.0 : x; }, -4.0, 4.0},
      {"LeakyRelu", floats({{"alpha", 0.1f}}),
       [](double x) { return x < 0 ? static_cast<double>(0.1f) * x : x; }, -4.0, 4.0},
      {"LeakyRelu",
       {},
       [](double x) { return x < 0 ? static_cast<double>(0.01f) * x : x; },
       -4.0,
       4.0},
      {"HardSigmoid", floats({{"alpha", 0.5f}, {"beta", 0.6f}}),
       [](double x) { return std::clamp(0.5 * x + static_cast<double>(0.6f), 0.0, 1.0); }, -3.0,
       3.0},
      {"HardSigmoid",
       {},
       [](double x) { return std::clamp(static_cast<double>(0.2f) * x + 0.5, 0.0, 1.0); },
       -4.0,
       4.0},
      {"Selu", floats({{"alpha", 2.0f}, {"gamma", 3.0f}}),
       [](double x) { return 3.0 * (x > 0 ? x : 2.0 * (std::exp(x) - 1.0)); }, -4.0, 4.0},
      {"Selu",
       {},
       [](double x) {
         // Attributes are float32; the spec's defaults are these float values.
         return static_cast<double>(1.0507009873554804934193349852946f) *
                (x > 0 ? x
                       : static_cast<double>(1.6732632423543772848170429916717f) *
                             (std::exp(x) - 1.0));
       },
       -4.0,
       4.0},
      {"Celu", floats({{"alpha", 2.0f}}),
       [](double x) { return std::max(0.0, x) + std::min(0.0, 2.0 * (std::exp(x / 2.0) - 1.0)); },
       -4.0, 4.0},
      {"ThresholdedRelu", floats({{"alpha", 2.0f}}), [](double x) { return x > 2.0 ? x : 0.0; },
       -4.0, 4.0},
      {"Shrink", floats({{"lambd", 1.5f}, {"bias", 1.5f}}),
       [](double x) { return x < -1.5 ? x + 1.5 : (x > 1.5 ? x - 1.5 : 0.0); }, -4.0, 4.0},
      {"Shrink", {}, [](double x) { return x < -0.5 ? x : (x > 0.5 ? x : 0.0); }, -2.0, 2.0},
  };
}

const std::vector<Shape>& unary_shapes() {
  static const std::vector<Shape> shapes = {{2, 3, 4}, {7}, {}, {0, 3}, {1, 13, 1}, {3, 1, 7, 5}};
  return shapes;
}

TEST(ElementwiseUnary, FloatOpsMatchDoubleReference) {
  std::uint32_t seed = 1000;
  for (const UnaryCase& c : float_cases()) {
    for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
      if (c.op == "Relu" && dtype == DType::kFloat16) continue;  // relu.cc has no float16
      for (const Shape& shape : unary_shapes()) {
        ++seed;
        std::mt19937 rng(seed);
        const std::string what = describe_case(c.op, dtype, {shape}, seed);
        Tensor x = random_tensor(dtype, shape, rng, c.lo, c.hi);
        const ir::Node node = make_node(c.op, 1, 1, c.attributes);
        auto out = run(node, c.opset, {x});
        ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
        const Tensor& y = (*out)[0];
        ASSERT_EQ(y.dtype(), dtype) << what;
        ASSERT_EQ(y.shape(), shape) << what;
        std::vector<double> expected;
        for (std::int64_t i = 0; i < x.element_count(); ++i) {
          double e = c.reference(get_element(x, i));
          // The kernel rounds to the output dtype; so does the reference.
          if (dtype == DType::kFloat16) e = half_to_float(float_to_half(static_cast<float>(e)));
          if (dtype == DType::kFloat32) e = static_cast<float>(e);
          expected.push_back(e);
        }
        expect_close(y, expected, tolerance_for(dtype), what);
      }
    }
  }
}

TEST(ElementwiseUnary, IntegerAbsNegSignAreExact) {
  struct Case {
    std::string op;
    std::function<double(double)> reference;
  };
  const Case cases[] = {
      {"Abs", [](double x) { return std::abs(x); }},
      {"Neg", [](double x) { return -x; }},
      {"Sign", [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }},
  };
  std::uint32_t seed = 2000;
  for (const Case& c : cases) {
    for (DType dtype : {DType::kInt8, DType::kInt16, DType::kInt32, DType::kInt64, DType::kUInt8,
                        DType::kUInt32}) {
      if (c.op == "Neg" && !is_signed(dtype)) continue;
      ++seed;
      std::mt19937 rng(seed);
      const bool sign = is_signed(dtype);
      Tensor x = random_tensor(dtype, {5, 7}, rng, sign ? -100 : 0, 100);
      const std::string what = describe_case(c.op, dtype, {{5, 7}}, seed);
      auto out = run(make_node(c.op, 1), 13, {x});
      ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
      std::vector<double> expected;
      for (std::int64_t i = 0; i < x.element_count(); ++i) {
        expected.push_back(c.reference(get_element(x, i)));
      }
      expect_close((*out)[0], expected, 0.0, what);
    }
  }
}

TEST(ElementwiseUnary, IntegerMinimumWrapsInsteadOfOverflowing) {
  constexpr auto kMin = std::numeric_limits<std::int32_t>::min();
  Tensor x = Tensor::zeros(DType::kInt32, {2});
  x.data<std::int32_t>()[0] = kMin;
  x.data<std::int32_t>()[1] = -5;
  for (const char* op : {"Abs", "Neg"}) {
    auto out = run(make_node(op, 1), 13, {x});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].data<std::int32_t>()[0], kMin) << op;
    EXPECT_EQ((*out)[0].data<std::int32_t>()[1], 5) << op;
  }
}

TEST(ElementwiseUnary, ErfAndShrinkOnIntegers) {
  Tensor x = make_tensor(DType::kInt32, {5}, {-3, -1, 0, 1, 3});
  auto erf = run(make_node("Erf", 1), 13, {x});
  ASSERT_TRUE(erf.is_ok()) << erf.status().to_string();
  // erf of a non-zero integer is within (-1, 1) and rounds toward zero.
  expect_close((*erf)[0], std::vector<double>{0, 0, 0, 0, 0}, 0.0, "Erf int32");
  ir::Attributes attributes;
  attributes.set("lambd", 1.5f);
  attributes.set("bias", 1.0f);
  auto shrink = run(make_node("Shrink", 1, 1, attributes), 9, {x});
  ASSERT_TRUE(shrink.is_ok()) << shrink.status().to_string();
  expect_close((*shrink)[0], std::vector<double>{-2, 0, 0, 0, 2}, 0.0, "Shrink int32");
}

TEST(ElementwiseUnary, RoundsHalvesToEven) {
  // test_round from the ONNX backend data.
  const std::vector<double> x = {0.1, 0.5,  0.9,  1.2,  1.5,  1.8,  2.3, 2.5,
                                 2.7, -1.1, -1.5, -1.9, -2.2, -2.5, -2.8};
  const std::vector<double> y = {0, 0, 1, 1, 2, 2, 2, 2, 3, -1, -2, -2, -2, -2, -3};
  auto out = run(make_node("Round", 1), 11, {make_tensor(DType::kFloat32, {15}, x)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  expect_close((*out)[0], y, 0.0, "Round");
}

TEST(ElementwiseUnary, SpecialFloatValues) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = make_tensor(DType::kFloat32, {6}, {-1.2, inf, -inf, nan, 0.0, 1e30});
  auto isnan = run(make_node("IsNaN", 1), 13, {x});
  ASSERT_TRUE(isnan.is_ok()) << isnan.status().to_string();
  EXPECT_EQ((*isnan)[0].dtype(), DType::kBool);
  expect_close((*isnan)[0], std::vector<double>{0, 0, 0, 1, 0, 0}, 0.0, "IsNaN");

  auto isinf = run(make_node("IsInf", 1), 10, {x});
  ASSERT_TRUE(isinf.is_ok()) << isinf.status().to_string();
  expect_close((*isinf)[0], std::vector<double>{0, 1, 1, 0, 0, 0}, 0.0, "IsInf");
  ir::Attributes negative_only;
  negative_only.set("detect_positive", std::int64_t{0});
  auto isinf_negative = run(make_node("IsInf", 1, 1, negative_only), 10, {x});
  ASSERT_TRUE(isinf_negative.is_ok()) << isinf_negative.status().to_string();
  expect_close((*isinf_negative)[0], std::vector<double>{0, 0, 1, 0, 0, 0}, 0.0, "IsInf neg");

  // Large inputs must not overflow into NaN.
  auto sigmoid_out =
      run(make_node("Sigmoid", 1), 13, {make_tensor(DType::kFloat32, {2}, {-1000, 1000})});
  ASSERT_TRUE(sigmoid_out.is_ok());
  expect_close((*sigmoid_out)[0], std::vector<double>{0, 1}, 0.0, "Sigmoid extremes");
  auto softplus_out =
      run(make_node("Softplus", 1), 1, {make_tensor(DType::kFloat32, {2}, {-1000, 1000})});
  ASSERT_TRUE(softplus_out.is_ok());
  expect_close((*softplus_out)[0], std::vector<double>{0, 1000}, 0.0, "Softplus extremes");
  auto sign_out = run(make_node("Sign", 1), 13, {x});
  ASSERT_TRUE(sign_out.is_ok());
  expect_close((*sign_out)[0], std::vector<double>{-1, 1, -1, nan, 0, 1}, 0.0, "Sign specials");
}

TEST(ElementwiseUnary, NotOnBool) {
  Tensor x = make_tensor(DType::kBool, {2, 2}, {1, 0, 0, 1});
  x.data<std::uint8_t>()[3] = 7;  // any non-zero byte reads as true
  auto out = run(make_node("Not", 1), 1, {x});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dtype(), DType::kBool);
  expect_close((*out)[0], std::vector<double>{0, 1, 1, 0}, 0.0, "Not");
}

TEST(ElementwiseUnary, ErrorPaths) {
  Tensor ints = Tensor::zeros(DType::kInt32, {3});
  Tensor floats_in = Tensor::zeros(DType::kFloat32, {3});
  // Dtypes the spec does not allow.
  for (const char* op : {"Sqrt", "Exp", "Log", "Sigmoid", "Tanh", "Softplus", "IsNaN", "Round"}) {
    auto out = run(make_node(op, 1), 13, {ints});
    ASSERT_FALSE(out.is_ok()) << op;
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported) << op;
    EXPECT_NE(out.status().message().find("int32"), std::string::npos) << out.status().to_string();
  }
  EXPECT_FALSE(run(make_node("Not", 1), 1, {floats_in}).is_ok());
  EXPECT_FALSE(run(make_node("Neg", 1), 13, {Tensor::zeros(DType::kUInt8, {3})}).is_ok());
  // Wrong input counts.
  EXPECT_FALSE(run(make_node("Exp", 2), 13, {floats_in, floats_in}).is_ok());
  EXPECT_FALSE(run(make_node("Exp", 1), 13, {Tensor()}).is_ok());
  // Attributes of the wrong type.
  ir::Attributes bad;
  bad.set("alpha", std::string("big"));
  auto leaky = run(make_node("LeakyRelu", 1, 1, bad), 16, {floats_in});
  ASSERT_FALSE(leaky.is_ok());
  EXPECT_NE(leaky.status().message().find("alpha"), std::string::npos)
      << leaky.status().to_string();
  ir::Attributes zero_alpha;
  zero_alpha.set("alpha", 0.0f);
  EXPECT_FALSE(run(make_node("Celu", 1, 1, zero_alpha), 12, {floats_in}).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
