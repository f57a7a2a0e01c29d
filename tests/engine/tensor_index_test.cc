// Tests of the index-driven tensor ops (GatherElements, GatherND, ScatterElements, Scatter,
// ScatterND, OneHot, NonZero, Compress, ReverseSequence) against references written here.
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

Tensor floats(std::vector<float> values, Shape shape) {
  return Tensor::vector<float>(DType::kFloat32, values).reshaped(std::move(shape));
}

// Random indices in [-dim, dim) for each element of `shape`.
std::vector<std::int64_t> random_indices(std::mt19937& rng, std::int64_t count, std::int64_t dim) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = static_cast<std::int64_t>(rng() % static_cast<unsigned>(2 * dim)) - dim;
  return v;
}

// --- GatherElements -------------------------------------------------------------------------

TEST(TensorGatherElements, RandomCasesMatchReference) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = 1 + static_cast<int>(rng() % 3);
    const Shape shape = random_shape(rng, rank, 4);
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(rank));
    Shape index_shape = shape;
    for (std::size_t d = 0; d < index_shape.size(); ++d) {
      index_shape[d] = static_cast<int>(d) == axis
                           ? 1 + static_cast<std::int64_t>(rng() % 5)
                           : 1 + static_cast<std::int64_t>(rng() % static_cast<unsigned>(shape[d]));
    }
    const std::int64_t dim = shape[static_cast<std::size_t>(axis)];
    const std::vector<std::int64_t> values = random_indices(rng, element_count(index_shape), dim);
    const Tensor data = random_tensor(dtype, shape, rng);
    ir::Node node = make_node("GatherElements", 2);
    node.attributes.set("axis", std::int64_t{seed % 2 ? axis : axis - rank});
    const Tensor indices = (seed % 3 ? int64s(values) : int32s(values)).reshaped(index_shape);
    auto out = run_ok(node, 13, {data, indices});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    ASSERT_EQ(out[0].shape(), index_shape) << what;
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, index_shape);
      std::int64_t p = values[static_cast<std::size_t>(i)];
      index[static_cast<std::size_t>(axis)] = p < 0 ? p + dim : p;
      ASSERT_TRUE(same_element(out[0], i, data, ravel(index, shape))) << what << " element " << i;
    }
  }
}

