// Binary and variadic elementwise ops with broadcasting, against double-precision or exact
// integer references computed in the test.
#include <limits>

#include "elementwise_test_util.h"

namespace edgebench::engine {
namespace {

using namespace elementwise_test;

// Operand shape pairs: equal, trailing vector, two-way broadcast, scalars, rank 0, empty.
const std::vector<std::pair<Shape, Shape>>& shape_pairs() {
  static const std::vector<std::pair<Shape, Shape>> pairs = {
      {{2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4}, {4}},
      {{2, 1, 4}, {3, 1}},
      {{4}, {2, 3, 4}},
      {{}, {5}},
      {{3}, {}},
      {{}, {}},
      {{1}, {7, 13}},
      {{0, 3}, {3}},
      {{2, 0, 3}, {1, 3}},
      {{1, 7, 1}, {13, 1, 5}},
      {{3, 1, 1, 2}, {1, 5, 1}},
  };
  return pairs;
}

// Reference for integer results: the exact result reduced modulo 2^bits (two's complement),
// the wrap-around the kernels promise.
double wrap_to(DType dtype, long double exact) {
  const auto v = static_cast<std::int64_t>(exact);
  switch (dtype) {
    case DType::kInt8: return static_cast<std::int8_t>(v);
    case DType::kInt16: return static_cast<std::int16_t>(v);
    case DType::kInt32: return static_cast<std::int32_t>(v);
    case DType::kUInt8: return static_cast<std::uint8_t>(v);
    case DType::kUInt16: return static_cast<std::uint16_t>(v);
    case DType::kUInt32: return static_cast<std::uint32_t>(v);
    default: return static_cast<double>(v);
  }
}

struct ArithmeticCase {
  std::string op;
  std::function<double(double, double)> reference;             // float reference
  std::function<long double(long double, long double)> exact;  // integer reference
  double lo;
  double hi;
};

double int_div(double a, double b) {
  if (b == 0) return 0;
  return std::trunc(a / b);
}

TEST(ElementwiseBinary, ArithmeticMatchesReferenceWithBroadcasting) {
  const ArithmeticCase cases[] = {
      {"Add", [](double a, double b) { return a + b; },
       [](long double a, long double b) { return a + b; }, -50, 50},
      {"Sub", [](double a, double b) { return a - b; },
       [](long double a, long double b) { return a - b; }, -50, 50},
      {"Mul", [](double a, double b) { return a * b; },
       [](long double a, long double b) { return a * b; }, -50, 50},
      {"Div", [](double a, double b) { return a / b; },
       [](long double a, long double b) {
         return static_cast<long double>(int_div(static_cast<double>(a), static_cast<double>(b)));
       },
       -50, 50},
  };
  std::uint32_t seed = 3000;
  for (const ArithmeticCase& c : cases) {
    for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8,
                        DType::kUInt8, DType::kInt32, DType::kInt64, DType::kUInt16}) {
      for (const auto& [shape_a, shape_b] : shape_pairs()) {
        ++seed;
        std::mt19937 rng(seed);
        const std::string what = describe_case(c.op, dtype, {shape_a, shape_b}, seed);
        const bool unsigned_type = is_integer(dtype) && !is_signed(dtype);
        const double lo = unsigned_type ? 0 : c.lo;
        Tensor a = random_tensor(dtype, shape_a, rng, lo, c.hi);
        Tensor b = random_tensor(dtype, shape_b, rng, lo, c.hi);
        auto out = run(make_node(c.op, 2), 14, {a, b});
        ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
        const Tensor& y = (*out)[0];
        const Shape shape = broadcast_shape(shape_a, shape_b);
        ASSERT_EQ(y.shape(), shape) << what;
        ASSERT_EQ(y.dtype(), dtype) << what;
        std::vector<double> expected;
        for (std::int64_t i = 0; i < y.element_count(); ++i) {
          const double va = get_element(a, broadcast_offset(shape_a, shape, i));
          const double vb = get_element(b, broadcast_offset(shape_b, shape, i));
          if (is_integer(dtype)) {
            expected.push_back(wrap_to(dtype, c.exact(va, vb)));
          } else {
            double e = c.reference(va, vb);
            if (dtype == DType::kFloat16) e = half_to_float(float_to_half(static_cast<float>(e)));
            if (dtype == DType::kFloat32) e = static_cast<float>(e);
            expected.push_back(e);
          }
        }
        expect_close(y, expected, tolerance_for(dtype), what);
      }
    }
  }
}

