// MatMul and Gemm against a double-precision loop written here, on seeded random inputs with
// awkward shapes (K = 1, 3, 7, 13, 127; odd M and N; batch broadcasting; 1-D operands).
#include "linquant_test_util.h"

namespace edgebench::engine {
namespace {

using linquant_test::count_of;
using linquant_test::make_node;
using linquant_test::Random;
using linquant_test::run;
using linquant_test::scalar_of;
using linquant_test::tensor_of;
using linquant_test::values_of;

// numpy.matmul in double, written independently of the engine: every output element by its
// full multi-index. Also returns sum |a*b| per element, for tolerances.
struct MatMulReference {
  Shape shape;
  std::vector<double> y;
  std::vector<double> magnitude;
};
MatMulReference reference_matmul(Shape a_shape, const std::vector<double>& a, Shape b_shape,
                                 const std::vector<double>& b) {
  const bool a_vector = a_shape.size() == 1;
  const bool b_vector = b_shape.size() == 1;
  if (a_vector) a_shape.insert(a_shape.begin(), 1);
  if (b_vector) b_shape.push_back(1);
  const std::size_t rank = std::max(a_shape.size(), b_shape.size());
  a_shape.insert(a_shape.begin(), rank - a_shape.size(), 1);
  b_shape.insert(b_shape.begin(), rank - b_shape.size(), 1);
  Shape full(rank);
  for (std::size_t d = 0; d + 2 < rank; ++d) full[d] = std::max(a_shape[d], b_shape[d]);
  const std::int64_t m = a_shape[rank - 2];
  const std::int64_t k = a_shape[rank - 1];
  const std::int64_t n = b_shape[rank - 1];
  full[rank - 2] = m;
  full[rank - 1] = n;
  MatMulReference out;
  const std::int64_t total = count_of(full);
  for (std::int64_t flat = 0; flat < total; ++flat) {
    std::vector<std::int64_t> index(rank);
    std::int64_t rest = flat;
    for (std::size_t d = rank; d-- > 0;) {
      index[d] = rest % full[d];
      rest /= full[d];
    }
    double sum = 0;
    double magnitude = 0;
    for (std::int64_t p = 0; p < k; ++p) {
      std::int64_t ai = 0;
      std::int64_t bi = 0;
      for (std::size_t d = 0; d < rank; ++d) {
        std::int64_t a_coord = a_shape[d] == 1 ? 0 : index[d];
        std::int64_t b_coord = b_shape[d] == 1 ? 0 : index[d];
        if (d == rank - 1) a_coord = p;
        if (d == rank - 2) b_coord = p;
        ai = ai * a_shape[d] + a_coord;
        bi = bi * b_shape[d] + b_coord;
      }
      sum += a[static_cast<std::size_t>(ai)] * b[static_cast<std::size_t>(bi)];
      magnitude += std::fabs(a[static_cast<std::size_t>(ai)] * b[static_cast<std::size_t>(bi)]);
    }
    out.y.push_back(sum);
    out.magnitude.push_back(magnitude);
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

const std::vector<ShapePair>& matmul_shapes() {
  static const std::vector<ShapePair> shapes = {
      {{1, 1}, {1, 1}},
      {{3, 1}, {1, 5}},           // K = 1
      {{5, 3}, {3, 7}},           // K = 3, odd M and N
      {{7, 7}, {7, 9}},           // K = 7
      {{9, 13}, {13, 3}},         // K = 13
      {{3, 127}, {127, 5}},       // K = 127
      {{2, 1, 3, 4}, {5, 4, 6}},  // batch broadcast to [2, 5, 3, 6]
      {{1, 3, 13}, {4, 13, 1}},   // batch 1 against 4
      {{7}, {7}},                 // 1-D x 1-D -> scalar
      {{13}, {13, 5}},            // 1-D a
      {{5, 13}, {13}},            // 1-D b
      {{2, 3, 7}, {7}},           // batched a, 1-D b
      {{7}, {2, 7, 3}},           // 1-D a, batched b
      {{3, 1, 2, 3}, {1, 4, 3, 5}},
      {{0, 3}, {3, 4}},  // empty M
      {{2, 0}, {0, 3}},  // K = 0 gives zeros
  };
  return shapes;
}

TEST(LinQuantMatMul, MatchesReferenceForEveryDTypeAndShape) {
  std::uint32_t seed = 4000;
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt32,
                      DType::kInt64, DType::kUInt32, DType::kUInt64}) {
    for (const ShapePair& s : matmul_shapes()) {
      ++seed;
      Random random(seed);
      const bool is_float = is_floating(dtype);
      const bool is_unsigned = dtype == DType::kUInt32 || dtype == DType::kUInt64;
      std::vector<double> a = is_float ? random.floats(count_of(s.a), -2.0, 2.0)
                                       : random.ints(count_of(s.a), is_unsigned ? 0 : -50, 50);
      std::vector<double> b = is_float ? random.floats(count_of(s.b), -2.0, 2.0)
                                       : random.ints(count_of(s.b), is_unsigned ? 0 : -50, 50);
      const Tensor ta = tensor_of(dtype, s.a, a);
      const Tensor tb = tensor_of(dtype, s.b, b);
      a = values_of(ta);  // what the tensors hold (float16 rounded)
      b = values_of(tb);
      auto out = run(make_node("MatMul", 2), 13, {ta, tb});
      ASSERT_TRUE(out.is_ok()) << out.status().to_string() << " seed " << seed;
      const MatMulReference want = reference_matmul(s.a, a, s.b, b);
      const Tensor& y = (*out)[0];
      ASSERT_EQ(y.dtype(), dtype);
      ASSERT_EQ(y.shape(), want.shape) << "seed " << seed;
      const std::vector<double> got = values_of(y);
      // One rounding of the double sum to the output type.
      const double eps =
          dtype == DType::kFloat16 ? 1e-3 : (dtype == DType::kFloat32 ? 1.2e-7 : 1e-15);
      for (std::size_t i = 0; i < got.size(); ++i) {
        if (is_float) {
          ASSERT_NEAR(got[i], want.y[i], eps * want.magnitude[i] + 1e-30)
              << dtype_name(dtype) << " element " << i << " seed " << seed;
        } else {
          ASSERT_EQ(got[i], want.y[i]) << dtype_name(dtype) << " element " << i << " seed " << seed;
        }
      }
    }
  }
}

TEST(LinQuantMatMul, IntegerOverflowWrapsLikeNumPy) {
  // 2^30 * 4 + 2^30 * 4 = 2^33, which is 0 modulo 2^32; numpy's int32 matmul gives 0 too.
  auto out = run(make_node("MatMul", 2), 13,
                 {tensor_of(DType::kInt32, {1, 2}, {1073741824.0, 1073741824.0}),
                  tensor_of(DType::kInt32, {2, 1}, {4, 4})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<double>{0}));
}

TEST(LinQuantMatMul, RejectsBadShapesAndTypes) {
  struct Case {
    std::string what;
    Tensor a;
    Tensor b;
  };
  const Case cases[] = {
      {"K mismatch", tensor_of(DType::kFloat32, {2, 3}, std::vector<double>(6)),
       tensor_of(DType::kFloat32, {4, 2}, std::vector<double>(8))},
      {"1-D K mismatch", tensor_of(DType::kFloat32, {3}, std::vector<double>(3)),
       tensor_of(DType::kFloat32, {4}, std::vector<double>(4))},
      {"rank 0", scalar_of(DType::kFloat32, 1), tensor_of(DType::kFloat32, {1}, {1})},
      {"batch dims do not broadcast", tensor_of(DType::kFloat32, {2, 1, 1}, {1, 1}),
       tensor_of(DType::kFloat32, {3, 1, 1}, {1, 1, 1})},
      {"dtype mismatch", tensor_of(DType::kFloat32, {1, 1}, {1}),
       tensor_of(DType::kFloat64, {1, 1}, {1})},
      {"uint8 operands", tensor_of(DType::kUInt8, {1, 1}, {1}),
       tensor_of(DType::kUInt8, {1, 1}, {1})},
  };
  for (const Case& c : cases) {
    auto out = run(make_node("MatMul", 2), 13, {c.a, c.b});
    EXPECT_FALSE(out.is_ok()) << c.what;
  }
}

// Gemm's reference: explicit transposes and C broadcast by index.
std::vector<double> reference_gemm(const std::vector<double>& a, const std::vector<double>& b,
                                   const std::vector<double>* c, const Shape& c_shape,
                                   std::int64_t m, std::int64_t k, std::int64_t n, bool trans_a,
                                   bool trans_b, double alpha, double beta,
                                   std::vector<double>* magnitude) {
  std::vector<double> y;
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = 0;
      double mag = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        const double av = a[static_cast<std::size_t>(trans_a ? p * m + i : i * k + p)];
        const double bv = b[static_cast<std::size_t>(trans_b ? j * k + p : p * n + j)];
        sum += av * bv;
        mag += std::fabs(av * bv);
      }
      double value = alpha * sum;
      mag = std::fabs(alpha) * mag;
      if (c != nullptr) {
        // C is [], [1], [N], [1, N], [M, 1], [M, N] or [1, 1].
        std::int64_t ci = 0;
        if (c_shape.size() == 1) ci = c_shape[0] == 1 ? 0 : j;
        if (c_shape.size() == 2)
          ci = (c_shape[0] == 1 ? 0 : i) * c_shape[1] + (c_shape[1] == 1 ? 0 : j);
        value += beta * (*c)[static_cast<std::size_t>(ci)];
        mag += std::fabs(beta * (*c)[static_cast<std::size_t>(ci)]);
      }
      y.push_back(value);
      magnitude->push_back(mag);
    }
  }
  return y;
}

