// Tests of Range, EyeLike, Trilu, CumSum and TopK against references written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tensor_test_util.h"

namespace edgebench::engine {
namespace {

using tensor_test::expect_same_tensor;
using tensor_test::int32s;
using tensor_test::int64s;
using tensor_test::make_node;
using tensor_test::random_shape;
using tensor_test::random_tensor;
using tensor_test::ravel;
using tensor_test::run_ok;
using tensor_test::run_status;
using tensor_test::same_element;
using tensor_test::unravel;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

Tensor i64(std::int64_t v) { return Tensor::scalar<std::int64_t>(DType::kInt64, v); }

// --- Range -------------------------------------------------------------------------------

TEST(TensorRange, IntegerAndFloatSequences) {
  ir::Node node = make_node("Range", 3);
  struct Case {
    std::int64_t start, limit, delta;
  };
  for (const Case& c : {Case{0, 10, 3}, Case{10, 4, -2}, Case{5, 5, 1}, Case{5, 0, 1},
                        Case{-3, 3, 1}, Case{kMin, kMax, kMax}, Case{kMax, kMin, kMin}}) {
    std::vector<std::int64_t> expected;
    // Long double holds every int64 exactly, so the loop bound is exact.
    for (long double v = c.start; c.delta > 0 ? v < c.limit : v > c.limit; v += c.delta) {
      expected.push_back(static_cast<std::int64_t>(v));
    }
    auto out = run_ok(node, 11, {i64(c.start), i64(c.limit), i64(c.delta)});
    ASSERT_EQ(out.size(), 1u);
    expect_same_tensor(out[0], int64s(expected),
                       fmt::format("range({}, {}, {})", c.start, c.limit, c.delta));
  }
  auto out = run_ok(
      node, 11,
      {Tensor::scalar<float>(DType::kFloat32, 1.0f), Tensor::scalar<float>(DType::kFloat32, 2.0f),
       Tensor::scalar<float>(DType::kFloat32, 0.25f)});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(
      out[0], Tensor::vector<float>(DType::kFloat32, std::vector<float>{1, 1.25f, 1.5f, 1.75f}),
      "float");
  out = run_ok(node, 11,
               {Tensor::scalar<std::int32_t>(DType::kInt32, 10),
                Tensor::scalar<std::int32_t>(DType::kInt32, 6),
                Tensor::scalar<std::int32_t>(DType::kInt32, -3)});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int32s({10, 7}), "int32 negative delta");
}

TEST(TensorRange, RejectsBadArguments) {
  ir::Node node = make_node("Range", 3);
  EXPECT_FALSE(run_status(node, 11, {i64(0), i64(10), i64(0)}).is_ok());
  EXPECT_FALSE(run_status(node, 11, {i64(0), i64(kMax), i64(1)}).is_ok());  // too large
  const Tensor f0 = Tensor::scalar<float>(DType::kFloat32, 0.0f);
  const Tensor inf = Tensor::scalar<float>(DType::kFloat32, std::numeric_limits<float>::infinity());
  EXPECT_FALSE(
      run_status(node, 11, {f0, inf, Tensor::scalar<float>(DType::kFloat32, 1.0f)}).is_ok());
  EXPECT_FALSE(run_status(node, 11, {f0, i64(1), i64(1)}).is_ok());  // mixed dtypes
  EXPECT_FALSE(run_status(node, 11, {int64s({0, 1}), i64(1), i64(1)}).is_ok());
}

// --- EyeLike and Trilu ---------------------------------------------------------------------

TEST(TensorEyeLike, DiagonalsAndDtypes) {
  for (std::int64_t k :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{-2}, std::int64_t{7}, kMax, kMin}) {
    for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt64, DType::kBool}) {
      ir::Node node = make_node("EyeLike", 1);
      node.attributes.set("k", k);
      const Tensor x = Tensor::zeros(dtype, {4, 5});
      auto out = run_ok(node, 9, {x});
      ASSERT_EQ(out.size(), 1u);
      ASSERT_EQ(out[0].dtype(), dtype);
      for (std::int64_t i = 0; i < 20; ++i) {
        const bool on_diagonal = k > -5 && k < 6 && i % 5 - i / 5 == k;
        EXPECT_EQ(out[0].element_as_double(i), on_diagonal ? 1.0 : 0.0)
            << "k " << k << " element " << i;
      }
    }
  }
  ir::Node typed = make_node("EyeLike", 1);
  typed.attributes.set("dtype", std::int64_t{11});  // double
  auto out = run_ok(typed, 9, {Tensor::zeros(DType::kInt32, {2, 2})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), DType::kFloat64);
  EXPECT_FALSE(run_status(typed, 9, {Tensor::zeros(DType::kInt32, {2, 2, 2})}).is_ok());
  typed.attributes.set("dtype", std::int64_t{8});  // string
  EXPECT_FALSE(run_status(typed, 9, {Tensor::zeros(DType::kInt32, {2, 2})}).is_ok());
}

