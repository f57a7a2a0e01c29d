// Tests of Gather against index arithmetic written here, including its run-time index checks.
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

TEST(TensorGather, RandomAxesAndIndicesMatchReference) {
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = 1 + static_cast<int>(rng() % 4);
    const Shape shape = random_shape(rng, rank, 5);
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(rank));
    const std::int64_t dim = shape[static_cast<std::size_t>(axis)];
    const Tensor data = random_tensor(dtype, shape, rng);
    // Indices of rank 0 to 2, any value in [-dim, dim).
    const Shape index_shape =
        random_shape(rng, static_cast<int>(rng() % 3), 3, seed % 9 == 0 ? 0 : 1);
    std::vector<std::int64_t> values(static_cast<std::size_t>(element_count(index_shape)));
    for (auto& v : values)
      v = static_cast<std::int64_t>(rng() % static_cast<unsigned>(2 * dim)) - dim;
    const Tensor indices = (seed % 2 == 0 ? int64s(values) : int32s(values)).reshaped(index_shape);

    ir::Node node = make_node("Gather", 2);
    node.attributes.set("axis", std::int64_t{seed % 3 == 0 ? axis - rank : axis});
    auto out = run_ok(node, 13, {data, indices});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    Shape expected(shape.begin(), shape.begin() + axis);
    expected.insert(expected.end(), index_shape.begin(), index_shape.end());
    expected.insert(expected.end(), shape.begin() + axis + 1, shape.end());
    ASSERT_EQ(out[0].shape(), expected) << what;
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      const std::vector<std::int64_t> out_index = unravel(i, expected);
      // out[a..., j..., b...] = data[a..., indices[j...], b...]
      std::vector<std::int64_t> j(
          out_index.begin() + axis,
          out_index.begin() + axis + static_cast<std::ptrdiff_t>(index_shape.size()));
      std::int64_t position = values[static_cast<std::size_t>(ravel(j, index_shape))];
      if (position < 0) position += dim;
      std::vector<std::int64_t> in_index(out_index.begin(), out_index.begin() + axis);
      in_index.push_back(position);
      in_index.insert(in_index.end(),
                      out_index.begin() + axis + static_cast<std::ptrdiff_t>(index_shape.size()),
                      out_index.end());
      ASSERT_EQ(in_index.size(), shape.size());
      ASSERT_TRUE(same_element(out[0], i, data, ravel(in_index, shape)))
          << what << " element " << i;
    }
  }
}

TEST(TensorGather, ScalarIndexDropsTheAxis) {
  const Tensor data = int64s({10, 11, 12, 13, 14, 15}).reshaped({2, 3});
  ir::Node node = make_node("Gather", 2);
  node.attributes.set("axis", std::int64_t{1});
  auto out = run_ok(node, 13, {data, Tensor::scalar<std::int64_t>(DType::kInt64, -1)});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({12, 15}), "scalar index");
}

TEST(TensorGather, OutOfRangeIndexIsAnErrorAtRun) {
  const Tensor data = Tensor::zeros(DType::kFloat32, {3, 4});
  ir::Node node = make_node("Gather", 2);
  for (std::int64_t bad :
       {std::int64_t{3}, std::int64_t{-4}, std::numeric_limits<std::int64_t>::max(),
        std::numeric_limits<std::int64_t>::min()}) {
    Status st = run_status(node, 13, {data, int64s({0, bad})});
    EXPECT_EQ(st.code(), StatusCode::kOutOfRange) << bad << ": " << st.to_string();
  }
  EXPECT_FALSE(run_status(node, 13, {data, int32s({-5})}).is_ok());
  // Nothing to gather from an empty axis.
  EXPECT_FALSE(run_status(node, 13, {Tensor::zeros(DType::kFloat32, {0, 4}), int64s({0})}).is_ok());
  // An empty index list on an empty axis is fine.
  auto out = run_ok(node, 13, {Tensor::zeros(DType::kFloat32, {0, 4}), int64s({})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{0, 4}));
}

TEST(TensorGather, RejectsBadAttributesAndTypes) {
  const Tensor data = Tensor::zeros(DType::kFloat32, {3, 4});
  ir::Node node = make_node("Gather", 2);
  node.attributes.set("axis", std::int64_t{2});
  EXPECT_FALSE(run_status(node, 13, {data, int64s({0})}).is_ok());
  node.attributes.set("axis", std::int64_t{-3});
  EXPECT_FALSE(run_status(node, 13, {data, int64s({0})}).is_ok());
  ir::Node plain = make_node("Gather", 2);
  const Tensor float_indices = Tensor::vector<float>(DType::kFloat32, std::vector<float>{0.0f});
  EXPECT_FALSE(run_status(plain, 13, {data, float_indices}).is_ok());
  EXPECT_FALSE(
      run_status(plain, 13, {Tensor::scalar<float>(DType::kFloat32, 1.0f), int64s({0})}).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
