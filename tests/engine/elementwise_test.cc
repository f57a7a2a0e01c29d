// Softmax family, Clip, Where, Cast, Identity, Dropout and Constant; values from the ONNX
// backend test data; a small graph through the planner.
#include <cstring>
#include <limits>

#include "elementwise_test_util.h"

namespace edgebench::engine {
namespace {

using namespace elementwise_test;

// --- Softmax, LogSoftmax, Hardmax ----------------------------------------------------------

enum class AxisOp { kSoftmax, kLogSoftmax, kHardmax };

// Reference along one slice (values at `stride` apart), in double.
void reference_slice(AxisOp op, std::vector<double>& v) {
  if (v.empty()) return;
  const double max = *std::max_element(v.begin(), v.end());
  if (op == AxisOp::kHardmax) {
    const auto first = static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = k == first ? 1.0 : 0.0;
    return;
  }
  double sum = 0;
  for (double x : v) sum += std::exp(x - max);
  for (double& x : v) {
    x = op == AxisOp::kSoftmax ? std::exp(x - max) / sum : x - max - std::log(sum);
  }
}

std::vector<double> reference_axis_op(AxisOp op, const Tensor& x, std::int64_t axis,
                                      bool coerce_2d) {
  const Shape& shape = x.shape();
  const auto rank = static_cast<std::int64_t>(shape.size());
  if (axis < 0) axis += rank;
  std::int64_t outer = 1, len = 1, inner = 1;
  for (std::int64_t d = 0; d < rank; ++d) {
    const std::int64_t dim = shape[static_cast<std::size_t>(d)];
    if (d < axis)
      outer *= dim;
    else if (d == axis || coerce_2d)
      len *= dim;
    else
      inner *= dim;
  }
  std::vector<double> out(static_cast<std::size_t>(x.element_count()));
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t j = 0; j < inner; ++j) {
      std::vector<double> slice;
      for (std::int64_t k = 0; k < len; ++k)
        slice.push_back(get_element(x, (o * len + k) * inner + j));
      reference_slice(op, slice);
      for (std::int64_t k = 0; k < len; ++k) {
        out[static_cast<std::size_t>((o * len + k) * inner + j)] =
            slice[static_cast<std::size_t>(k)];
      }
    }
  }
  return out;
}

TEST(ElementwiseSoftmax, AllAxesBothOpsetRules) {
  const std::pair<AxisOp, const char*> ops[] = {{AxisOp::kSoftmax, "Softmax"},
                                                {AxisOp::kLogSoftmax, "LogSoftmax"},
                                                {AxisOp::kHardmax, "Hardmax"}};
  const std::vector<Shape> shapes = {{3, 4, 5}, {2, 7, 1, 3}, {13}, {1, 3}, {2, 0, 3}};
  std::uint32_t seed = 9000;
  for (const auto& [op, name] : ops) {
    for (std::int64_t opset : {11, 13}) {
      for (const Shape& shape : shapes) {
        const auto rank = static_cast<std::int64_t>(shape.size());
        // Absent axis (default 1 before opset 13, -1 from it), then every valid axis.
        for (std::int64_t axis = -rank - 1; axis < rank; ++axis) {
          const bool use_default = axis == -rank - 1;
          const std::int64_t effective = use_default ? (opset < 13 ? 1 : -1) : axis;
          if (effective >= rank) continue;
          for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
            ++seed;
            std::mt19937 rng(seed);
            ir::Attributes attributes;
            if (!use_default) attributes.set("axis", axis);
            Tensor x = random_tensor(dtype, shape, rng, -4, 4);
            const std::string what = describe_case(name, dtype, {shape}, seed) + " opset " +
                                     std::to_string(opset) + " axis " +
                                     (use_default ? "default" : std::to_string(axis));
            auto out = run(make_node(name, 1, 1, attributes), opset, {x});
            ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
            ASSERT_EQ((*out)[0].shape(), shape) << what;
            std::vector<double> expected = reference_axis_op(op, x, effective, opset < 13);
            if (dtype == DType::kFloat16) {
              for (double& e : expected) e = half_to_float(float_to_half(static_cast<float>(e)));
            }
            expect_close((*out)[0], expected, tolerance_for(dtype), what);
          }
        }
      }
    }
  }
}