TEST(ElementwiseBinary, IntegerArithmeticWrapsAndDivisionByZeroGivesZero) {
  constexpr auto kMin32 = std::numeric_limits<std::int32_t>::min();
  constexpr auto kMax32 = std::numeric_limits<std::int32_t>::max();
  const std::vector<double> a_values = {kMax32, kMin32, 7, -7, 7, -7, kMin32, 5};
  const std::vector<double> b_values = {1, -1, 2, 2, -2, -2, -1, 0};
  Tensor a = make_tensor(DType::kInt32, {8}, a_values);
  Tensor b = make_tensor(DType::kInt32, {8}, b_values);
  auto add = run(make_node("Add", 2), 14, {a, b});
  ASSERT_TRUE(add.is_ok());
  EXPECT_EQ((*add)[0].data<std::int32_t>()[0], kMin32);  // max + 1 wraps
  auto mul = run(make_node("Mul", 2), 14, {a, b});
  ASSERT_TRUE(mul.is_ok());
  EXPECT_EQ((*mul)[0].data<std::int32_t>()[1], kMin32);  // min * -1 wraps
  auto div = run(make_node("Div", 2), 14, {a, b});
  ASSERT_TRUE(div.is_ok()) << div.status().to_string();
  // C truncation: 7/2 = 3, -7/2 = -3, 7/-2 = -3, -7/-2 = 3; min / -1 wraps; x / 0 = 0.
  expect_close((*div)[0], std::vector<double>{kMax32, kMin32, 3, -3, -3, 3, kMin32, 0}, 0.0,
               "Div int32");
  Tensor u8a = make_tensor(DType::kUInt8, {3}, {200, 3, 9});
  Tensor u8b = make_tensor(DType::kUInt8, {3}, {100, 0, 4});
  auto u8div = run(make_node("Div", 2), 14, {u8a, u8b});
  ASSERT_TRUE(u8div.is_ok());
  expect_close((*u8div)[0], std::vector<double>{2, 0, 2}, 0.0, "Div uint8");
  auto u8add = run(make_node("Add", 2), 14, {u8a, u8b});
  ASSERT_TRUE(u8add.is_ok());
  expect_close((*u8add)[0], std::vector<double>{44, 3, 13}, 0.0, "Add uint8 wraps");
  // uint16 * uint16 would overflow a promoted int; the kernel multiplies unsigned.
  Tensor u16 = make_tensor(DType::kUInt16, {1}, {65535});
  auto u16mul = run(make_node("Mul", 2), 14, {u16, u16});
  ASSERT_TRUE(u16mul.is_ok());
  expect_close((*u16mul)[0], std::vector<double>{1}, 0.0, "Mul uint16 wraps");
}

TEST(ElementwiseBinary, PowFloatIntegerAndMixedTypes) {
  std::uint32_t seed = 4000;
  struct Case {
    DType base;
    DType exponent;
    double base_lo, base_hi, exp_lo, exp_hi;
  };
  const Case cases[] = {
      {DType::kFloat32, DType::kFloat32, 0.1, 4, -3, 3},
      {DType::kFloat64, DType::kFloat64, 0.1, 4, -3, 3},
      {DType::kFloat16, DType::kFloat16, 0.1, 3, -2, 2},
      {DType::kFloat32, DType::kInt64, -4, 4, -3, 5},
      {DType::kFloat32, DType::kUInt32, -4, 4, 0, 5},
      {DType::kInt32, DType::kInt32, -6, 6, 0, 9},
      {DType::kInt64, DType::kInt64, -9, 9, 0, 12},
      {DType::kInt64, DType::kFloat32, 0, 9, 0, 3},
      {DType::kInt32, DType::kInt8, -5, 5, 0, 6},
  };
  for (const Case& c : cases) {
    for (const auto& [shape_a, shape_b] : shape_pairs()) {
      ++seed;
      std::mt19937 rng(seed);
      const std::string what = describe_case("Pow " + std::string(dtype_name(c.exponent)), c.base,
                                             {shape_a, shape_b}, seed);
      Tensor a = random_tensor(c.base, shape_a, rng, c.base_lo, c.base_hi);
      Tensor b = random_tensor(c.exponent, shape_b, rng, c.exp_lo, c.exp_hi);
      auto out = run(make_node("Pow", 2), 15, {a, b});
      ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
      const Tensor& y = (*out)[0];
      const Shape shape = broadcast_shape(shape_a, shape_b);
      ASSERT_EQ(y.shape(), shape) << what;
      ASSERT_EQ(y.dtype(), c.base) << what;
      std::vector<double> expected;
      for (std::int64_t i = 0; i < y.element_count(); ++i) {
        const double va = get_element(a, broadcast_offset(shape_a, shape, i));
        const double vb = get_element(b, broadcast_offset(shape_b, shape, i));
        double e = std::pow(va, vb);
        if (is_integer(c.base)) e = std::trunc(e);  // exact: |e| < 2^53 for these ranges
        if (c.base == DType::kFloat16) e = half_to_float(float_to_half(static_cast<float>(e)));
        if (c.base == DType::kFloat32) e = static_cast<float>(e);
        expected.push_back(e);
      }
      expect_close(y, expected, tolerance_for(c.base), what);
    }
  }
}