TEST(TensorGatherElements, RejectsBadIndices) {
  const Tensor data = Tensor::zeros(DType::kFloat32, {2, 3});
  ir::Node node = make_node("GatherElements", 2);
  node.attributes.set("axis", std::int64_t{1});
  EXPECT_EQ(run_status(node, 13, {data, int64s({3}).reshaped({1, 1})}).code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(run_status(node, 13, {data, int64s({-4}).reshaped({1, 1})}).code(),
            StatusCode::kOutOfRange);
  EXPECT_FALSE(run_status(node, 13, {data, int64s({0, 0, 0})}).is_ok());  // rank differs
  EXPECT_FALSE(run_status(node, 13, {data, int64s({0, 0, 0}).reshaped({3, 1})}).is_ok());
  node.attributes.set("axis", std::int64_t{2});
  EXPECT_FALSE(run_status(node, 13, {data, int64s({0}).reshaped({1, 1})}).is_ok());
}

// --- GatherND -----------------------------------------------------------------------------

TEST(TensorGatherND, SpecExamplesAndBatchDims) {
  // The ONNX spec's examples.
  ir::Node node = make_node("GatherND", 2);
  auto out = run_ok(node, 13,
                    {int64s({0, 1, 2, 3}).reshaped({2, 2}), int64s({0, 0, 1, 1}).reshaped({2, 2})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({0, 3}), "example 1");
  out = run_ok(node, 13, {int64s({0, 1, 2, 3}).reshaped({2, 2}), int64s({1, 0}).reshaped({2, 1})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({2, 3, 0, 1}).reshaped({2, 2}), "example 2");
  const Tensor cube = int64s({0, 1, 2, 3, 4, 5, 6, 7}).reshaped({2, 2, 2});
  out = run_ok(node, 13, {cube, int64s({0, 1, -1, 0}).reshaped({2, 1, 2})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({2, 3, 4, 5}).reshaped({2, 1, 2}), "example 4 (negative)");
  ir::Node batched = make_node("GatherND", 2);
  batched.attributes.set("batch_dims", std::int64_t{1});
  out = run_ok(batched, 13, {cube, int64s({1, 0}).reshaped({2, 1})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({2, 3, 4, 5}).reshaped({2, 2}), "example 5 (batch_dims)");
}

TEST(TensorGatherND, RandomCasesMatchReference) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = 1 + static_cast<int>(rng() % 4);
    const Shape shape = random_shape(rng, rank, 4);
    const std::size_t m = 1 + rng() % static_cast<unsigned>(rank);
    Shape index_shape = random_shape(rng, static_cast<int>(rng() % 3), 3);
    index_shape.push_back(static_cast<std::int64_t>(m));
    const std::int64_t tuples = element_count(index_shape) / static_cast<std::int64_t>(m);
    std::vector<std::int64_t> values;
    for (std::int64_t t = 0; t < tuples; ++t) {
      for (std::size_t j = 0; j < m; ++j) values.push_back(random_indices(rng, 1, shape[j])[0]);
    }
    const Tensor data = random_tensor(dtype, shape, rng);
    auto out = run_ok(make_node("GatherND", 2), 13, {data, int64s(values).reshaped(index_shape)});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    Shape expected(index_shape.begin(), index_shape.end() - 1);
    expected.insert(expected.end(), shape.begin() + static_cast<std::ptrdiff_t>(m), shape.end());
    ASSERT_EQ(out[0].shape(), expected) << what;
    const Shape slice_shape(shape.begin() + static_cast<std::ptrdiff_t>(m), shape.end());
    const std::int64_t slice = element_count(slice_shape);
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      const std::int64_t t = i / slice;
      std::vector<std::int64_t> index = unravel(i % slice, slice_shape);
      for (std::size_t j = m; j-- > 0;) {
        const std::int64_t p = values[static_cast<std::size_t>(t) * m + j];
        index.insert(index.begin(), p < 0 ? p + shape[j] : p);
      }
      ASSERT_TRUE(same_element(out[0], i, data, ravel(index, shape))) << what << " element " << i;
    }
  }
}

TEST(TensorGatherND, RejectsBadIndices) {
  const Tensor data = Tensor::zeros(DType::kFloat32, {2, 3});
  ir::Node node = make_node("GatherND", 2);
  EXPECT_EQ(run_status(node, 13, {data, int64s({1, 3}).reshaped({1, 2})}).code(),
            StatusCode::kOutOfRange);
  EXPECT_FALSE(run_status(node, 13, {data, int64s({0, 0, 0}).reshaped({1, 3})}).is_ok());
  ir::Node batched = make_node("GatherND", 2);
  batched.attributes.set("batch_dims", std::int64_t{2});
  EXPECT_FALSE(run_status(batched, 13, {data, int64s({0, 0}).reshaped({2, 1})}).is_ok());
}

// --- ScatterElements, Scatter, ScatterND -----------------------------------------------------

TEST(TensorScatterElements, RandomCasesMatchReference) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = seed % 2 ? DType::kFloat32 : DType::kInt64;
    const int rank = 1 + static_cast<int>(rng() % 3);
    const Shape shape = random_shape(rng, rank, 4);
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(rank));
    Shape index_shape = shape;
    for (auto& d : index_shape) d = 1 + static_cast<std::int64_t>(rng() % static_cast<unsigned>(d));
    const std::int64_t dim = shape[static_cast<std::size_t>(axis)];
    const std::vector<std::int64_t> values = random_indices(rng, element_count(index_shape), dim);
    const Tensor data = random_tensor(dtype, shape, rng);
    const Tensor updates = random_tensor(dtype, index_shape, rng);
    const char* reduction = seed % 3 == 0 ? "add" : (seed % 3 == 1 ? "none" : "max");
    ir::Node node = make_node("ScatterElements", 3);
    node.attributes.set("axis", std::int64_t{axis - (seed % 2 ? rank : 0)});
    node.attributes.set("reduction", std::string(reduction));
    auto out = run_ok(node, 18, {data, int64s(values).reshaped(index_shape), updates});
    const std::string what = "seed " + std::to_string(seed) + " " + reduction;
    ASSERT_EQ(out.size(), 1u) << what;

    Tensor expected = data.clone();
    for (std::int64_t i = 0; i < updates.element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, index_shape);
      const std::int64_t p = values[static_cast<std::size_t>(i)];
      index[static_cast<std::size_t>(axis)] = p < 0 ? p + dim : p;
      const std::int64_t target = ravel(index, shape);
      if (dtype == DType::kFloat32) {
        float& t = expected.data<float>()[target];
        const float u = updates.data<float>()[i];
        t = reduction[0] == 'a' ? t + u : reduction[0] == 'm' ? std::max(t, u) : u;
      } else {
        std::int64_t& t = expected.data<std::int64_t>()[target];
        const std::int64_t u = updates.data<std::int64_t>()[i];
        t = reduction[0] == 'a'   ? static_cast<std::int64_t>(static_cast<std::uint64_t>(t) +
                                                            static_cast<std::uint64_t>(u))
            : reduction[0] == 'm' ? std::max(t, u)
                                  : u;
      }
    }
    expect_same_tensor(out[0], expected, what);
  }
}