TEST(ElementwiseSoftmax, OnnxExamplesAndLargeNumbers) {
  // test_softmax_example, test_softmax_large_number, test_logsoftmax_large_number,
  // test_hardmax_example, test_hardmax_one_hot.
  auto softmax =
      run(make_node("Softmax", 1), 13, {make_tensor(DType::kFloat32, {1, 3}, {-1, 0, 1})});
  ASSERT_TRUE(softmax.is_ok());
  expect_close((*softmax)[0],
               std::vector<double>{0.09003057330846786, 0.2447284609079361, 0.6652409434318542},
               1e-6, "softmax example");
  Tensor large = make_tensor(DType::kFloat32, {2, 4}, {0, 1, 2, 3, 10000, 10001, 10002, 10003});
  auto large_softmax = run(make_node("Softmax", 1), 13, {large});
  ASSERT_TRUE(large_softmax.is_ok());
  const std::vector<double> p = {0.032058604061603546, 0.08714432269334793, 0.23688280582427979,
                                 0.6439142823219299};
  std::vector<double> twice = p;
  twice.insert(twice.end(), p.begin(), p.end());
  expect_close((*large_softmax)[0], twice, 1e-6, "softmax large");
  auto large_log = run(make_node("LogSoftmax", 1), 13, {large});
  ASSERT_TRUE(large_log.is_ok());
  const std::vector<double> l = {-3.4401895999908447, -2.4401895999908447, -1.4401895999908447,
                                 -0.4401896595954895};
  std::vector<double> log_twice = l;
  log_twice.insert(log_twice.end(), l.begin(), l.end());
  expect_close((*large_log)[0], log_twice, 1e-6, "logsoftmax large");
  auto hardmax =
      run(make_node("Hardmax", 1), 13,
          {make_tensor(DType::kFloat32, {4, 4}, {3, 0, 1, 2, 2, 5, 1, 0, 0, 1, 3, 2, 0, 1, 2, 3})});
  ASSERT_TRUE(hardmax.is_ok());
  expect_close((*hardmax)[0], std::vector<double>{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
               0.0, "hardmax example");
  auto one_hot =
      run(make_node("Hardmax", 1), 13, {make_tensor(DType::kFloat32, {1, 4}, {3, 3, 3, 1})});
  ASSERT_TRUE(one_hot.is_ok());
  expect_close((*one_hot)[0], std::vector<double>{1, 0, 0, 0}, 0.0, "hardmax ties");
}

TEST(ElementwiseSoftmax, ErrorPaths) {
  Tensor x = Tensor::zeros(DType::kFloat32, {2, 3});
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    for (std::int64_t opset : {11, 13}) {
      for (std::int64_t axis : {2, -3, 100}) {
        ir::Attributes attributes;
        attributes.set("axis", axis);
        auto out = run(make_node(op, 1, 1, attributes), opset, {x});
        ASSERT_FALSE(out.is_ok()) << op << " axis " << axis;
        EXPECT_NE(out.status().message().find("axis"), std::string::npos)
            << out.status().to_string();
      }
      // A scalar has no axis; a 1-D input has no axis 1 (the default before opset 13).
      EXPECT_FALSE(run(make_node(op, 1), opset, {Tensor::zeros(DType::kFloat32, {})}).is_ok());
      EXPECT_EQ(run(make_node(op, 1), opset, {Tensor::zeros(DType::kFloat32, {4})}).is_ok(),
                opset >= 13);
      EXPECT_EQ(
          run(make_node(op, 1), opset, {Tensor::zeros(DType::kInt32, {2, 3})}).status().code(),
          StatusCode::kUnsupported);
    }
  }
}

// --- Clip ------------------------------------------------------------------------------------

TEST(ElementwiseClip, AttributesBeforeOpset11) {
  std::mt19937 rng(11);
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    Tensor x = random_tensor(dtype, {3, 4, 5}, rng, -3, 3);
    const std::pair<std::optional<float>, std::optional<float>> bounds[] = {
        {-1.0f, 1.0f},
        {std::nullopt, 0.5f},
        {-0.25f, std::nullopt},
        {std::nullopt, std::nullopt},
        {2.0f, 1.0f}};
    for (const auto& [lo, hi] : bounds) {
      ir::Attributes attributes;
      if (lo) attributes.set("min", *lo);
      if (hi) attributes.set("max", *hi);
      auto out = run(make_node("Clip", 1, 1, attributes), 6, {x});
      ASSERT_TRUE(out.is_ok()) << out.status().to_string();
      std::vector<double> expected;
      for (std::int64_t i = 0; i < x.element_count(); ++i) {
        double v = get_element(x, i);
        if (lo && v < *lo) v = *lo;
        if (hi && v > *hi) v = *hi;
        expected.push_back(v);
      }
      expect_close((*out)[0], expected, 0.0, "Clip opset 6 " + std::string(dtype_name(dtype)));
    }
  }
  // Opset 6 has only the one input and float types.
  Tensor f = Tensor::zeros(DType::kFloat32, {2});
  EXPECT_FALSE(
      run(make_node("Clip", 3), 6,
          {f, Tensor::scalar(DType::kFloat32, 0.0f), Tensor::scalar(DType::kFloat32, 1.0f)})
          .is_ok());
  EXPECT_FALSE(run(make_node("Clip", 1), 6, {Tensor::zeros(DType::kInt32, {2})}).is_ok());
}