TEST(LinQuantGemm, MatchesReferenceForTranspositionsAndBiasShapes) {
  struct Dims {
    std::int64_t m, k, n;
  };
  const Dims dims[] = {{1, 1, 1}, {3, 7, 5}, {5, 13, 1}, {1, 127, 3}, {7, 3, 13}, {2, 1, 9}};
  std::uint32_t seed = 5000;
  for (DType dtype :
       {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt32, DType::kInt64}) {
    for (const Dims& d : dims) {
      for (int trans = 0; trans < 4; ++trans) {
        const bool trans_a = (trans & 1) != 0;
        const bool trans_b = (trans & 2) != 0;
        const std::vector<Shape> c_shapes = {Shape{0},        Shape{},       Shape{1},
                                             Shape{d.n},      Shape{1, d.n}, Shape{d.m, 1},
                                             Shape{d.m, d.n}, Shape{1, 1}};
        for (const Shape& c_shape_or_none : c_shapes) {
          ++seed;
          Random random(seed);
          const bool has_c = c_shape_or_none != Shape{0};
          const bool is_float = is_floating(dtype);
          const Shape a_shape = trans_a ? Shape{d.k, d.m} : Shape{d.m, d.k};
          const Shape b_shape = trans_b ? Shape{d.n, d.k} : Shape{d.k, d.n};
          auto draw = [&](const Shape& shape) {
            return is_float ? random.floats(count_of(shape), -2.0, 2.0)
                            : random.ints(count_of(shape), -20, 20);
          };
          const Tensor ta = tensor_of(dtype, a_shape, draw(a_shape));
          const Tensor tb = tensor_of(dtype, b_shape, draw(b_shape));
          const Tensor tc =
              has_c ? tensor_of(dtype, c_shape_or_none, draw(c_shape_or_none)) : Tensor{};
          const double alpha = is_float ? random.real(-2.0, 2.0) : 3.0;
          const double beta = is_float ? random.real(-2.0, 2.0) : -2.0;
          ir::Node node = make_node("Gemm", 3);
          node.attributes.set("alpha", static_cast<float>(alpha));
          node.attributes.set("beta", static_cast<float>(beta));
          node.attributes.set("transA", std::int64_t{trans_a});
          node.attributes.set("transB", std::int64_t{trans_b});
          std::vector<Tensor> inputs = {ta, tb};
          if (has_c) inputs.push_back(tc);
          auto out = run(node, 13, inputs);
          ASSERT_TRUE(out.is_ok()) << out.status().to_string() << " seed " << seed;
          const std::vector<double> c_values = has_c ? values_of(tc) : std::vector<double>{};
          std::vector<double> magnitude;
          const std::vector<double> want =
              reference_gemm(values_of(ta), values_of(tb), has_c ? &c_values : nullptr,
                             c_shape_or_none, d.m, d.k, d.n, trans_a, trans_b,
                             static_cast<float>(alpha), static_cast<float>(beta), &magnitude);
          ASSERT_EQ((*out)[0].shape(), (Shape{d.m, d.n})) << "seed " << seed;
          const std::vector<double> got = values_of((*out)[0]);
          const double eps =
              dtype == DType::kFloat16 ? 1e-3 : (dtype == DType::kFloat32 ? 1.2e-7 : 1e-15);
          for (std::size_t i = 0; i < got.size(); ++i) {
            if (is_float) {
              ASSERT_NEAR(got[i], want[i], eps * magnitude[i] + 1e-30)
                  << dtype_name(dtype) << " element " << i << " seed " << seed;
            } else {
              ASSERT_EQ(got[i], want[i]) << "element " << i << " seed " << seed;
            }
          }
        }
      }
    }
  }
}

