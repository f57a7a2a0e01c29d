// MatMulInteger and QLinearMatMul against exact integer arithmetic written here, on seeded random
// inputs: per-tensor, per-row (a) and per-column (b) zero points and scales, batch broadcasting,
// 1-D operands, every int8/uint8 combination, rounding ties and saturation.
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

// A parameter (zero point or scale) and its shape; an empty `values` means "absent".
struct Param {
  Shape shape;
  std::vector<double> values;
  bool present() const { return !values.empty(); }
};

// The parameter value for an operand element at `coords` (the operand's own coordinates, with
// the K coordinate already set to 0): right-aligned broadcasting, size-1 dims read index 0.
double param_at(const Param& p, const std::vector<std::int64_t>& coords) {
  if (!p.present()) return 0.0;
  std::int64_t index = 0;
  const std::size_t offset = coords.size() - p.shape.size();
  for (std::size_t d = 0; d < p.shape.size(); ++d) {
    index = index * p.shape[d] + (p.shape[d] == 1 ? 0 : coords[offset + d]);
  }
  return p.values[static_cast<std::size_t>(index)];
}

// Exact integer numpy.matmul of (a - a_zp) and (b - b_zp), in int64, with the per-element
// a and b scale products for QLinearMatMul (1 when no scales are given).
struct IntReference {
  Shape shape;
  std::vector<std::int64_t> acc;
  std::vector<double> scale;  // a_scale(row) * b_scale(column)
};
IntReference reference_integer_matmul(Shape a_shape, const std::vector<double>& a, Param a_zp,
                                      Param a_scale, Shape b_shape, const std::vector<double>& b,
                                      Param b_zp, Param b_scale) {
  const bool a_vector = a_shape.size() == 1;
  const bool b_vector = b_shape.size() == 1;
  if (a_vector) a_shape.insert(a_shape.begin(), 1);
  if (b_vector) b_shape.push_back(1);
  // A per-row 1-D parameter [M] addresses rows: it is [M, 1].
  for (Param* p : {&a_zp, &a_scale}) {
    if (p->shape.size() == 1) p->shape.push_back(1);
  }
  const std::size_t rank = std::max(a_shape.size(), b_shape.size());
  const std::size_t a_lead = rank - a_shape.size();
  const std::size_t b_lead = rank - b_shape.size();
  Shape full(rank);
  for (std::size_t d = 0; d + 2 < rank; ++d) {
    full[d] = std::max(d < a_lead ? 1 : a_shape[d - a_lead], d < b_lead ? 1 : b_shape[d - b_lead]);
  }
  const std::int64_t m = a_shape[a_shape.size() - 2];
  const std::int64_t k = a_shape.back();
  const std::int64_t n = b_shape.back();
  full[rank - 2] = m;
  full[rank - 1] = n;
  IntReference out;
  for (std::int64_t flat = 0; flat < count_of(full); ++flat) {
    std::vector<std::int64_t> index(rank);
    std::int64_t rest = flat;
    for (std::size_t d = rank; d-- > 0;) {
      index[d] = rest % full[d];
      rest /= full[d];
    }
    // The operands' own coordinates (batch dims of size 1 read 0), K at 0.
    std::vector<std::int64_t> ac(a_shape.size());
    std::vector<std::int64_t> bc(b_shape.size());
    for (std::size_t d = 0; d < a_shape.size(); ++d) {
      ac[d] = a_shape[d] == 1 ? 0 : index[d + a_lead];
    }
    for (std::size_t d = 0; d < b_shape.size(); ++d) {
      bc[d] = b_shape[d] == 1 ? 0 : index[d + b_lead];
    }
    ac.back() = 0;
    bc[bc.size() - 2] = 0;
    const double a_zero = param_at(a_zp, ac);
    const double b_zero = param_at(b_zp, bc);
    std::int64_t sum = 0;
    for (std::int64_t p = 0; p < k; ++p) {
      ac.back() = p;
      bc[bc.size() - 2] = p;
      std::int64_t ai = 0;
      std::int64_t bi = 0;
      for (std::size_t d = 0; d < ac.size(); ++d) ai = ai * a_shape[d] + ac[d];
      for (std::size_t d = 0; d < bc.size(); ++d) bi = bi * b_shape[d] + bc[d];
      sum += static_cast<std::int64_t>(a[static_cast<std::size_t>(ai)] - a_zero) *
             static_cast<std::int64_t>(b[static_cast<std::size_t>(bi)] - b_zero);
    }
    ac.back() = 0;
    bc[bc.size() - 2] = 0;
    out.acc.push_back(sum);
    out.scale.push_back((a_scale.present() ? param_at(a_scale, ac) : 1.0) *
                        (b_scale.present() ? param_at(b_scale, bc) : 1.0));
  }
  out.shape.assign(full.begin(), full.end() - 2);
  if (!a_vector) out.shape.push_back(m);
  if (!b_vector) out.shape.push_back(n);
  return out;
}