TEST(ElementwiseClip, InputsFromOpset11) {
  std::uint32_t seed = 12000;
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8,
                      DType::kInt32, DType::kInt64, DType::kUInt8}) {
    const bool is_unsigned = dtype == DType::kUInt8;
    for (int mode = 0; mode < 5; ++mode) {
      ++seed;
      std::mt19937 rng(seed);
      Tensor x = random_tensor(dtype, {2, 3, 7}, rng, is_unsigned ? 0 : -100, 100);
      // Both bounds, min only, max only, none, min > max.
      std::optional<double> lo, hi;
      if (mode == 0) lo = is_unsigned ? 10 : -20, hi = 30;
      if (mode == 1) lo = 5;
      if (mode == 2) hi = 7;
      if (mode == 4) lo = 50, hi = 20;
      std::vector<Tensor> inputs = {x, Tensor(), Tensor()};
      if (lo) inputs[1] = make_tensor(dtype, {}, {*lo});
      if (hi) inputs[2] = make_tensor(dtype, {1}, {*hi});  // a [1] bound is accepted too
      ir::Node node = make_node("Clip", 3);
      if (!hi) node.inputs.pop_back(), inputs.pop_back();
      if (!lo) node.inputs[1].clear();
      if (!lo && !hi) node.inputs.pop_back(), inputs.pop_back();
      const std::string what =
          describe_case("Clip mode " + std::to_string(mode), dtype, {x.shape()}, seed);
      auto out = run(node, 13, inputs);
      ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
      std::vector<double> expected;
      for (std::int64_t i = 0; i < x.element_count(); ++i) {
        double v = get_element(x, i);
        if (lo && v < *lo) v = *lo;
        if (hi && v > *hi) v = *hi;
        expected.push_back(v);
      }
      expect_close((*out)[0], expected, 0.0, what);
    }
  }
  // test_clip_example.
  auto example =
      run(make_node("Clip", 3), 13,
          {make_tensor(DType::kFloat32, {3}, {-2, 0, 2}), Tensor::scalar(DType::kFloat32, -1.0f),
           Tensor::scalar(DType::kFloat32, 1.0f)});
  ASSERT_TRUE(example.is_ok());
  expect_close((*example)[0], std::vector<double>{-1, 0, 1}, 0.0, "Clip example");
  // NaN passes through; infinities clip only against a given bound.
  const double inf = std::numeric_limits<double>::infinity();
  auto special = run(make_node("Clip", 2), 13,
                     {make_tensor(DType::kFloat32, {3}, {std::nan(""), inf, -inf}),
                      Tensor::scalar(DType::kFloat32, 0.0f)});
  ASSERT_TRUE(special.is_ok());
  expect_close((*special)[0], std::vector<double>{std::nan(""), inf, 0}, 0.0, "Clip specials");
}

TEST(ElementwiseClip, ErrorPaths) {
  Tensor x = Tensor::zeros(DType::kFloat32, {4});
  auto vector_bound = run(make_node("Clip", 2), 13, {x, Tensor::zeros(DType::kFloat32, {2})});
  ASSERT_FALSE(vector_bound.is_ok());
  EXPECT_NE(vector_bound.status().message().find("scalar"), std::string::npos);
  EXPECT_FALSE(run(make_node("Clip", 2), 13, {x, Tensor::scalar(DType::kFloat64, 0.0)}).is_ok());
  EXPECT_FALSE(run(make_node("Clip", 2), 13, {Tensor::zeros(DType::kBool, {2}), Tensor()}).is_ok());
  ir::Attributes bad;
  bad.set("min", std::string("low"));
  EXPECT_FALSE(run(make_node("Clip", 1, 1, bad), 6, {x}).is_ok());
}

// --- Where -----------------------------------------------------------------------------------