TEST(LinQuantGemm, Opset6BroadcastsCOnlyWhenAsked) {
  // As in the pytorch-converted Linear test: A [2, 3] x B^T, B [4, 3], C [4] with broadcast=1.
  const Tensor a = tensor_of(DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = tensor_of(DType::kFloat32, {4, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1});
  const Tensor c_row = tensor_of(DType::kFloat32, {4}, {10, 20, 30, 40});
  ir::Node node = make_node("Gemm", 3);
  node.attributes.set("transB", std::int64_t{1});
  node.attributes.set("broadcast", std::int64_t{1});
  auto out = run(node, 6, {a, b, c_row});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<double>{11, 22, 33, 46, 14, 25, 36, 55}));
  // Without broadcast, C must already be (M, N).
  node.attributes.set("broadcast", std::int64_t{0});
  EXPECT_FALSE(run(node, 6, {a, b, c_row}).is_ok());
  const Tensor c_full = tensor_of(DType::kFloat32, {2, 4}, std::vector<double>(8, 1.0));
  auto full = run(node, 6, {a, b, c_full});
  ASSERT_TRUE(full.is_ok()) << full.status().to_string();
  EXPECT_EQ(values_of((*full)[0]), (std::vector<double>{2, 3, 4, 7, 5, 6, 7, 16}));
  // Opset 7 broadcasts without being asked.
  EXPECT_TRUE(run(node, 7, {a, b, c_row}).is_ok());
}