struct ShapePair {
  Shape a;
  Shape b;
};
const ShapePair kShapes[] = {
    {{1, 1}, {1, 1}},
    {{5, 3}, {3, 7}},
    {{3, 127}, {127, 5}},
    {{7, 13}, {13, 1}},
    {{2, 1, 3, 13}, {5, 13, 7}},
    {{3, 1, 2, 3}, {1, 4, 3, 5}},
    {{7}, {7, 3}},
    {{3, 7}, {7}},
    {{13}, {13}},
    {{2, 3, 7}, {7}},
};

// The layouts a parameter of operand a (per row) or b (per column) may take.
enum class Layout { kAbsent, kScalar, kOneElement, kVector, kFull };
constexpr Layout kLayouts[] = {Layout::kAbsent, Layout::kScalar, Layout::kOneElement,
                               Layout::kVector, Layout::kFull};
const char* layout_name(Layout l) {
  switch (l) {
    case Layout::kAbsent: return "absent";
    case Layout::kScalar: return "scalar";
    case Layout::kOneElement: return "[1]";
    case Layout::kVector: return "1-D";
    case Layout::kFull: return "N-D";
  }
  return "?";
}

// The parameter shape for `layout`, or nullopt when it does not apply (e.g. per row of a 1-D a).
std::optional<Shape> param_shape(Layout layout, const Shape& operand, bool is_a) {
  switch (layout) {
    case Layout::kAbsent:
    case Layout::kScalar: return Shape{};
    case Layout::kOneElement: return Shape{1};
    case Layout::kVector:
      if (operand.size() < 2) return std::nullopt;
      return Shape{is_a ? operand[operand.size() - 2] : operand.back()};
    case Layout::kFull: {
      if (operand.size() < 3) return std::nullopt;  // same as kVector otherwise
      Shape s = operand;
      s[s.size() - (is_a ? 1 : 2)] = 1;
      return s;
    }
  }
  return std::nullopt;
}