TEST(TensorScatterElements, DeprecatedScatterAndErrors) {
  // The ONNX spec example for Scatter / ScatterElements with axis 1.
  const Tensor data = floats({1, 2, 3, 4, 5}, {1, 5});
  const Tensor indices = int64s({1, 3}).reshaped({1, 2});
  const Tensor updates = floats({1.1f, 2.1f}, {1, 2});
  ir::Node scatter = make_node("Scatter", 3);
  scatter.attributes.set("axis", std::int64_t{1});
  auto out = run_ok(scatter, 10, {data, indices, updates});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], floats({1, 1.1f, 3, 2.1f, 5}, {1, 5}), "Scatter");

  ir::Node node = make_node("ScatterElements", 3);
  node.attributes.set("axis", std::int64_t{1});
  EXPECT_EQ(run_status(node, 13, {data, int64s({1, 5}).reshaped({1, 2}), updates}).code(),
            StatusCode::kOutOfRange);
  EXPECT_FALSE(run_status(node, 13, {data, indices, floats({1, 2, 3}, {1, 3})}).is_ok());
  node.attributes.set("reduction", std::string("add"));
  EXPECT_FALSE(run_status(node, 13, {data, indices, updates}).is_ok());  // add needs opset 16
  EXPECT_TRUE(run_status(node, 16, {data, indices, updates}).is_ok());
  node.attributes.set("reduction", std::string("max"));
  EXPECT_FALSE(run_status(node, 16, {data, indices, updates}).is_ok());  // max needs opset 18
  node.attributes.set("reduction", std::string("sum"));
  EXPECT_FALSE(run_status(node, 18, {data, indices, updates}).is_ok());
}

TEST(TensorScatterND, SpecExamplesWithReductions) {
  // Example 1 of the spec: data [1..8], indices [[4],[3],[1],[7]].
  const Tensor data = floats({1, 2, 3, 4, 5, 6, 7, 8}, {8});
  const Tensor indices = int64s({4, 3, 1, 7}).reshaped({4, 1});
  const Tensor updates = floats({9, 10, 11, 12}, {4});
  ir::Node node = make_node("ScatterND", 3);
  auto out = run_ok(node, 13, {data, indices, updates});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], floats({1, 11, 3, 10, 9, 6, 7, 12}, {8}), "none");
  node.attributes.set("reduction", std::string("mul"));
  out = run_ok(node, 16, {data, int64s({4, -4, 4}).reshaped({3, 1}), floats({2, 3, 10}, {3})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], floats({1, 2, 3, 4, 300, 6, 7, 8}, {8}), "mul, repeated index");

  // Slices: data [2, 2, 2], replace data[1] and then data[0][1].
  const Tensor cube = int64s({0, 1, 2, 3, 4, 5, 6, 7}).reshaped({2, 2, 2});
  ir::Node plain = make_node("ScatterND", 3);
  out = run_ok(plain, 13,
               {cube, int64s({1}).reshaped({1, 1}), int64s({9, 9, 9, 9}).reshaped({1, 2, 2})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({0, 1, 2, 3, 9, 9, 9, 9}).reshaped({2, 2, 2}), "slice");
  EXPECT_EQ(
      run_status(plain, 13,
                 {cube, int64s({2}).reshaped({1, 1}), int64s({9, 9, 9, 9}).reshaped({1, 2, 2})})
          .code(),
      StatusCode::kOutOfRange);
  EXPECT_FALSE(
      run_status(plain, 13, {cube, int64s({1}).reshaped({1, 1}), int64s({9, 9}).reshaped({1, 2})})
          .is_ok());
}