TEST(TensorTrilu, UpperAndLowerWithK) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const Shape shape =
        random_shape(rng, 2 + static_cast<int>(rng() % 2), 5, seed % 8 == 0 ? 0 : 1);
    const Tensor x = random_tensor(dtype, shape, rng);
    const bool upper = seed % 2 == 0;
    const std::int64_t k_choices[] = {0, 1, -1, 3, -4, kMax, kMin};
    const std::int64_t k = k_choices[rng() % std::size(k_choices)];
    ir::Node node = make_node("Trilu", 2);
    node.attributes.set("upper", std::int64_t{upper});
    auto out = run_ok(node, 14, {x, i64(k)});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    const Tensor zero = Tensor::zeros(dtype, {1});
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      const std::vector<std::int64_t> index = unravel(i, shape);
      const std::int64_t row = index[index.size() - 2];
      const std::int64_t col = index.back();
      const bool keep = upper ? col - row >= k : col - row <= k;
      ASSERT_TRUE(keep ? same_element(out[0], i, x, i) : same_element(out[0], i, zero, 0))
          << what << " element " << i;
    }
  }
  ir::Node node = make_node("Trilu", 1);
  EXPECT_FALSE(run_status(node, 14, {int64s({1, 2})}).is_ok());
}

// --- CumSum --------------------------------------------------------------------------------

TEST(TensorCumSum, ExclusiveReverseAndAxes) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype =
        seed % 3 == 0 ? DType::kFloat64 : (seed % 3 == 1 ? DType::kInt32 : DType::kFloat32);
    const int rank = 1 + static_cast<int>(rng() % 3);
    const Shape shape = random_shape(rng, rank, 5);
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(rank));
    const bool exclusive = rng() % 2;
    const bool reverse = rng() % 2;
    Tensor x = random_tensor(dtype, shape, rng);
    if (dtype == DType::kInt32) {
      for (std::int64_t i = 0; i < x.element_count(); ++i) x.data<std::int32_t>()[i] %= 1000;
    }
    ir::Node node = make_node("CumSum", 2);
    node.attributes.set("exclusive", std::int64_t{exclusive});
    node.attributes.set("reverse", std::int64_t{reverse});
    const Tensor axis_value =
        seed % 2 ? i64(axis - rank) : Tensor::scalar<std::int32_t>(DType::kInt32, axis);
    auto out = run_ok(node, 14, {x, axis_value});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    ASSERT_EQ(out[0].shape(), shape) << what;
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, shape);
      const std::int64_t at = index[static_cast<std::size_t>(axis)];
      double sum = 0;
      for (std::int64_t j = 0; j < shape[static_cast<std::size_t>(axis)]; ++j) {
        const bool included =
            reverse ? (exclusive ? j > at : j >= at) : (exclusive ? j < at : j <= at);
        if (!included) continue;
        index[static_cast<std::size_t>(axis)] = j;
        sum += x.element_as_double(ravel(index, shape));
      }
      const double tolerance = dtype == DType::kFloat32 ? 1e-3 : 1e-9;
      ASSERT_NEAR(out[0].element_as_double(i), sum, tolerance) << what << " element " << i;
    }
  }
}

