// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear against a plain reference written
// here, on seeded random inputs, plus rounding, saturation and error cases.
#include "engine/ops/quant_util.h"
#include "linquant_test_util.h"

namespace edgebench::engine {
namespace {

using linquant_test::count_of;
using linquant_test::make_node;
using linquant_test::Random;
using linquant_test::reference_round;
using linquant_test::reference_saturate;
using linquant_test::run;
using linquant_test::scalar_of;
using linquant_test::tensor_of;
using linquant_test::values_of;

// Index of the scale that applies to element i of `shape` along `axis` (-1: per tensor).
std::int64_t channel_of(const Shape& shape, int axis, std::int64_t i) {
  if (axis < 0) return 0;
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  return (i / inner) % shape[static_cast<std::size_t>(axis)];
}

TEST(LinQuantRounding, MatchesNearbyintIncludingTies) {
  // Ties at every magnitude, values just beside them, and random doubles.
  std::vector<double> values = {0.0,
                                -0.0,
                                0.5,
                                -0.5,
                                1.5,
                                -1.5,
                                2.5,
                                -2.5,
                                1e15 + 0.5,
                                -1e15 - 0.5,
                                4503599627370495.5,
                                1e300,
                                -1e300,
                                std::nextafter(0.5, 0.0),
                                std::nextafter(0.5, 1.0),
                                std::nextafter(-2.5, 0.0),
                                std::nextafter(-2.5, -3.0)};
  const std::uint32_t seed = 42;
  Random random(seed);
  for (double v : random.floats(2000, -300.0, 300.0)) values.push_back(v);
  for (double v : random.ints(2000, -100000, 100000)) values.push_back(v / 2.0);
  for (double v : values) {
    EXPECT_EQ(ops::round_half_even(v), std::nearbyint(v)) << v << " seed " << seed;
  }
  EXPECT_EQ(ops::saturate_to<std::uint8_t>(NAN), 0);
  EXPECT_EQ(ops::saturate_to<std::int8_t>(-INFINITY), -128);
  EXPECT_EQ(ops::quantize_value<std::int8_t>(INFINITY, 0), 127);
}

TEST(LinQuantQuantizeLinear, RoundsHalfToEven) {
  const std::vector<double> x = {0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999997, -0.50000006};
  const std::vector<double> want = {0, 2, 2, 4, 0, -2, -2, 0, -1};
  for (std::int64_t opset : {10, 13}) {
    auto out = run(make_node("QuantizeLinear", 3), opset,
                   {tensor_of(DType::kFloat32, {9}, x), scalar_of(DType::kFloat32, 1.0),
                    scalar_of(DType::kInt8, 0)});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].dtype(), DType::kInt8);
    EXPECT_EQ(values_of((*out)[0]), want) << "opset " << opset;
  }
  // The tie is decided after dividing by the scale: 5 / 2 = 2.5 -> 2, 7 / 2 = 3.5 -> 4, plus
  // the zero point 10.
  auto out = run(make_node("QuantizeLinear", 3), 13,
                 {tensor_of(DType::kFloat32, {2}, {5.0, 7.0}), scalar_of(DType::kFloat32, 2.0),
                  scalar_of(DType::kUInt8, 10)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<double>{12, 14}));
}

TEST(LinQuantQuantizeLinear, SaturatesAtBothEnds) {
  const std::vector<double> x = {-1e9, -300, -129, -128.5,    127.5,
                                 128,  300,  1e9,  -INFINITY, INFINITY};
  struct Case {
    DType dtype;
    double zero_point;
    std::vector<double> want;
  };
  const Case cases[] = {
      {DType::kInt8, 0, {-128, -128, -128, -128, 127, 127, 127, 127, -128, 127}},
      {DType::kUInt8, 0, {0, 0, 0, 0, 128, 128, 255, 255, 0, 255}},
      // A zero point pushes values over the top: 127.5 -> 128 + 200 > 255.
      {DType::kUInt8, 200, {0, 0, 71, 72, 255, 255, 255, 255, 0, 255}},
      {DType::kInt8, -100, {-128, -128, -128, -128, 28, 28, 127, 127, -128, 127}},
  };
  for (const Case& c : cases) {
    auto out = run(make_node("QuantizeLinear", 3), 13,
                   {tensor_of(DType::kFloat32, {10}, x), scalar_of(DType::kFloat32, 1.0),
                    scalar_of(c.dtype, c.zero_point)});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of((*out)[0]), c.want)
        << dtype_name(c.dtype) << " zero point " << c.zero_point;
  }
}