// --- OneHot, NonZero, Compress, ReverseSequence ----------------------------------------------

TEST(TensorOneHot, AxesDepthsAndNegativeIndices) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    const std::int64_t depth = 1 + static_cast<std::int64_t>(rng() % 5);
    const Shape index_shape = random_shape(rng, static_cast<int>(rng() % 3), 3);
    // Indices in [-depth - 2, depth + 2): some outside the range give all-off rows.
    std::vector<std::int64_t> values(static_cast<std::size_t>(element_count(index_shape)));
    for (auto& v : values)
      v = static_cast<std::int64_t>(rng() % static_cast<unsigned>(2 * depth + 4)) - depth - 2;
    const int out_rank = static_cast<int>(index_shape.size()) + 1;
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(out_rank));
    ir::Node node = make_node("OneHot", 3);
    node.attributes.set("axis", std::int64_t{seed % 2 ? axis : axis - out_rank});
    const Tensor on_off = int32s({-3, 8});
    auto out = run_ok(node, 11,
                      {int64s(values).reshaped(index_shape),
                       Tensor::scalar<float>(DType::kFloat32, static_cast<float>(depth)), on_off});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    Shape expected = index_shape;
    expected.insert(expected.begin() + axis, depth);
    ASSERT_EQ(out[0].shape(), expected) << what;
    ASSERT_EQ(out[0].dtype(), DType::kInt32) << what;
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, expected);
      const std::int64_t k = index[static_cast<std::size_t>(axis)];
      index.erase(index.begin() + axis);
      std::int64_t v = values[static_cast<std::size_t>(ravel(index, index_shape))];
      if (v < 0) v += depth;
      ASSERT_EQ(out[0].data<std::int32_t>()[i], v == k ? 8 : -3) << what << " element " << i;
    }
  }
  ir::Node node = make_node("OneHot", 3);
  EXPECT_FALSE(run_status(node, 11, {int64s({0}), int64s({0}), int64s({0, 1})}).is_ok());
  EXPECT_FALSE(run_status(node, 11, {int64s({0}), int64s({3}), int64s({0, 1, 2})}).is_ok());
  node.attributes.set("axis", std::int64_t{2});
  EXPECT_FALSE(run_status(node, 11, {int64s({0}), int64s({3}), int64s({0, 1})}).is_ok());
}

TEST(TensorNonZero, CoordinatesInRowMajorOrder) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const Shape shape = random_shape(rng, 1 + static_cast<int>(rng() % 3), 4);
    Tensor x = random_tensor(dtype, shape, rng);
    // Zero out about half of the elements (all bytes zero is 0 in every dtype).
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      if (rng() % 2) {
        std::memset(static_cast<std::byte*>(x.raw_data()) +
                        i * static_cast<std::int64_t>(dtype_size(dtype)),
                    0, dtype_size(dtype));
      }
    }
    std::vector<std::int64_t> nonzero;
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      if (x.element_as_double(i) != 0) nonzero.push_back(i);
    }
    auto out = run_ok(make_node("NonZero", 1), 13, {x});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    const auto count = static_cast<std::int64_t>(nonzero.size());
    ASSERT_EQ(out[0].shape(), (Shape{static_cast<std::int64_t>(shape.size()), count})) << what;
    for (std::int64_t k = 0; k < count; ++k) {
      const std::vector<std::int64_t> index = unravel(nonzero[static_cast<std::size_t>(k)], shape);
      for (std::size_t d = 0; d < shape.size(); ++d) {
        ASSERT_EQ(out[0].data<std::int64_t>()[static_cast<std::int64_t>(d) * count + k], index[d])
            << what;
      }
    }
  }
  // -0.0 is zero, NaN is not.
  const Tensor special = floats({-0.0f, std::numeric_limits<float>::quiet_NaN(), 0.0f}, {3});
  auto out = run_ok(make_node("NonZero", 1), 13, {special});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({1}).reshaped({1, 1}), "signed zero and NaN");
}