TEST(LinQuantMatMulInteger, MatchesExactIntegerReference) {
  std::uint32_t seed = 6000;
  int checked = 0;
  for (const ShapePair& s : kShapes) {
    for (DType a_dtype : {DType::kUInt8, DType::kInt8}) {
      for (DType b_dtype : {DType::kUInt8, DType::kInt8}) {
        for (Layout a_layout : kLayouts) {
          for (Layout b_layout : kLayouts) {
            const auto a_zp_shape = param_shape(a_layout, s.a, true);
            const auto b_zp_shape = param_shape(b_layout, s.b, false);
            if (!a_zp_shape || !b_zp_shape) continue;
            ++seed;
            Random random(seed);
            const std::vector<double> a = random.quantized(a_dtype, count_of(s.a));
            const std::vector<double> b = random.quantized(b_dtype, count_of(s.b));
            Param a_zp{*a_zp_shape, {}};
            Param b_zp{*b_zp_shape, {}};
            if (a_layout != Layout::kAbsent)
              a_zp.values = random.quantized(a_dtype, count_of(a_zp.shape));
            if (b_layout != Layout::kAbsent)
              b_zp.values = random.quantized(b_dtype, count_of(b_zp.shape));
            std::vector<Tensor> inputs = {
                tensor_of(a_dtype, s.a, a), tensor_of(b_dtype, s.b, b),
                a_zp.present() ? tensor_of(a_dtype, a_zp.shape, a_zp.values) : Tensor{},
                b_zp.present() ? tensor_of(b_dtype, b_zp.shape, b_zp.values) : Tensor{}};
            while (!inputs.empty() && !inputs.back().defined()) inputs.pop_back();
            auto out = run(make_node("MatMulInteger", 4), 10, inputs);
            ASSERT_TRUE(out.is_ok()) << out.status().to_string() << " seed " << seed;
            const IntReference want = reference_integer_matmul(s.a, a, a_zp, {}, s.b, b, b_zp, {});
            const Tensor& y = (*out)[0];
            ASSERT_EQ(y.dtype(), DType::kInt32);
            ASSERT_EQ(y.shape(), want.shape) << "seed " << seed;
            for (std::int64_t i = 0; i < y.element_count(); ++i) {
              ASSERT_EQ(y.data<std::int32_t>()[i], want.acc[static_cast<std::size_t>(i)])
                  << "element " << i << " a zp " << layout_name(a_layout) << " b zp "
                  << layout_name(b_layout) << " seed " << seed;
            }
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(LinQuantMatMulInteger, RejectsBadInputs) {
  const Tensor a = tensor_of(DType::kUInt8, {2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = tensor_of(DType::kUInt8, {3, 4}, std::vector<double>(12, 1.0));
  struct Case {
    std::string what;
    std::vector<Tensor> inputs;
  };
  const Case cases[] = {
      {"a zero point dtype differs from A", {a, b, scalar_of(DType::kInt8, 0)}},
      {"b zero point dtype differs from B",
       {a, b, scalar_of(DType::kUInt8, 0), scalar_of(DType::kInt32, 0)}},
      {"a zero point has K elements, not M", {a, b, tensor_of(DType::kUInt8, {3}, {0, 0, 0})}},
      {"b zero point has K elements, not N",
       {a, b, Tensor{}, tensor_of(DType::kUInt8, {3}, {0, 0, 0})}},
      {"a zero point [2, 3] (per element, not per row)",
       {a, b, tensor_of(DType::kUInt8, {2, 3}, std::vector<double>(6))}},
      {"K mismatch", {a, tensor_of(DType::kUInt8, {4, 4}, std::vector<double>(16))}},
      {"float A", {tensor_of(DType::kFloat32, {2, 3}, std::vector<double>(6)), b}},
      {"int32 B", {a, tensor_of(DType::kInt32, {3, 4}, std::vector<double>(12))}},
  };
  for (const Case& c : cases) {
    auto out = run(make_node("MatMulInteger", 4), 10, c.inputs);
    EXPECT_FALSE(out.is_ok()) << c.what;
  }
}

// QLinearMatMul's reference requantization: the real multiplier and product in long double,
// rounded half to even. The kernel forms the multiplier in double, so the two may differ by one
// unit only when the exact value lies within 1e-6 of a .5 tie; everywhere else they must agree.
void expect_requantized(const Tensor& y, const IntReference& want, double y_scale,
                        double y_zero_point, std::uint32_t seed) {
  for (std::int64_t i = 0; i < y.element_count(); ++i) {
    const auto u = static_cast<std::size_t>(i);
    const long double real = static_cast<long double>(want.acc[u]) *
                             static_cast<long double>(want.scale[u]) /
                             static_cast<long double>(y_scale);
    const double expected =
        reference_saturate(reference_round(static_cast<double>(real)) + y_zero_point, y.dtype());
    const double got = y.element_as_double(i);
    const long double fraction = real - std::floor(real);
    if (std::fabs(static_cast<double>(fraction) - 0.5) < 1e-6) {
      ASSERT_LE(std::fabs(got - expected), 1.0) << "element " << i << " seed " << seed;
    } else {
      ASSERT_EQ(got, expected) << "element " << i << " acc " << want.acc[u] << " seed " << seed;
    }
  }
}

TEST(LinQuantQLinearMatMul, MatchesIntegerReferencePerTensorAndPerRowColumn) {
  std::uint32_t seed = 7000;
  int checked = 0;
  int outputs = 0;
  int unsaturated = 0;
  for (const ShapePair& s : kShapes) {
    for (DType a_dtype : {DType::kUInt8, DType::kInt8}) {
      for (DType b_dtype : {DType::kUInt8, DType::kInt8}) {
        for (Layout a_layout :
             {Layout::kScalar, Layout::kOneElement, Layout::kVector, Layout::kFull}) {
          for (Layout b_layout : {Layout::kScalar, Layout::kVector, Layout::kFull}) {
            const auto a_shape = param_shape(a_layout, s.a, true);
            const auto b_shape = param_shape(b_layout, s.b, false);
            if (!a_shape || !b_shape) continue;
            ++seed;
            Random random(seed);
            const DType y_dtype = (seed % 2 == 0) ? DType::kUInt8 : DType::kInt8;
            const std::vector<double> a = random.quantized(a_dtype, count_of(s.a));
            const std::vector<double> b = random.quantized(b_dtype, count_of(s.b));
            const Param a_zp{*a_shape, random.quantized(a_dtype, count_of(*a_shape))};
            const Param b_zp{*b_shape, random.quantized(b_dtype, count_of(*b_shape))};
            const Param a_scale{*a_shape, random.floats(count_of(*a_shape), 0.001, 0.05)};
            const Param b_scale{*b_shape, random.floats(count_of(*b_shape), 0.001, 0.05)};
            const IntReference want =
                reference_integer_matmul(s.a, a, a_zp, a_scale, s.b, b, b_zp, b_scale);
            // A y scale that maps the largest |acc * a_scale * b_scale| to 40..160, so that most
            // outputs are in range (rounding is what is tested) and a few saturate.
            double largest = 0;
            for (std::size_t i = 0; i < want.acc.size(); ++i) {
              largest = std::max(largest, std::fabs(want.acc[i] * want.scale[i]));
            }
            const double y_scale =
                static_cast<float>(largest > 0 ? largest / random.real(40.0, 160.0) : 1.0);
            const double y_zero_point = random.quantized(y_dtype, 1)[0];
            const std::vector<Tensor> inputs = {
                tensor_of(a_dtype, s.a, a),
                tensor_of(DType::kFloat32, a_scale.shape, a_scale.values),
                tensor_of(a_dtype, a_zp.shape, a_zp.values),
                tensor_of(b_dtype, s.b, b),
                tensor_of(DType::kFloat32, b_scale.shape, b_scale.values),
                tensor_of(b_dtype, b_zp.shape, b_zp.values),
                scalar_of(DType::kFloat32, y_scale),
                scalar_of(y_dtype, y_zero_point)};
            auto out = run(make_node("QLinearMatMul", 8), 10, inputs);
            ASSERT_TRUE(out.is_ok()) << out.status().to_string() << " seed " << seed;
            const Tensor& y = (*out)[0];
            ASSERT_EQ(y.dtype(), y_dtype);
            ASSERT_EQ(y.shape(), want.shape) << "seed " << seed;
            expect_requantized(y, want, y_scale, y_zero_point, seed);
            for (double v : values_of(y)) {
              unsaturated +=
                  v != reference_saturate(-1e9, y_dtype) && v != reference_saturate(1e9, y_dtype);
              ++outputs;
            }
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 200);
  EXPECT_GT(unsaturated, outputs * 3 / 4) << "too many saturated outputs to test rounding";
}

TEST(LinQuantQLinearMatMul, RoundsTiesToEvenAndSaturates) {
  // acc = a * 1 with multiplier 1 * 0.5 / 1: acc / 2 = 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, then
  // 300 and -300 saturate.
  const Tensor a = tensor_of(DType::kInt8, {8, 1}, {1, 3, 5, -1, -3, -5, 127, -128});
  const Tensor b = tensor_of(DType::kInt8, {1, 1}, {1});
  auto run_with = [&](DType y_dtype, double y_zero_point, double b_scale) {
    return run(make_node("QLinearMatMul", 8), 10,
               {a, scalar_of(DType::kFloat32, 1.0), scalar_of(DType::kInt8, 0), b,
                scalar_of(DType::kFloat32, b_scale), scalar_of(DType::kInt8, 0),
                scalar_of(DType::kFloat32, 1.0), scalar_of(y_dtype, y_zero_point)});
  };
  auto ties = run_with(DType::kInt8, 0, 0.5);
  ASSERT_TRUE(ties.is_ok()) << ties.status().to_string();
  EXPECT_EQ(values_of((*ties)[0]), (std::vector<double>{0, 2, 2, 0, -2, -2, 64, -64}));
  auto saturated = run_with(DType::kInt8, 0, 4.0);  // acc * 4: 508 and -512
  ASSERT_TRUE(saturated.is_ok());
  EXPECT_EQ(values_of((*saturated)[0]), (std::vector<double>{4, 12, 20, -4, -12, -20, 127, -128}));
  auto unsigned_out = run_with(DType::kUInt8, 10, 4.0);
  ASSERT_TRUE(unsigned_out.is_ok());
  EXPECT_EQ(values_of((*unsigned_out)[0]), (std::vector<double>{14, 22, 30, 6, 0, 0, 255, 0}));
}

TEST(LinQuantQLinearMatMul, RejectsBadInputs) {
  const Tensor a = tensor_of(DType::kUInt8, {2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = tensor_of(DType::kUInt8, {3, 4}, std::vector<double>(12, 1.0));
  const Tensor one = scalar_of(DType::kFloat32, 1.0);
  const Tensor zp = scalar_of(DType::kUInt8, 0);
  auto inputs_with = [&](std::size_t i, Tensor t) {
    std::vector<Tensor> inputs = {a, one, zp, b, one, zp, one, zp};
    inputs[i] = std::move(t);
    return inputs;
  };
  struct Case {
    std::string what;
    std::vector<Tensor> inputs;
  };
  const Case cases[] = {
      {"a zero point dtype differs from a", inputs_with(2, scalar_of(DType::kInt8, 0))},
      {"b zero point dtype differs from b", inputs_with(5, scalar_of(DType::kInt8, 0))},
      {"a scale has 3 elements but a has 2 rows",
       inputs_with(1, tensor_of(DType::kFloat32, {3}, {1, 1, 1}))},
      {"b scale has 3 elements but b has 4 columns",
       inputs_with(4, tensor_of(DType::kFloat32, {3}, {1, 1, 1}))},
      {"y scale per row", inputs_with(6, tensor_of(DType::kFloat32, {2}, {1, 1}))},
      {"y zero point int32", inputs_with(7, scalar_of(DType::kInt32, 0))},
      {"float64 a scale", inputs_with(1, scalar_of(DType::kFloat64, 1.0))},
      {"K mismatch", inputs_with(3, tensor_of(DType::kUInt8, {2, 4}, std::vector<double>(8)))},
      {"missing y zero point", {a, one, zp, b, one, zp, one}},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(run(make_node("QLinearMatMul", 8), 10, c.inputs).is_ok()) << c.what;
  }
}

}  // namespace
}  // namespace edgebench::engine