TEST(TensorCumSum, Float16AndErrors) {
  const std::vector<float> values = {1.0f, 2.5f, -0.5f, 4.0f};  // stored as float16
  ir::Node node = make_node("CumSum", 2);
  auto out = run_ok(node, 14, {Tensor::vector<float>(DType::kFloat16, values), i64(0)});
  ASSERT_EQ(out.size(), 1u);
  const float expected[] = {1.0f, 3.5f, 3.0f, 7.0f};
  for (std::int64_t i = 0; i < 4; ++i) EXPECT_EQ(out[0].element_as_double(i), expected[i]);
  EXPECT_FALSE(run_status(node, 14, {int64s({1, 2}), i64(1)}).is_ok());
  EXPECT_FALSE(run_status(node, 14, {int64s({1, 2}), int64s({0, 0})}).is_ok());
  EXPECT_FALSE(run_status(node, 14, {Tensor::zeros(DType::kBool, {2}), i64(0)}).is_ok());
}

// --- TopK ----------------------------------------------------------------------------------

TEST(TensorTopK, LargestAndSmallestWithTies) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype =
        seed % 3 == 0 ? DType::kInt64 : (seed % 3 == 1 ? DType::kFloat32 : DType::kFloat16);
    const int rank = 1 + static_cast<int>(rng() % 3);
    const Shape shape = random_shape(rng, rank, 6);
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(rank));
    const std::int64_t dim = shape[static_cast<std::size_t>(axis)];
    const std::int64_t k = static_cast<std::int64_t>(rng() % static_cast<unsigned>(dim + 1));
    const bool largest = seed % 2 == 0;
    // Few distinct values, so ties are common.
    Tensor x = Tensor::zeros(dtype, shape);
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      const int v = static_cast<int>(rng() % 5) - 2;
      if (dtype == DType::kInt64) x.data<std::int64_t>()[i] = v;
      if (dtype == DType::kFloat32) x.data<float>()[i] = static_cast<float>(v);
      if (dtype == DType::kFloat16)
        x.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(v));
    }
    ir::Node node = make_node("TopK", 2, 2);
    node.attributes.set("axis", std::int64_t{axis - (seed % 2 ? rank : 0)});
    node.attributes.set("largest", std::int64_t{largest});
    auto out = run_ok(node, 11, {x, int64s({k})});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 2u) << what;
    Shape expected_shape = shape;
    expected_shape[static_cast<std::size_t>(axis)] = k;
    ASSERT_EQ(out[0].shape(), expected_shape) << what;
    ASSERT_EQ(out[1].shape(), expected_shape) << what;
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, expected_shape);
      const std::int64_t rank_in_lane = index[static_cast<std::size_t>(axis)];
      // Reference: stable sort of the lane's positions by value.
      std::vector<std::int64_t> positions(static_cast<std::size_t>(dim));
      std::iota(positions.begin(), positions.end(), 0);
      auto value_at = [&](std::int64_t j) {
        index[static_cast<std::size_t>(axis)] = j;
        return x.element_as_double(ravel(index, shape));
      };
      std::stable_sort(positions.begin(), positions.end(), [&](std::int64_t a, std::int64_t b) {
        return largest ? value_at(a) > value_at(b) : value_at(a) < value_at(b);
      });
      const std::int64_t expected_index = positions[static_cast<std::size_t>(rank_in_lane)];
      ASSERT_EQ(out[1].data<std::int64_t>()[i], expected_index) << what << " element " << i;
      ASSERT_EQ(out[0].element_as_double(i), value_at(expected_index)) << what << " element " << i;
    }
  }
}

TEST(TensorTopK, AttributeKAndErrors) {
  const Tensor x = Tensor::vector<float>(DType::kFloat32, std::vector<float>{3, 1, 4, 1, 5});
  ir::Node old = make_node("TopK", 1, 2);
  old.attributes.set("k", std::int64_t{2});
  auto out = run_ok(old, 1, {x});
  ASSERT_EQ(out.size(), 2u);
  expect_same_tensor(out[1], int64s({4, 2}), "opset 1 indices");
  ir::Node node = make_node("TopK", 2, 2);
  EXPECT_FALSE(run_status(node, 11, {x, int64s({6})}).is_ok());
  EXPECT_FALSE(run_status(node, 11, {x, int64s({-1})}).is_ok());
  EXPECT_FALSE(run_status(node, 11, {x, int64s({1, 2})}).is_ok());
  EXPECT_FALSE(run_status(node, 11, {Tensor::zeros(DType::kBool, {3}), int64s({1})}).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