TEST(ElementwiseBinary, IntegerPowIsExactAndHandlesNegativeExponents) {
  Tensor base = make_tensor(DType::kInt64, {6}, {3, 2, -1, -1, 1, 5});
  Tensor exponent = make_tensor(DType::kInt64, {6}, {39, -1, -3, -2, -7, 0});
  auto out = run(make_node("Pow", 2), 15, {base, exponent});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const std::int64_t* z = (*out)[0].data<std::int64_t>();
  EXPECT_EQ(z[0], 4052555153018976267LL);  // 3^39, beyond double's exact range
  EXPECT_EQ(z[1], 0);
  EXPECT_EQ(z[2], -1);
  EXPECT_EQ(z[3], 1);
  EXPECT_EQ(z[4], 1);
  EXPECT_EQ(z[5], 1);
}

TEST(ElementwiseBinary, ComparisonsGiveBool) {
  struct Case {
    std::string op;
    std::int64_t opset;
    std::function<bool(double, double)> reference;
  };
  const Case cases[] = {
      {"Equal", 13, [](double a, double b) { return a == b; }},
      {"Less", 13, [](double a, double b) { return a < b; }},
      {"Greater", 13, [](double a, double b) { return a > b; }},
      {"LessOrEqual", 16, [](double a, double b) { return a <= b; }},
      {"GreaterOrEqual", 16, [](double a, double b) { return a >= b; }},
  };
  std::uint32_t seed = 5000;
  for (const Case& c : cases) {
    for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt32,
                        DType::kInt64, DType::kUInt8, DType::kInt8, DType::kBool}) {
      if (dtype == DType::kBool && c.op != "Equal") continue;
      for (const auto& [shape_a, shape_b] : shape_pairs()) {
        ++seed;
        std::mt19937 rng(seed);
        const std::string what = describe_case(c.op, dtype, {shape_a, shape_b}, seed);
        // Few distinct values, so that equal pairs are common; floats get whole numbers too.
        Tensor a = random_tensor(dtype, shape_a, rng, 0, 3);
        Tensor b = random_tensor(dtype, shape_b, rng, 0, 3);
        if (is_floating(dtype)) {
          for (Tensor* t : {&a, &b}) {
            for (std::int64_t i = 0; i < t->element_count(); ++i) {
              set_element(*t, i, std::floor(get_element(*t, i)));
            }
          }
        }
        auto out = run(make_node(c.op, 2), c.opset, {a, b});
        ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
        const Tensor& y = (*out)[0];
        const Shape shape = broadcast_shape(shape_a, shape_b);
        ASSERT_EQ(y.dtype(), DType::kBool) << what;
        ASSERT_EQ(y.shape(), shape) << what;
        std::vector<double> expected;
        for (std::int64_t i = 0; i < y.element_count(); ++i) {
          expected.push_back(c.reference(get_element(a, broadcast_offset(shape_a, shape, i)),
                                         get_element(b, broadcast_offset(shape_b, shape, i))));
        }
        expect_close(y, expected, 0.0, what);
      }
    }
  }
}