TEST(LinQuantQuantizeLinear, MissingZeroPointMeansUInt8Zero) {
  auto out = run(make_node("QuantizeLinear", 2), 10,
                 {tensor_of(DType::kFloat32, {4}, {-3.0, 0.2, 10.0, 1000.0}),
                  scalar_of(DType::kFloat32, 0.5)});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dtype(), DType::kUInt8);
  EXPECT_EQ(values_of((*out)[0]), (std::vector<double>{0, 0, 20, 255}));
}

// Per-tensor and per-axis, every axis of a 4-D input (negative ones too), float32 and int32
// inputs, int8 and uint8 outputs, with and without a zero point.
TEST(LinQuantQuantizeLinear, MatchesReferencePerTensorAndPerAxis) {
  const Shape shape = {2, 3, 7, 5};
  std::uint32_t seed = 1000;
  for (int axis : {-1, 0, 1, 2, 3, -3, -4}) {  // -1 in the loop below means per tensor
    for (bool per_axis : {false, true}) {
      for (DType x_dtype : {DType::kFloat32, DType::kInt32}) {
        for (DType q : {DType::kUInt8, DType::kInt8}) {
          for (bool with_zero_point : {true, false}) {
            if (!with_zero_point && q == DType::kInt8) continue;  // absent means uint8
            ++seed;
            Random random(seed);
            const int rank = static_cast<int>(shape.size());
            const int real_axis = axis < 0 ? axis + rank : axis;
            const std::int64_t channels = per_axis ? shape[static_cast<std::size_t>(real_axis)] : 1;
            const std::vector<double> x = x_dtype == DType::kFloat32
                                              ? random.floats(count_of(shape), -40.0, 40.0)
                                              : random.ints(count_of(shape), -2000, 2000);
            const std::vector<double> scales = random.floats(channels, 0.05, 3.0);
            std::vector<double> zero_points = random.quantized(q, channels);
            if (!with_zero_point) zero_points.assign(static_cast<std::size_t>(channels), 0.0);
            const Shape param_shape = per_axis ? Shape{channels} : Shape{};

            ir::Node node = make_node("QuantizeLinear", 3);
            node.attributes.set("axis", std::int64_t{axis});
            std::vector<Tensor> inputs = {tensor_of(x_dtype, shape, x),
                                          tensor_of(DType::kFloat32, param_shape, scales)};
            if (with_zero_point) inputs.push_back(tensor_of(q, param_shape, zero_points));
            auto out = run(node, 13, inputs);
            ASSERT_TRUE(out.is_ok()) << out.status().to_string() << " seed " << seed;
            ASSERT_EQ((*out)[0].dtype(), q);
            const std::vector<double> got = values_of((*out)[0]);
            for (std::int64_t i = 0; i < count_of(shape); ++i) {
              const auto c =
                  static_cast<std::size_t>(channel_of(shape, per_axis ? real_axis : -1, i));
              // float inputs divide in float (as the ONNX reference); int32 ones exactly.
              const double x_i = x[static_cast<std::size_t>(i)];
              const double scaled =
                  x_dtype == DType::kFloat32
                      ? static_cast<double>(static_cast<float>(x_i) / static_cast<float>(scales[c]))
                      : x_i / scales[c];
              const double want = reference_saturate(reference_round(scaled) + zero_points[c], q);
              ASSERT_EQ(got[static_cast<std::size_t>(i)], want)
                  << "element " << i << " axis " << axis << " seed " << seed;
            }
          }
        }
      }
    }
  }
}