TEST(ElementwiseWhere, ThreeWayBroadcast) {
  const std::vector<std::vector<Shape>> shape_sets = {
      {{2, 2}, {2, 2}, {2, 2}}, {{3, 1}, {4}, {}},  {{1, 4}, {3, 1}, {2, 1, 1}},
      {{}, {5}, {5}},           {{0, 2}, {2}, {1}}, {{7}, {}, {1, 7}}};
  std::uint32_t seed = 13000;
  for (DType dtype :
       {DType::kFloat32, DType::kInt64, DType::kFloat16, DType::kBool, DType::kUInt8}) {
    for (const std::vector<Shape>& shapes : shape_sets) {
      ++seed;
      std::mt19937 rng(seed);
      Tensor c = random_tensor(DType::kBool, shapes[0], rng, 0, 1);
      Tensor x = random_tensor(dtype, shapes[1], rng, 0, 50);
      Tensor y = random_tensor(dtype, shapes[2], rng, 0, 50);
      const std::string what = describe_case("Where", dtype, shapes, seed);
      auto out = run(make_node("Where", 3), 16, {c, x, y});
      ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
      const Shape shape = broadcast_shape(broadcast_shape(shapes[0], shapes[1]), shapes[2]);
      ASSERT_EQ((*out)[0].shape(), shape) << what;
      ASSERT_EQ((*out)[0].dtype(), dtype) << what;
      std::vector<double> expected;
      for (std::int64_t i = 0; i < element_count(shape); ++i) {
        const bool cond = get_element(c, broadcast_offset(shapes[0], shape, i)) != 0;
        expected.push_back(cond ? get_element(x, broadcast_offset(shapes[1], shape, i))
                                : get_element(y, broadcast_offset(shapes[2], shape, i)));
      }
      expect_close((*out)[0], expected, 0.0, what);
    }
  }
  // test_where_example.
  auto example = run(make_node("Where", 3), 16,
                     {make_tensor(DType::kBool, {2, 2}, {1, 0, 1, 1}),
                      make_tensor(DType::kFloat32, {2, 2}, {1, 2, 3, 4}),
                      make_tensor(DType::kFloat32, {2, 2}, {9, 8, 7, 6})});
  ASSERT_TRUE(example.is_ok());
  expect_close((*example)[0], std::vector<double>{1, 8, 3, 4}, 0.0, "Where example");
  // Errors: condition must be bool, x and y must match, shapes must broadcast.
  Tensor f2 = Tensor::zeros(DType::kFloat32, {2});
  EXPECT_FALSE(run(make_node("Where", 3), 16, {f2, f2, f2}).is_ok());
  EXPECT_FALSE(run(make_node("Where", 3), 16,
                   {Tensor::zeros(DType::kBool, {2}), f2, Tensor::zeros(DType::kInt32, {2})})
                   .is_ok());
  EXPECT_FALSE(run(make_node("Where", 3), 16, {Tensor::zeros(DType::kBool, {3}), f2, f2}).is_ok());
  EXPECT_FALSE(run(make_node("Where", 2), 16, {Tensor::zeros(DType::kBool, {2}), f2}).is_ok());
}

// --- Cast and CastLike -----------------------------------------------------------------------

ir::Attributes cast_to(std::int64_t onnx_code) {
  ir::Attributes attributes;
  attributes.set("to", onnx_code);
  return attributes;
}

TEST(ElementwiseCast, OnnxFloat16Data) {
  // test_cast_FLOAT_to_FLOAT16, test_cast_DOUBLE_to_FLOAT16, test_cast_FLOAT16_to_FLOAT.
  const std::vector<double> f32 = {0.54881352186203,   0.7151893377304077,  0.6027633547782898,
                                   0.5448831915855408, 0.42365479469299316, 0.6458941102027893,
                                   0.4375872015953064, 0.891772985458374,   0.9636627435684204,
                                   0.3834415078163147, 0.7917250394821167,  0.5288949012756348};
  const std::uint16_t f32_to_f16[] = {0x3864, 0x39b9, 0x38d2, 0x385c, 0x36c7, 0x392b,
                                      0x3700, 0x3b22, 0x3bb6, 0x3623, 0x3a55, 0x383b};
  auto a =
      run(make_node("Cast", 1, 1, cast_to(10)), 13, {make_tensor(DType::kFloat32, {3, 4}, f32)});
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_EQ((*a)[0].dtype(), DType::kFloat16);
  for (int i = 0; i < 12; ++i) EXPECT_EQ((*a)[0].data<std::uint16_t>()[i], f32_to_f16[i]) << i;

  const std::vector<double> f64 = {0.15896958364551972, 0.11037514116430513, 0.6563295894652734,
                                   0.1381829513486138,  0.1965823616800535,  0.3687251706609641,
                                   0.8209932298479351,  0.09710127579306127, 0.8379449074988039,
                                   0.09609840789396307, 0.9764594650133958,  0.4686512016477016};
  const std::uint16_t f64_to_f16[] = {0x3116, 0x2f10, 0x3940, 0x306c, 0x324a, 0x35e6,
                                      0x3a91, 0x2e37, 0x3ab4, 0x2e26, 0x3bd0, 0x3780};
  auto b =
      run(make_node("Cast", 1, 1, cast_to(10)), 13, {make_tensor(DType::kFloat64, {3, 4}, f64)});
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  for (int i = 0; i < 12; ++i) EXPECT_EQ((*b)[0].data<std::uint16_t>()[i], f64_to_f16[i]) << i;

  const std::uint16_t f16[] = {0x2f92, 0x391f, 0x3096, 0x3b8f, 0x382d, 0x36a2,
                               0x343c, 0x3a32, 0x374c, 0x388c, 0x24cf, 0x38f1};
  const std::vector<double> f16_to_f32 = {0.1182861328125, 0.64013671875,      0.143310546875,
                                          0.94482421875,   0.52197265625,      0.41455078125,
                                          0.2646484375,    0.7744140625,       0.4560546875,
                                          0.568359375,     0.0187835693359375, 0.61767578125};
  Tensor h = Tensor::zeros(DType::kFloat16, {3, 4});
  std::memcpy(h.raw_data(), f16, sizeof(f16));
  auto c = run(make_node("Cast", 1, 1, cast_to(1)), 13, {h});
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  ASSERT_EQ((*c)[0].dtype(), DType::kFloat32);
  expect_close((*c)[0], f16_to_f32, 0.0, "Cast float16 to float");
}