TEST(ElementwiseBinary, LogicalOpsOnBool) {
  struct Case {
    std::string op;
    std::function<bool(bool, bool)> reference;
  };
  const Case cases[] = {
      {"And", [](bool a, bool b) { return a && b; }},
      {"Or", [](bool a, bool b) { return a || b; }},
      {"Xor", [](bool a, bool b) { return a != b; }},
  };
  std::uint32_t seed = 6000;
  for (const Case& c : cases) {
    for (const auto& [shape_a, shape_b] : shape_pairs()) {
      ++seed;
      std::mt19937 rng(seed);
      const std::string what = describe_case(c.op, DType::kBool, {shape_a, shape_b}, seed);
      Tensor a = random_tensor(DType::kBool, shape_a, rng, 0, 1);
      Tensor b = random_tensor(DType::kBool, shape_b, rng, 0, 1);
      auto out = run(make_node(c.op, 2), 7, {a, b});
      ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
      const Shape shape = broadcast_shape(shape_a, shape_b);
      std::vector<double> expected;
      for (std::int64_t i = 0; i < element_count(shape); ++i) {
        expected.push_back(c.reference(get_element(a, broadcast_offset(shape_a, shape, i)) != 0,
                                       get_element(b, broadcast_offset(shape_b, shape, i)) != 0));
      }
      expect_close((*out)[0], expected, 0.0, what);
    }
  }
  auto bad = run(make_node("And", 2), 7,
                 {Tensor::zeros(DType::kInt32, {2}), Tensor::zeros(DType::kInt32, {2})});
  EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
}

TEST(ElementwiseBinary, ModFollowsPythonOrCSign) {
  // test_mod_mixed_sign_* from the ONNX backend data.
  const std::vector<double> a = {-4, 7, 5, 4, -7, 8};
  const std::vector<double> b = {2, -3, 8, -2, 3, 5};
  ir::Attributes fmod;
  fmod.set("fmod", std::int64_t{1});
  for (DType dtype : {DType::kInt8, DType::kInt16, DType::kInt32, DType::kInt64}) {
    auto out =
        run(make_node("Mod", 2), 13, {make_tensor(dtype, {6}, a), make_tensor(dtype, {6}, b)});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    expect_close((*out)[0], std::vector<double>{0, -2, 5, 0, 2, 3}, 0.0,
                 "Mod " + std::string(dtype_name(dtype)));
    auto c_style = run(make_node("Mod", 2, 1, fmod), 13,
                       {make_tensor(dtype, {6}, a), make_tensor(dtype, {6}, b)});
    ASSERT_TRUE(c_style.is_ok()) << c_style.status().to_string();
    expect_close((*c_style)[0], std::vector<double>{0, 1, 5, 0, -1, 3}, 0.0,
                 "Mod fmod " + std::string(dtype_name(dtype)));
  }
  const std::vector<double> fa = {-4.3, 7.2, 5.0, 4.3, -7.2, 8.0};
  const std::vector<double> fb = {2.1, -3.4, 8.0, -2.1, 3.4, 5.0};
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    Tensor ta = make_tensor(dtype, {6}, fa);
    Tensor tb = make_tensor(dtype, {6}, fb);
    auto out = run(make_node("Mod", 2, 1, fmod), 13, {ta, tb});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    std::vector<double> expected;
    for (int i = 0; i < 6; ++i)
      expected.push_back(std::fmod(get_element(ta, i), get_element(tb, i)));
    expect_close((*out)[0], expected, tolerance_for(dtype),
                 "Mod " + std::string(dtype_name(dtype)));
    // Floats need fmod = 1.
    auto bad = run(make_node("Mod", 2), 13, {ta, tb});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("fmod"), std::string::npos) << bad.status().to_string();
  }
  // Unsigned, modulus by zero and INT_MIN % -1 do not trap.
  auto zero =
      run(make_node("Mod", 2), 13,
          {make_tensor(DType::kInt32, {3}, {5, std::numeric_limits<std::int32_t>::min(), 9}),
           make_tensor(DType::kInt32, {3}, {0, -1, 4})});
  ASSERT_TRUE(zero.is_ok());
  expect_close((*zero)[0], std::vector<double>{0, 0, 1}, 0.0, "Mod edge cases");
  auto broadcast = run(
      make_node("Mod", 2), 13,
      {make_tensor(DType::kUInt8, {2, 2}, {10, 11, 12, 13}), make_tensor(DType::kUInt8, {1}, {4})});
  ASSERT_TRUE(broadcast.is_ok());
  expect_close((*broadcast)[0], std::vector<double>{2, 3, 0, 1}, 0.0, "Mod uint8 broadcast");
  ir::Attributes bad_fmod;
  bad_fmod.set("fmod", std::int64_t{2});
  EXPECT_FALSE(run(make_node("Mod", 2, 1, bad_fmod), 13,
                   {Tensor::zeros(DType::kInt32, {1}), Tensor::zeros(DType::kInt32, {1})})
                   .is_ok());
}

