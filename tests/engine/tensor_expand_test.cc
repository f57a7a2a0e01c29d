// Tests of the ops whose output shape comes from a value: Expand, Tile and ConstantOfShape,
// against index arithmetic written here, with hostile shape values.
#include <gtest/gtest.h>

#include <limits>

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

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

TEST(TensorExpand, BidirectionalBroadcastMatchesReference) {
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int out_rank = 1 + static_cast<int>(rng() % 4);
    const Shape target = random_shape(rng, out_rank, 4, seed % 10 == 0 ? 0 : 1);
    // Input: a suffix of the target with some dims set to 1; `shape`: the target with other
    // dims set to 1 and maybe fewer leading dims, so both sides broadcast.
    const int in_rank = static_cast<int>(rng() % static_cast<unsigned>(out_rank + 1));
    Shape in_shape(target.end() - in_rank, target.end());
    for (auto& d : in_shape)
      if (rng() % 3 == 0) d = 1;
    std::vector<std::int64_t> shape_value = target;
    for (int d = 0; d < out_rank; ++d) {
      const auto u = static_cast<std::size_t>(d);
      const int in_d = d - (out_rank - in_rank);
      if (in_d >= 0 && in_shape[static_cast<std::size_t>(in_d)] == target[u] && rng() % 2 == 0) {
        shape_value[u] = 1;
      }
    }
    const Tensor x = random_tensor(dtype, in_shape, rng);
    ir::Node node = make_node("Expand", 2);
    auto out = run_ok(node, 13, {x, int64s(shape_value)});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    ASSERT_EQ(out[0].shape(), target) << what << " input " << shape_to_string(in_shape) << " shape "
                                      << shape_to_string(shape_value);
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      const std::vector<std::int64_t> index = unravel(i, target);
      std::vector<std::int64_t> in_index(index.end() - in_rank, index.end());
      for (std::size_t d = 0; d < in_index.size(); ++d) {
        if (in_shape[d] == 1) in_index[d] = 0;
      }
      ASSERT_TRUE(same_element(out[0], i, x, ravel(in_index, in_shape)))
          << what << " element " << i;
    }
  }
}

TEST(TensorExpand, RejectsIncompatibleAndHostileShapes) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {3, 1});
  ir::Node node = make_node("Expand", 2);
  EXPECT_FALSE(run_status(node, 13, {x, int64s({2, 2})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {x, int64s({-1, 4})}).is_ok());
  Status st = run_status(node, 13, {x, int64s({kInt64Max, kInt64Max, 3, 4})});
  EXPECT_FALSE(st.is_ok());
  st = run_status(node, 13, {x, int64s({1 << 30, 1 << 30, 3, 4})});  // over the size limit
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("Expand"), std::string::npos) << st.to_string();
}

TEST(TensorTile, RandomRepeatsMatchReference) {
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = static_cast<int>(rng() % 4);
    const Shape shape = random_shape(rng, rank, 4, seed % 7 == 0 ? 0 : 1);
    std::vector<std::int64_t> repeats(shape.size());
    for (auto& r : repeats) r = static_cast<std::int64_t>(rng() % 4);  // 0 allowed
    const Tensor x = random_tensor(dtype, shape, rng);
    ir::Node node = make_node("Tile", 2);
    auto out = run_ok(node, 13, {x, seed % 2 ? int64s(repeats) : int32s(repeats)});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    Shape expected(shape.size());
    for (std::size_t d = 0; d < shape.size(); ++d) expected[d] = shape[d] * repeats[d];
    ASSERT_EQ(out[0].shape(), expected) << what;
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, expected);
      for (std::size_t d = 0; d < index.size(); ++d) index[d] %= shape[d];
      ASSERT_TRUE(same_element(out[0], i, x, ravel(index, shape))) << what << " element " << i;
    }
  }
}

TEST(TensorTile, RejectsBadRepeats) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {3, 2});
  ir::Node node = make_node("Tile", 2);
  EXPECT_FALSE(run_status(node, 13, {x, int64s({2})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {x, int64s({2, -1})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {x, int64s({kInt64Max, 2})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {x, int64s({1 << 20, 1 << 20})}).is_ok());
  const Tensor float_repeats = Tensor::vector<float>(DType::kFloat32, std::vector<float>{1, 1});
  EXPECT_FALSE(run_status(node, 13, {x, float_repeats}).is_ok());
}

TEST(TensorConstantOfShape, FillsWithTheValueAttribute) {
  ir::Node node = make_node("ConstantOfShape", 1);
  auto out = run_ok(node, 9, {int64s({2, 3})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], Tensor::zeros(DType::kFloat32, {2, 3}), "default");

  node.attributes.set("value",
                      Tensor::vector<std::int32_t>(DType::kInt32, std::vector<std::int32_t>{-7}));
  out = run_ok(node, 9, {int64s({4, 0})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{4, 0}));
  EXPECT_EQ(out[0].dtype(), DType::kInt32);
  out = run_ok(node, 9, {int64s({3})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(
      out[0], Tensor::vector<std::int32_t>(DType::kInt32, std::vector<std::int32_t>{-7, -7, -7}),
      "int32");

  const std::uint16_t half = float_to_half(1.5f);
  node.attributes.set("value", Tensor::vector<float>(DType::kFloat16, std::vector<float>{1.5f}));
  out = run_ok(node, 9, {int64s({})});  // empty shape: a scalar
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), Shape{});
  EXPECT_EQ(out[0].data<std::uint16_t>()[0], half);

  Tensor yes = Tensor::zeros(DType::kBool, {1});
  yes.data<bool>()[0] = true;
  node.attributes.set("value", yes);
  out = run_ok(node, 9, {int64s({2})});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].dtype(), DType::kBool);
  EXPECT_TRUE(out[0].data<bool>()[0] && out[0].data<bool>()[1]);
}

TEST(TensorConstantOfShape, RejectsHostileShapes) {
  ir::Node node = make_node("ConstantOfShape", 1);
  EXPECT_FALSE(run_status(node, 9, {int64s({2, -3})}).is_ok());
  EXPECT_FALSE(run_status(node, 9, {int64s({kInt64Max, kInt64Max})}).is_ok());
  Status st = run_status(node, 9, {int64s({1 << 20, 1 << 20, 1 << 20})});
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("ConstantOfShape"), std::string::npos) << st.to_string();
  const Tensor float_shape = Tensor::vector<float>(DType::kFloat32, std::vector<float>{2});
  EXPECT_FALSE(run_status(node, 9, {float_shape}).is_ok());
  node.attributes.set("value", int64s({1, 2}));
  EXPECT_FALSE(run_status(node, 9, {int64s({2})}).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