TEST(ElementwiseCast, DoubleToHalfRoundsOnce) {
  // 1 + 2^-11 + 2^-40 lies just above the midpoint between two float16 values: the correct
  // result rounds up, while double -> float -> float16 would land on the midpoint and round to
  // even (down).
  const double tricky = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  auto out =
      run(make_node("Cast", 1, 1, cast_to(10)), 13, {Tensor::scalar(DType::kFloat64, tricky)});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ((*out)[0].data<std::uint16_t>()[0], 0x3c01);
  // Overflow gives inf; NaN stays NaN.
  auto big = run(make_node("Cast", 1, 1, cast_to(10)), 13,
                 {make_tensor(DType::kFloat64, {3}, {1e300, -70000, std::nan("")})});
  ASSERT_TRUE(big.is_ok());
  EXPECT_EQ((*big)[0].data<std::uint16_t>()[0], 0x7c00);
  EXPECT_EQ((*big)[0].data<std::uint16_t>()[1], 0xfc00);
  EXPECT_TRUE(std::isnan(get_element((*big)[0], 2)));
}

TEST(ElementwiseCast, EveryDtypePairOnRepresentableValues) {
  // Small whole numbers are exact in every dtype, so every pair round-trips them (negative
  // ones only between signed types; bool sees 0 / non-zero).
  const std::pair<std::int64_t, DType> codes[] = {
      {1, DType::kFloat32},  {2, DType::kUInt8},    {3, DType::kInt8},    {4, DType::kUInt16},
      {5, DType::kInt16},    {6, DType::kInt32},    {7, DType::kInt64},   {9, DType::kBool},
      {10, DType::kFloat16}, {11, DType::kFloat64}, {12, DType::kUInt32}, {13, DType::kUInt64}};
  for (const auto& [from_code, from] : codes) {
    for (const auto& [to_code, to] : codes) {
      const bool both_signed = is_signed(from) && is_signed(to);
      std::vector<double> values = {0, 1, 2, 7, 100, 127};
      if (both_signed) values.insert(values.end(), {-1, -100, -128});
      if (from == DType::kBool) values = {0, 1, 1, 0};
      Tensor x = make_tensor(from, {static_cast<std::int64_t>(values.size())}, values);
      auto out = run(make_node("Cast", 1, 1, cast_to(to_code)), 13, {x});
      const std::string what = std::string(dtype_name(from)) + " -> " + std::string(dtype_name(to));
      ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
      ASSERT_EQ((*out)[0].dtype(), to) << what;
      std::vector<double> expected;
      for (double v : values) expected.push_back(to == DType::kBool ? (v != 0 ? 1 : 0) : v);
      expect_close((*out)[0], expected, 0.0, what);

      // CastLike takes its target dtype from its second input.
      auto like = run(make_node("CastLike", 2), 15, {x, Tensor::zeros(to, {1})});
      ASSERT_TRUE(like.is_ok()) << what << ": " << like.status().to_string();
      ASSERT_EQ((*like)[0].dtype(), to) << what;
      expect_close((*like)[0], expected, 0.0, "CastLike " + what);
    }
  }
}