TEST(ElementwiseBinary, BitShift) {
  ir::Attributes left;
  left.set("direction", std::string("LEFT"));
  ir::Attributes right;
  right.set("direction", std::string("RIGHT"));
  for (DType dtype : {DType::kUInt8, DType::kUInt16, DType::kUInt32, DType::kUInt64}) {
    // test_bitshift_{left,right}_* from the ONNX backend data, plus a full-width shift.
    Tensor x = make_tensor(dtype, {4}, {16, 4, 1, 1});
    Tensor y = make_tensor(dtype, {4}, {1, 2, 3, 64});
    auto l = run(make_node("BitShift", 2, 1, left), 11, {x, y});
    ASSERT_TRUE(l.is_ok()) << l.status().to_string();
    expect_close((*l)[0], std::vector<double>{32, 16, 8, 0}, 0.0, "BitShift left");
    auto r = run(make_node("BitShift", 2, 1, right), 11, {x, y});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    expect_close((*r)[0], std::vector<double>{8, 1, 0, 0}, 0.0, "BitShift right");
  }
  Tensor x = make_tensor(DType::kUInt8, {1}, {1});
  EXPECT_FALSE(run(make_node("BitShift", 2), 11, {x, x}).is_ok());  // direction is required
  ir::Attributes up;
  up.set("direction", std::string("UP"));
  EXPECT_FALSE(run(make_node("BitShift", 2, 1, up), 11, {x, x}).is_ok());
  EXPECT_FALSE(run(make_node("BitShift", 2, 1, left), 11,
                   {make_tensor(DType::kInt32, {1}, {1}), make_tensor(DType::kInt32, {1}, {1})})
                   .is_ok());
}

TEST(ElementwiseBinary, PReluBroadcastsSlopeToInput) {
  std::uint32_t seed = 7000;
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{3, 4, 5}, {5}}, {{3, 4, 5}, {3, 4, 5}}, {{2, 3, 4}, {3, 1}}, {{2, 3}, {}}, {{0, 3}, {3}}};
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt32, DType::kInt64}) {
    for (const auto& [shape_x, shape_slope] : pairs) {
      ++seed;
      std::mt19937 rng(seed);
      const std::string what = describe_case("PRelu", dtype, {shape_x, shape_slope}, seed);
      Tensor x = random_tensor(dtype, shape_x, rng, -5, 5);
      Tensor slope = random_tensor(dtype, shape_slope, rng, -2, 2);
      auto out = run(make_node("PRelu", 2), 16, {x, slope});
      ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
      ASSERT_EQ((*out)[0].shape(), shape_x);
      std::vector<double> expected;
      for (std::int64_t i = 0; i < x.element_count(); ++i) {
        const double v = get_element(x, i);
        const double s = get_element(slope, broadcast_offset(shape_slope, shape_x, i));
        double e = v < 0 ? v * s : v;
        if (dtype == DType::kFloat16) e = half_to_float(float_to_half(static_cast<float>(e)));
        if (dtype == DType::kFloat32) e = static_cast<float>(e);
        expected.push_back(e);
      }
      expect_close((*out)[0], expected, tolerance_for(dtype), what);
    }
  }
  // The slope may not grow the output.
  auto bad = run(make_node("PRelu", 2), 16,
                 {Tensor::zeros(DType::kFloat32, {3}), Tensor::zeros(DType::kFloat32, {2, 3})});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("slope"), std::string::npos) << bad.status().to_string();
}

TEST(ElementwiseBinary, ErrorPaths) {
  Tensor f23 = Tensor::zeros(DType::kFloat32, {2, 3});
  Tensor f4 = Tensor::zeros(DType::kFloat32, {4});
  Tensor i3 = Tensor::zeros(DType::kInt32, {3});
  Tensor f3 = Tensor::zeros(DType::kFloat32, {3});
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater"}) {
    auto shapes = run(make_node(op, 2), 14, {f23, f4});
    ASSERT_FALSE(shapes.is_ok()) << op;
    EXPECT_EQ(shapes.status().code(), StatusCode::kInvalidModel) << op;
    EXPECT_NE(shapes.status().message().find("broadcast"), std::string::npos)
        << shapes.status().to_string();
    EXPECT_NE(shapes.status().message().find("'n'"), std::string::npos)
        << shapes.status().to_string();
    EXPECT_FALSE(run(make_node(op, 1), 14, {f3}).is_ok()) << op;
    EXPECT_FALSE(run(make_node(op, 3), 14, {f3, f3, f3}).is_ok()) << op;
    EXPECT_FALSE(run(make_node(op, 2), 14, {f3, Tensor()}).is_ok()) << op;
  }
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Equal", "Less", "Greater"}) {
    auto mixed = run(make_node(op, 2), 14, {f3, i3});
    ASSERT_FALSE(mixed.is_ok()) << op;
    EXPECT_NE(mixed.status().message().find("must match"), std::string::npos)
        << mixed.status().to_string();
  }
  // Pow's base must be float, int32 or int64; bool is no exponent.
  EXPECT_FALSE(run(make_node("Pow", 2), 15, {Tensor::zeros(DType::kInt8, {1}), f3}).is_ok());
  EXPECT_FALSE(run(make_node("Pow", 2), 15, {f3, Tensor::zeros(DType::kBool, {1})}).is_ok());
  EXPECT_FALSE(run(make_node("Add", 2), 14,
                   {Tensor::zeros(DType::kBool, {1}), Tensor::zeros(DType::kBool, {1})})
                   .is_ok());
}