TEST(TensorCompress, AxesAndFlattenedInput) {
  const Tensor x = floats({1, 2, 3, 4, 5, 6}, {3, 2});
  auto condition = [](std::vector<bool> v) {
    Tensor t = Tensor::zeros(DType::kBool, {static_cast<std::int64_t>(v.size())});
    for (std::size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
    return t;
  };
  ir::Node node = make_node("Compress", 2);
  node.attributes.set("axis", std::int64_t{0});
  auto out = run_ok(node, 11, {x, condition({false, true, true})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], floats({3, 4, 5, 6}, {2, 2}), "axis 0");
  node.attributes.set("axis", std::int64_t{-1});
  out = run_ok(node, 11, {x, condition({false, true})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], floats({2, 4, 6}, {3, 1}), "axis -1");
  out = run_ok(node, 11, {x, condition({true})});  // shorter than the axis
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], floats({1, 3, 5}, {3, 1}), "short condition");
  ir::Node flat = make_node("Compress", 2);
  out = run_ok(flat, 11, {x, condition({false, true, false, false, true})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], floats({2, 5}, {2}), "flattened");
  EXPECT_FALSE(run_status(node, 11, {x, condition({false, false, true})}).is_ok());  // beyond
  EXPECT_FALSE(run_status(node, 11, {x, int64s({1, 0})}).is_ok());
}

TEST(TensorReverseSequence, BatchAndTimeMajor) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    const bool batch_first = seed % 2 == 0;
    Shape shape = random_shape(rng, 2 + static_cast<int>(rng() % 2), 4);
    const std::int64_t batch = shape[batch_first ? 0 : 1];
    const std::int64_t steps = shape[batch_first ? 1 : 0];
    std::vector<std::int64_t> lengths(static_cast<std::size_t>(batch));
    for (auto& l : lengths) l = static_cast<std::int64_t>(rng() % static_cast<unsigned>(steps + 1));
    const Tensor x = random_tensor(DType::kFloat16, shape, rng);
    ir::Node node = make_node("ReverseSequence", 2);
    node.attributes.set("batch_axis", std::int64_t{batch_first ? 0 : 1});
    node.attributes.set("time_axis", std::int64_t{batch_first ? 1 : 0});
    auto out = run_ok(node, 10, {x, int64s(lengths)});
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_EQ(out.size(), 1u) << what;
    ASSERT_EQ(out[0].shape(), shape) << what;
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, shape);
      const std::int64_t b = index[batch_first ? 0 : 1];
      std::int64_t& t = index[batch_first ? 1 : 0];
      const std::int64_t length = lengths[static_cast<std::size_t>(b)];
      if (t < length) t = length - 1 - t;
      ASSERT_TRUE(same_element(out[0], i, x, ravel(index, shape))) << what << " element " << i;
    }
  }
  ir::Node node = make_node("ReverseSequence", 2);
  const Tensor x = Tensor::zeros(DType::kFloat32, {3, 2});  // time 3, batch 2
  EXPECT_EQ(run_status(node, 10, {x, int64s({4, 1})}).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(run_status(node, 10, {x, int64s({-1, 1})}).code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(run_status(node, 10, {x, int64s({1, 1, 1})}).is_ok());
  node.attributes.set("batch_axis", std::int64_t{0});
  EXPECT_FALSE(run_status(node, 10, {x, int64s({1, 1, 1})}).is_ok());  // both axes 0
}

}  // namespace
}  // namespace edgebench::engine