TEST(ElementwiseCast, OutOfRangeSaturatesAndIntegersWrap) {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor f = make_tensor(DType::kFloat32, {6}, {1e10, -1e10, std::nan(""), inf, -2.7, 2.7});
  auto i8 = run(make_node("Cast", 1, 1, cast_to(3)), 13, {f});
  ASSERT_TRUE(i8.is_ok());
  expect_close((*i8)[0], std::vector<double>{127, -128, 0, 127, -2, 2}, 0.0, "float -> int8");
  auto u8 = run(make_node("Cast", 1, 1, cast_to(2)), 13, {f});
  ASSERT_TRUE(u8.is_ok());
  expect_close((*u8)[0], std::vector<double>{255, 0, 0, 255, 0, 2}, 0.0, "float -> uint8");
  auto i64 = run(make_node("Cast", 1, 1, cast_to(7)), 13,
                 {make_tensor(DType::kFloat64, {2}, {1e19, -1e19})});
  ASSERT_TRUE(i64.is_ok());
  EXPECT_EQ((*i64)[0].data<std::int64_t>()[0], std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ((*i64)[0].data<std::int64_t>()[1], std::numeric_limits<std::int64_t>::min());
  auto b = run(make_node("Cast", 1, 1, cast_to(9)), 13, {f});
  ASSERT_TRUE(b.is_ok());
  expect_close((*b)[0], std::vector<double>{1, 1, 1, 1, 1, 1}, 0.0, "float -> bool");
  auto wrap = run(make_node("Cast", 1, 1, cast_to(2)), 13,
                  {make_tensor(DType::kInt32, {3}, {300, -1, 256})});
  ASSERT_TRUE(wrap.is_ok());
  expect_close((*wrap)[0], std::vector<double>{44, 255, 0}, 0.0, "int32 -> uint8");
}

TEST(ElementwiseCast, ErrorPaths) {
  Tensor x = Tensor::zeros(DType::kFloat32, {2});
  EXPECT_EQ(run(make_node("Cast", 1), 13, {x}).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(run(make_node("Cast", 1, 1, cast_to(8)), 13, {x}).status().code(),
            StatusCode::kUnsupported);  // string
  EXPECT_EQ(run(make_node("Cast", 1, 1, cast_to(16)), 13, {x}).status().code(),
            StatusCode::kUnsupported);  // bfloat16
  EXPECT_EQ(run(make_node("Cast", 1, 1, cast_to(99)), 13, {x}).status().code(),
            StatusCode::kInvalidModel);
  EXPECT_FALSE(run(make_node("Cast", 2, 1, cast_to(1)), 13, {x, x}).is_ok());
  EXPECT_FALSE(run(make_node("CastLike", 1), 15, {x}).is_ok());
}

// --- Identity, Dropout, Constant ---------------------------------------------------------------

TEST(ElementwiseIdentity, CopiesEveryDtype) {
  std::mt19937 rng(14000);
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8,
                      DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kInt32, DType::kUInt32,
                      DType::kInt64, DType::kUInt64, DType::kBool}) {
    for (const Shape& shape : std::vector<Shape>{{2, 3}, {}, {0, 4}}) {
      Tensor x = random_tensor(dtype, shape, rng, 0, 100);
      auto out = run(make_node("Identity", 1), 16, {x});
      ASSERT_TRUE(out.is_ok()) << out.status().to_string();
      ASSERT_EQ((*out)[0].dtype(), dtype);
      ASSERT_EQ((*out)[0].shape(), shape);
      if (x.byte_size() != 0) {
        EXPECT_EQ(std::memcmp((*out)[0].raw_data(), x.raw_data(), x.byte_size()), 0);
      }
    }
  }
  EXPECT_FALSE(run(make_node("Identity", 0), 16, {}).is_ok());
}

TEST(ElementwiseDropout, InferenceCopiesAndMaskIsAllTrue) {
  std::mt19937 rng(15000);
  Tensor x = random_tensor(DType::kFloat32, {3, 4, 5}, rng, -1, 1);
  auto all_ones = [](const Tensor& t) {
    for (std::int64_t i = 0; i < t.element_count(); ++i) {
      if (get_element(t, i) != 1.0) return false;
    }
    return true;
  };
  // Opset 7: ratio attribute; the mask has the data's dtype.
  ir::Attributes ratio;
  ratio.set("ratio", 0.2f);
  auto old = run(make_node("Dropout", 1, 2, ratio), 7, {x});
  ASSERT_TRUE(old.is_ok()) << old.status().to_string();
  EXPECT_EQ(std::memcmp((*old)[0].raw_data(), x.raw_data(), x.byte_size()), 0);
  EXPECT_EQ((*old)[1].dtype(), DType::kFloat32);
  EXPECT_TRUE(all_ones((*old)[1]));
  // Opset 10: bool mask.
  auto ten = run(make_node("Dropout", 1, 2), 10, {x});
  ASSERT_TRUE(ten.is_ok());
  EXPECT_EQ((*ten)[1].dtype(), DType::kBool);
  EXPECT_TRUE(all_ones((*ten)[1]));
  // Opset 13: ratio and training_mode inputs; training with ratio 0 keeps everything.
  auto no_mask = run(make_node("Dropout", 1, 1), 13, {x});
  ASSERT_TRUE(no_mask.is_ok());
  ASSERT_EQ(no_mask->size(), 1u);
  EXPECT_EQ(std::memcmp((*no_mask)[0].raw_data(), x.raw_data(), x.byte_size()), 0);
  for (bool training : {false, true}) {
    auto out = run(make_node("Dropout", 3, 2), 13,
                   {x, Tensor::scalar(DType::kFloat32, training ? 0.0f : 0.7f),
                    make_tensor(DType::kBool, {}, {training ? 1.0 : 0.0})});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(std::memcmp((*out)[0].raw_data(), x.raw_data(), x.byte_size()), 0);
    EXPECT_TRUE(all_ones((*out)[1]));
  }
  Tensor h = random_tensor(DType::kFloat16, {7}, rng, -1, 1);
  auto half = run(make_node("Dropout", 1, 2), 7, {h});
  ASSERT_TRUE(half.is_ok());
  EXPECT_EQ((*half)[1].data<std::uint16_t>()[0], 0x3c00);  // 1.0 in float16
}