TEST(ElementwiseVariadic, MinMaxSumMeanBroadcast) {
  struct Case {
    std::string op;
    std::function<double(const std::vector<double>&)> reference;
  };
  const Case cases[] = {
      {"Min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }},
      {"Max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }},
      {"Sum",
       [](const std::vector<double>& v) {
         double s = 0;
         for (double x : v) s += x;
         return s;
       }},
      {"Mean",
       [](const std::vector<double>& v) {
         double s = 0;
         for (double x : v) s += x;
         return s / static_cast<double>(v.size());
       }},
  };
  const std::vector<std::vector<Shape>> shape_sets = {
      {{2, 3, 4}},   {{2, 3, 4}, {4}},  {{2, 3, 4}, {4}, {3, 1}},
      {{}, {5}, {}}, {{1, 7}, {13, 1}}, {{0, 3}, {3}, {1, 1}},
  };
  std::uint32_t seed = 8000;
  for (const Case& c : cases) {
    for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt32,
                        DType::kUInt8, DType::kInt64}) {
      const bool minmax = c.op == "Min" || c.op == "Max";
      if (!minmax && !is_floating(dtype)) continue;
      for (const std::vector<Shape>& shapes : shape_sets) {
        ++seed;
        std::mt19937 rng(seed);
        const std::string what = describe_case(c.op, dtype, shapes, seed);
        std::vector<Tensor> inputs;
        Shape shape;
        for (const Shape& s : shapes) {
          inputs.push_back(random_tensor(dtype, s, rng, 0, 20));
          shape = broadcast_shape(shape, s);
        }
        auto out = run(make_node(c.op, inputs.size()), 13, inputs);
        ASSERT_TRUE(out.is_ok()) << what << ": " << out.status().to_string();
        ASSERT_EQ((*out)[0].shape(), shape) << what;
        std::vector<double> expected;
        for (std::int64_t i = 0; i < element_count(shape); ++i) {
          std::vector<double> values;
          for (std::size_t k = 0; k < inputs.size(); ++k) {
            values.push_back(get_element(inputs[k], broadcast_offset(shapes[k], shape, i)));
          }
          expected.push_back(c.reference(values));
        }
        // float16 Sum / Mean round after every addition.
        const double tol = dtype == DType::kFloat16 ? 5e-3 : tolerance_for(dtype);
        expect_close((*out)[0], expected, tol, what);
      }
    }
  }
}

TEST(ElementwiseVariadic, NaNPropagatesAndErrors) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = make_tensor(DType::kFloat32, {3}, {nan, 1, 2});
  Tensor b = make_tensor(DType::kFloat32, {3}, {0, nan, 1});
  for (const char* op : {"Min", "Max"}) {
    auto out = run(make_node(op, 2), 13, {a, b});
    ASSERT_TRUE(out.is_ok());
    EXPECT_TRUE(std::isnan(get_element((*out)[0], 0))) << op;
    EXPECT_TRUE(std::isnan(get_element((*out)[0], 1))) << op;
  }
  EXPECT_FALSE(run(make_node("Sum", 0), 13, {}).is_ok());
  EXPECT_FALSE(run(make_node("Max", 2), 13, {a, Tensor::zeros(DType::kFloat64, {3})}).is_ok());
  EXPECT_FALSE(run(make_node("Max", 2), 13, {a, Tensor::zeros(DType::kFloat32, {2})}).is_ok());
  EXPECT_FALSE(run(make_node("Sum", 2), 13, {a, Tensor()}).is_ok());
  EXPECT_EQ(run(make_node("Mean", 1), 13, {Tensor::zeros(DType::kInt32, {2})}).status().code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace edgebench::engine