TEST(LinQuantQuantizeLinear, OneElementScaleIsPerTensor) {
  // [1] along an axis of size 3 is per tensor, as in ONNX's own tests.
  auto out = run(make_node("QuantizeLinear", 3), 13,
                 {tensor_of(DType::kFloat32, {1, 3}, {1.0, 2.0, 3.0}),
                  tensor_of(DType::kFloat32, {1}, {0.5}), tensor_of(DType::kUInt8, {1}, {1})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<double>{3, 5, 7}));
}

TEST(LinQuantQuantizeLinear, RejectsBadInputs) {
  const Tensor x = tensor_of(DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor scale = scalar_of(DType::kFloat32, 1.0);
  const Tensor scales3 = tensor_of(DType::kFloat32, {3}, {1, 2, 3});
  struct Case {
    std::string what;
    std::int64_t opset;
    std::int64_t axis;
    std::vector<Tensor> inputs;
  };
  const Case cases[] = {
      {"int32 zero point", 13, 1, {x, scale, scalar_of(DType::kInt32, 0)}},
      {"int16 zero point", 13, 1, {x, scale, scalar_of(DType::kInt16, 0)}},
      {"float64 input", 13, 1, {tensor_of(DType::kFloat64, {1}, {1}), scale}},
      {"int32 scale", 13, 1, {x, scalar_of(DType::kInt32, 1)}},
      {"scale count does not match axis 0", 13, 0, {x, scales3}},
      {"scale count does not match axis -2", 13, -2, {x, scales3}},
      {"axis out of range", 13, 2, {x, scales3}},
      {"axis out of range (negative)", 13, -3, {x, scales3}},
      {"per-axis scale before opset 13", 10, 1, {x, scales3}},
      {"2-D scale", 13, 1, {x, tensor_of(DType::kFloat32, {1, 3}, {1, 2, 3})}},
      {"zero point shape differs from scale",
       13,
       1,
       {x, scales3, tensor_of(DType::kUInt8, {2}, {0, 0})}},
      {"per-tensor scale with per-axis zero point",
       13,
       1,
       {x, scale, tensor_of(DType::kUInt8, {3}, {0, 0, 0})}},
      {"missing scale", 13, 1, {x}},
  };
  for (const Case& c : cases) {
    ir::Node node = make_node("QuantizeLinear", 3);
    if (c.opset >= 13) node.attributes.set("axis", c.axis);
    auto out = run(node, c.opset, c.inputs);
    EXPECT_FALSE(out.is_ok()) << c.what;
    if (!out.is_ok()) {
      EXPECT_NE(out.status().message().find("QuantizeLinear"), std::string::npos)
          << c.what << ": " << out.status().message();
    }
  }
  ir::Node blocked = make_node("QuantizeLinear", 2);
  blocked.attributes.set("block_size", std::int64_t{2});
  EXPECT_EQ(run(blocked, 21, {x, scale}).status().code(), StatusCode::kUnsupported);
}

TEST(LinQuantDequantizeLinear, MatchesReferencePerTensorAndPerAxis) {
  const Shape shape = {3, 1, 13, 7};
  std::uint32_t seed = 2000;
  for (DType x_dtype : {DType::kUInt8, DType::kInt8, DType::kInt32}) {
    for (int axis : {0, 1, 2, 3, -1, -2, 99}) {  // 99: per tensor
      for (bool with_zero_point : {true, false}) {
        ++seed;
        Random random(seed);
        const bool per_axis = axis != 99;
        const int real_axis = axis < 0 ? axis + 4 : axis;
        const std::int64_t channels = per_axis ? shape[static_cast<std::size_t>(real_axis)] : 1;
        const std::vector<double> x = x_dtype == DType::kInt32
                                          ? random.ints(count_of(shape), -100000, 100000)
                                          : random.quantized(x_dtype, count_of(shape));
        const std::vector<double> scales = random.floats(channels, 0.001, 2.0);
        std::vector<double> zero_points = x_dtype == DType::kInt32
                                              ? std::vector<double>(channels, 0.0)
                                              : random.quantized(x_dtype, channels);
        if (!with_zero_point) zero_points.assign(static_cast<std::size_t>(channels), 0.0);
        const Shape param_shape = per_axis ? Shape{channels} : Shape{};
        ir::Node node = make_node("DequantizeLinear", 3);
        if (per_axis) node.attributes.set("axis", std::int64_t{axis});
        std::vector<Tensor> inputs = {tensor_of(x_dtype, shape, x),
                                      tensor_of(DType::kFloat32, param_shape, scales)};
        if (with_zero_point) inputs.push_back(tensor_of(x_dtype, param_shape, zero_points));
        auto out = run(node, 13, inputs);
        ASSERT_TRUE(out.is_ok()) << out.status().to_string() << " seed " << seed;
        ASSERT_EQ((*out)[0].dtype(), DType::kFloat32);
        const std::vector<double> got = values_of((*out)[0]);
        for (std::int64_t i = 0; i < count_of(shape); ++i) {
          const auto c = static_cast<std::size_t>(channel_of(shape, per_axis ? real_axis : -1, i));
          // Exact in double; the kernel multiplies in float, so allow float rounding.
          const double want = (x[static_cast<std::size_t>(i)] - zero_points[c]) * scales[c];
          ASSERT_NEAR(got[static_cast<std::size_t>(i)], want, std::fabs(want) * 1.2e-7)
              << "element " << i << " axis " << axis << " seed " << seed;
        }
      }
    }
  }
}

TEST(LinQuantDequantizeLinear, RejectsBadInputs) {
  const Tensor x = tensor_of(DType::kUInt8, {2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor scale = scalar_of(DType::kFloat32, 1.0);
  struct Case {
    std::string what;
    std::int64_t opset;
    std::vector<Tensor> inputs;
  };
  const Case cases[] = {
      {"zero point dtype differs from x", 13, {x, scale, scalar_of(DType::kInt8, 0)}},
      {"float input", 13, {tensor_of(DType::kFloat32, {1}, {1}), scale}},
      {"int32 input with a non-zero zero point",
       13,
       {tensor_of(DType::kInt32, {1}, {1}), scale, scalar_of(DType::kInt32, 3)}},
      {"scale count does not match axis 1",
       13,
       {x, tensor_of(DType::kFloat32, {2}, {1, 2}), tensor_of(DType::kUInt8, {2}, {0, 0})}},
      {"per-axis before opset 13", 10, {x, tensor_of(DType::kFloat32, {3}, {1, 2, 3})}},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(run(make_node("DequantizeLinear", 3), c.opset, c.inputs).is_ok()) << c.what;
  }
}

TEST(LinQuantQuantizeLinear, RoundTripsThroughAPlanWithRuntimeInputs) {
  // x is a graph input, so shape inference runs without its value.
  ir::Graph graph;
  graph.opset_imports = {{"", 13}};
  graph.inputs = {"x"};
  graph.outputs = {"y"};
  graph.value_info["x"] = ir::ValueInfo{DType::kFloat32, Shape{2, 3}, {"", ""}};
  graph.initializers["scale"] = tensor_of(DType::kFloat32, {3}, {0.5, 0.25, 2.0});
  graph.initializers["zero_point"] = tensor_of(DType::kInt8, {3}, {-3, 0, 7});
  ir::Node quantize = make_node("QuantizeLinear", 0);
  quantize.inputs = {"x", "scale", "zero_point"};
  quantize.outputs = {"q"};
  ir::Node dequantize = make_node("DequantizeLinear", 0);
  dequantize.name = "dequantize";
  dequantize.inputs = {"q", "scale", "zero_point"};
  dequantize.outputs = {"y"};
  graph.nodes = {quantize, dequantize};
  auto plan = Plan::compile(graph, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  const std::vector<Tensor> inputs = {
      tensor_of(DType::kFloat32, {2, 3}, {1.3, -2.6, 300.0, -1000.0, 0.3, 5.1})};
  std::vector<Tensor> outputs(1);
  ASSERT_TRUE((*plan)->run(inputs, outputs).is_ok());
  // q = sat(round(x / s) + zp); y = (q - zp) * s; 300 saturates at 127 and -1000 at -128.
  EXPECT_EQ(values_of(outputs[0]), (std::vector<double>{1.5, -2.5, 240.0, -62.5, 0.25, 6.0}));
}

// DynamicQuantizeLinear's reference, in float32 as the spec's formulas are written.
struct DynamicQuantized {
  std::vector<double> y;
  float scale;
  double zero_point;
};
DynamicQuantized reference_dynamic_quantize(const std::vector<double>& x) {
  float low = 0.0f;
  float high = 0.0f;
  for (double v : x) {
    low = std::min(low, static_cast<float>(v));
    high = std::max(high, static_cast<float>(v));
  }
  DynamicQuantized out;
  out.scale = (high == low ? 1.0f : high - low) / 255.0f;
  out.zero_point = reference_round(reference_saturate(0.0f - low / out.scale, DType::kUInt8));
  for (double v : x) {
    out.y.push_back(reference_saturate(
        reference_round(static_cast<float>(v) / out.scale) + out.zero_point, DType::kUInt8));
  }
  return out;
}

TEST(LinQuantDynamicQuantizeLinear, MatchesReference) {
  struct Case {
    Shape shape;
    double low;
    double high;
  };
  const Case cases[] = {{{1}, -3.0, 5.0},         {{13}, 0.5, 9.0},      {{3, 7}, -9.0, -0.5},
                        {{2, 3, 5}, -1e-3, 1e-3}, {{127}, -100.0, 20.0}, {{4, 4}, -1.0, 1.0}};
  std::uint32_t seed = 3000;
  for (const Case& c : cases) {
    ++seed;
    Random random(seed);
    const std::vector<double> x = random.floats(count_of(c.shape), c.low, c.high);
    auto out =
        run(make_node("DynamicQuantizeLinear", 1, 3), 11, {tensor_of(DType::kFloat32, c.shape, x)});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string() << " seed " << seed;
    const DynamicQuantized want = reference_dynamic_quantize(x);
    ASSERT_EQ((*out)[0].shape(), c.shape);
    EXPECT_EQ(values_of((*out)[0]), want.y) << "seed " << seed;
    EXPECT_EQ((*out)[1].shape(), Shape{});
    EXPECT_EQ(*(*out)[1].data<float>(), want.scale) << "seed " << seed;
    EXPECT_EQ((*out)[2].element_as_double(0), want.zero_point) << "seed " << seed;
  }
}

TEST(LinQuantDynamicQuantizeLinear, AllZeroInputKeepsAFiniteScale) {
  auto out = run(make_node("DynamicQuantizeLinear", 1, 3), 11,
                 {tensor_of(DType::kFloat32, {3}, {0.0, 0.0, 0.0})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(*(*out)[1].data<float>(), 1.0f / 255.0f);
  EXPECT_EQ((*out)[2].element_as_double(0), 0.0);
  EXPECT_EQ(values_of((*out)[0]), (std::vector<double>{0, 0, 0}));
}

TEST(LinQuantDynamicQuantizeLinear, RejectsNonFloatInput) {
  EXPECT_FALSE(
      run(make_node("DynamicQuantizeLinear", 1, 3), 11, {tensor_of(DType::kFloat64, {2}, {1, 2})})
          .is_ok());
  EXPECT_FALSE(
      run(make_node("DynamicQuantizeLinear", 1, 3), 11, {tensor_of(DType::kUInt8, {2}, {1, 2})})
          .is_ok());
}

}  // namespace
}  // namespace edgebench::engine