TEST(ElementwiseDropout, TrainingIsUnsupported) {
  Tensor x = Tensor::zeros(DType::kFloat32, {4});
  Tensor yes = make_tensor(DType::kBool, {}, {1});
  auto default_ratio = run(make_node("Dropout", 3), 13, {x, Tensor(), yes});
  ASSERT_FALSE(default_ratio.is_ok());
  EXPECT_EQ(default_ratio.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(default_ratio.status().message().find("training"), std::string::npos);
  auto half_ratio =
      run(make_node("Dropout", 3), 13, {x, Tensor::scalar(DType::kFloat32, 0.5f), yes});
  EXPECT_EQ(half_ratio.status().code(), StatusCode::kUnsupported);
  // Bad inputs.
  EXPECT_FALSE(run(make_node("Dropout", 3), 13, {x, x, yes}).is_ok());  // ratio not a scalar
  EXPECT_FALSE(
      run(make_node("Dropout", 3), 13,
          {x, Tensor::scalar(DType::kFloat32, 0.5f), Tensor::scalar(DType::kFloat32, 1.0f)})
          .is_ok());
  EXPECT_FALSE(run(make_node("Dropout", 2), 7, {x, Tensor::scalar(DType::kFloat32, 0.5f)}).is_ok());
  EXPECT_FALSE(run(make_node("Dropout", 1), 13, {Tensor::zeros(DType::kInt32, {4})}).is_ok());
}

TEST(ElementwiseConstant, EveryValueAttribute) {
  Tensor value = make_tensor(DType::kInt32, {2, 2}, {1, 2, 3, 4});
  ir::Attributes tensor_attribute;
  tensor_attribute.set("value", value);
  auto t = run(make_node("Constant", 0, 1, tensor_attribute), 13, {});
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ((*t)[0].dtype(), DType::kInt32);
  EXPECT_EQ((*t)[0].shape(), (Shape{2, 2}));
  expect_close((*t)[0], std::vector<double>{1, 2, 3, 4}, 0.0, "Constant value");

  ir::Attributes f;
  f.set("value_float", 2.5f);
  auto vf = run(make_node("Constant", 0, 1, f), 13, {});
  ASSERT_TRUE(vf.is_ok());
  EXPECT_EQ((*vf)[0].dtype(), DType::kFloat32);
  EXPECT_EQ((*vf)[0].shape(), Shape{});
  expect_close((*vf)[0], std::vector<double>{2.5}, 0.0, "value_float");

  ir::Attributes fs;
  fs.set("value_floats", std::vector<float>{1.5f, -2.0f, 3.0f});
  auto vfs = run(make_node("Constant", 0, 1, fs), 13, {});
  ASSERT_TRUE(vfs.is_ok());
  EXPECT_EQ((*vfs)[0].shape(), Shape{3});
  expect_close((*vfs)[0], std::vector<double>{1.5, -2, 3}, 0.0, "value_floats");

  ir::Attributes i;
  i.set("value_int", std::int64_t{-7});
  auto vi = run(make_node("Constant", 0, 1, i), 13, {});
  ASSERT_TRUE(vi.is_ok());
  EXPECT_EQ((*vi)[0].dtype(), DType::kInt64);
  expect_close((*vi)[0], std::vector<double>{-7}, 0.0, "value_int");

  ir::Attributes is;
  is.set("value_ints", std::vector<std::int64_t>{});
  auto vis = run(make_node("Constant", 0, 1, is), 13, {});
  ASSERT_TRUE(vis.is_ok());
  EXPECT_EQ((*vis)[0].shape(), Shape{0});
}

TEST(ElementwiseConstant, ErrorPaths) {
  EXPECT_EQ(run(make_node("Constant", 0), 13, {}).status().code(), StatusCode::kInvalidModel);
  ir::Attributes two;
  two.set("value_int", std::int64_t{1});
  two.set("value_float", 1.0f);
  EXPECT_EQ(run(make_node("Constant", 0, 1, two), 13, {}).status().code(),
            StatusCode::kInvalidModel);
  ir::Attributes text;
  text.set("value_string", std::string("hello"));
  EXPECT_EQ(run(make_node("Constant", 0, 1, text), 13, {}).status().code(),
            StatusCode::kUnsupported);
  ir::Attributes sparse;
  sparse.set("sparse_value", std::int64_t{0});
  EXPECT_EQ(run(make_node("Constant", 0, 1, sparse), 13, {}).status().code(),
            StatusCode::kUnsupported);
  ir::Attributes wrong_type;
  wrong_type.set("value", 1.0f);
  EXPECT_FALSE(run(make_node("Constant", 0, 1, wrong_type), 13, {}).is_ok());
  ir::Attributes ok;
  ok.set("value_int", std::int64_t{1});
  EXPECT_FALSE(
      run(make_node("Constant", 1, 1, ok), 13, {Tensor::zeros(DType::kFloat32, {1})}).is_ok());
}

// --- ONNX backend data for ops covered above only by random tests ----------------------------

TEST(ElementwiseOnnxData, SmallExamples) {
  // test_shrink_soft.
  ir::Attributes shrink;
  shrink.set("lambd", 1.5f);
  shrink.set("bias", 1.5f);
  auto s = run(make_node("Shrink", 1, 1, shrink), 9,
               {make_tensor(DType::kFloat32, {5}, {-2, -1, 0, 1, 2})});
  ASSERT_TRUE(s.is_ok());
  expect_close((*s)[0], std::vector<double>{-0.5, 0, 0, 0, 0.5}, 0.0, "shrink_soft");
  // test_sum_example, test_mean_example.
  std::vector<Tensor> three = {make_tensor(DType::kFloat32, {3}, {3, 0, 2}),
                               make_tensor(DType::kFloat32, {3}, {1, 3, 4}),
                               make_tensor(DType::kFloat32, {3}, {2, 6, 6})};
  auto sum = run(make_node("Sum", 3), 13, three);
  ASSERT_TRUE(sum.is_ok());
  expect_close((*sum)[0], std::vector<double>{6, 9, 12}, 0.0, "sum_example");
  auto mean = run(make_node("Mean", 3), 13, three);
  ASSERT_TRUE(mean.is_ok());
  expect_close((*mean)[0], std::vector<double>{2, 3, 4}, 0.0, "mean_example");
  // test_pow_types_int32_int32, test_div_example.
  auto pow =
      run(make_node("Pow", 2), 15,
          {make_tensor(DType::kInt32, {3}, {1, 2, 3}), make_tensor(DType::kInt32, {3}, {4, 5, 6})});
  ASSERT_TRUE(pow.is_ok());
  expect_close((*pow)[0], std::vector<double>{1, 32, 729}, 0.0, "pow_types_int32_int32");
  auto div =
      run(make_node("Div", 2), 14,
          {make_tensor(DType::kFloat32, {2}, {3, 4}), make_tensor(DType::kFloat32, {2}, {1, 2})});
  ASSERT_TRUE(div.is_ok());
  expect_close((*div)[0], std::vector<double>{3, 2}, 0.0, "div_example");
  // test_celu: inputs in (0, 1) pass through unchanged.
  const std::vector<double> celu_in = {0.8439682722091675, 0.5665143728256226,
                                       0.058367349207401276};
  ir::Attributes celu;
  celu.set("alpha", 2.0f);
  auto c = run(make_node("Celu", 1, 1, celu), 12, {make_tensor(DType::kFloat32, {3}, celu_in)});
  ASSERT_TRUE(c.is_ok());
  expect_close((*c)[0], celu_in, 1e-7, "celu");
}

// --- Through the planner -----------------------------------------------------------------------

TEST(ElementwiseGraph, ConstantAddSoftmaxCastPlan) {
  ir::Graph graph;
  graph.opset_imports.push_back({"", 13});
  graph.inputs = {"x"};
  graph.outputs = {"probs", "mask"};
  graph.value_info["x"] = ir::ValueInfo{DType::kFloat32, Shape{2, 3}, {"", ""}};
  ir::Attributes bias;
  bias.set("value", make_tensor(DType::kFloat32, {3}, {1, 0, -1}));
  ir::Node constant = make_node("Constant", 0, 1, bias);
  constant.name = "bias";
  constant.outputs = {"b"};
  ir::Node add = make_node("Add", 2);
  add.name = "add";
  add.inputs = {"x", "b"};
  add.outputs = {"sum"};
  ir::Node softmax = make_node("Softmax", 1);
  softmax.name = "softmax";
  softmax.inputs = {"sum"};
  softmax.outputs = {"probs"};
  ir::Node greater = make_node("Greater", 2);
  greater.name = "greater";
  greater.inputs = {"probs", "half"};
  greater.outputs = {"mask"};
  graph.initializers["half"] = Tensor::scalar(DType::kFloat32, 0.5f);
  graph.nodes = {constant, add, softmax, greater};
  auto plan = Plan::compile(graph, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  const std::vector<Tensor> inputs = {make_tensor(DType::kFloat32, {2, 3}, {0, 0, 0, -1, 0, 5})};
  std::vector<Tensor> outputs(2);
  ASSERT_TRUE((*plan)->run(inputs, outputs).is_ok());
  std::vector<double> expected;
  for (const std::vector<double>& row : std::vector<std::vector<double>>{{1, 0, -1}, {0, 0, 4}}) {
    double sum = 0;
    for (double v : row) sum += std::exp(v);
    for (double v : row) expected.push_back(std::exp(v) / sum);
  }
  expect_close(outputs[0], expected, 1e-6, "graph probs");
  ASSERT_EQ(outputs[1].dtype(), DType::kBool);
  expect_close(outputs[1], std::vector<double>{1, 0, 0, 0, 0, 1}, 0.0, "graph mask");
}

}  // namespace
}  // namespace edgebench::engine