TEST(LinQuantGemm, ZeroBetaIgnoresNonFiniteBias) {
  ir::Node node = make_node("Gemm", 3);
  node.attributes.set("beta", 0.0f);
  auto out = run(node, 13,
                 {tensor_of(DType::kFloat32, {1, 1}, {2}), tensor_of(DType::kFloat32, {1, 1}, {3}),
                  tensor_of(DType::kFloat32, {1, 1}, {INFINITY})});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(values_of((*out)[0]), (std::vector<double>{6}));
}

TEST(LinQuantGemm, RejectsBadInputs) {
  const Tensor a = tensor_of(DType::kFloat32, {2, 3}, std::vector<double>(6, 1.0));
  const Tensor b = tensor_of(DType::kFloat32, {3, 4}, std::vector<double>(12, 1.0));
  struct Case {
    std::string what;
    std::int64_t opset;
    std::vector<Tensor> inputs;
    std::vector<std::pair<std::string, ir::AttributeValue>> attributes;
  };
  const Case cases[] = {
      {"K mismatch", 13, {a, tensor_of(DType::kFloat32, {4, 4}, std::vector<double>(16))}, {}},
      {"K mismatch after transB", 13, {a, b}, {{"transB", std::int64_t{1}}}},
      {"3-D A", 13, {tensor_of(DType::kFloat32, {1, 2, 3}, std::vector<double>(6)), b}, {}},
      {"1-D B", 13, {a, tensor_of(DType::kFloat32, {3}, std::vector<double>(3))}, {}},
      {"C does not broadcast", 13, {a, b, tensor_of(DType::kFloat32, {3}, {1, 2, 3})}, {}},
      {"C of rank 3", 13, {a, b, tensor_of(DType::kFloat32, {1, 1, 4}, {1, 2, 3, 4})}, {}},
      {"C dtype differs", 13, {a, b, tensor_of(DType::kFloat64, {4}, {1, 2, 3, 4})}, {}},
      {"C missing before opset 11", 9, {a, b}, {}},
      {"fractional alpha with int32",
       13,
       {tensor_of(DType::kInt32, {1, 1}, {1}), tensor_of(DType::kInt32, {1, 1}, {1})},
       {{"alpha", 0.5f}}},
      {"alpha of the wrong attribute type", 13, {a, b}, {{"alpha", std::string("two")}}},
  };
  for (const Case& c : cases) {
    ir::Node node = make_node("Gemm", 3);
    for (const auto& [name, value] : c.attributes) node.attributes.set(name, value);
    EXPECT_FALSE(run(node, c.opset, c.inputs).is_ok()) << c.what;
  }
  // Opset 11 made C optional.
  EXPECT_TRUE(run(make_node("Gemm", 2), 11, {a, b}).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
