// Tests of the tensor family's shape ops: Concat, Split, Reshape, Flatten, Transpose, Squeeze,
// Unsqueeze, Shape, Size. Each kernel is compared with index arithmetic written here.
#include <gtest/gtest.h>

#include <algorithm>
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

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// --- Concat -------------------------------------------------------------------------------

TEST(TensorConcat, MatchesIndexReferenceOnRandomShapes) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = 1 + static_cast<int>(rng() % 4);
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(rank));
    const std::int64_t axis_attr = (seed % 2 == 0) ? axis - rank : axis;  // negative half the time
    const Shape base = random_shape(rng, rank, 4);
    const std::size_t count = 1 + rng() % 3;
    std::vector<Tensor> inputs;
    std::vector<std::int64_t> offsets;  // first output position along axis of each input
    std::int64_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
      Shape s = base;
      s[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(rng() % 4);  // 0 allowed
      offsets.push_back(total);
      total += s[static_cast<std::size_t>(axis)];
      inputs.push_back(random_tensor(dtype, s, rng));
    }
    ir::Node node = make_node("Concat", count);
    node.attributes.set("axis", axis_attr);
    auto out = run_ok(node, 13, inputs);
    ASSERT_EQ(out.size(), 1u) << "seed " << seed;
    Shape expected_shape = base;
    expected_shape[static_cast<std::size_t>(axis)] = total;
    ASSERT_EQ(out[0].shape(), expected_shape) << "seed " << seed;
    ASSERT_EQ(out[0].dtype(), dtype) << "seed " << seed;
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, expected_shape);
      std::size_t k = count - 1;
      while (index[static_cast<std::size_t>(axis)] < offsets[k]) --k;
      index[static_cast<std::size_t>(axis)] -= offsets[k];
      ASSERT_TRUE(same_element(out[0], i, inputs[k], ravel(index, inputs[k].shape())))
          << "seed " << seed << " element " << i;
    }
  }
}

TEST(TensorConcat, RejectsBadInputs) {
  ir::Node node = make_node("Concat", 2);
  node.attributes.set("axis", std::int64_t{0});
  const Tensor a = Tensor::zeros(DType::kFloat32, {2, 3});
  EXPECT_FALSE(run_status(node, 13, {a, Tensor::zeros(DType::kFloat32, {2, 4})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {a, Tensor::zeros(DType::kInt64, {2, 3})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {a, Tensor::zeros(DType::kFloat32, {2, 3, 1})}).is_ok());
  node.attributes.set("axis", std::int64_t{2});
  EXPECT_FALSE(run_status(node, 13, {a, a}).is_ok());
  ir::Node no_axis = make_node("Concat", 2);
  EXPECT_FALSE(run_status(no_axis, 13, {a, a}).is_ok());
  // Before opset 4 the axis defaults to 1.
  auto old = run_ok(no_axis, 1, {a, a});
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].shape(), (Shape{2, 6}));
  EXPECT_FALSE(run_status(node, 13, {Tensor::scalar<float>(DType::kFloat32, 1.0f)}).is_ok());
}

// --- Split --------------------------------------------------------------------------------

// Checks that outputs are consecutive pieces of x along axis with the given sizes.
void expect_split_parts(const Tensor& x, int axis, const std::vector<Tensor>& parts,
                        const std::vector<std::int64_t>& sizes, const std::string& what) {
  ASSERT_EQ(parts.size(), sizes.size()) << what;
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    Shape expected = x.shape();
    expected[static_cast<std::size_t>(axis)] = sizes[k];
    ASSERT_EQ(parts[k].shape(), expected) << what << " part " << k;
    for (std::int64_t i = 0; i < parts[k].element_count(); ++i) {
      std::vector<std::int64_t> index = unravel(i, expected);
      index[static_cast<std::size_t>(axis)] += offset;
      ASSERT_TRUE(same_element(parts[k], i, x, ravel(index, x.shape())))
          << what << " part " << k << " element " << i;
    }
    offset += sizes[k];
  }
}

TEST(TensorSplit, VariablePartsFromInputAndAttribute) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = 1 + static_cast<int>(rng() % 4);
    const int axis = static_cast<int>(rng() % static_cast<unsigned>(rank));
    const std::size_t parts = 1 + rng() % 4;
    std::vector<std::int64_t> sizes(parts);
    for (auto& s : sizes) s = static_cast<std::int64_t>(rng() % 4);
    Shape shape = random_shape(rng, rank, 3);
    shape[static_cast<std::size_t>(axis)] =
        std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
    const Tensor x = random_tensor(dtype, shape, rng);
    const std::string what = "seed " + std::to_string(seed);

    ir::Node with_input = make_node("Split", 2, parts);
    with_input.attributes.set("axis", std::int64_t{axis - rank});
    expect_split_parts(x, axis, run_ok(with_input, 13, {x, int64s(sizes)}), sizes, what);

    ir::Node with_attr = make_node("Split", 1, parts);
    with_attr.attributes.set("axis", std::int64_t{axis});
    with_attr.attributes.set("split", sizes);
    expect_split_parts(x, axis, run_ok(with_attr, 11, {x}), sizes, what + " (opset 11)");
  }
}

TEST(TensorSplit, EqualPartsAndNumOutputs) {
  std::mt19937 rng(7);
  const Tensor x = random_tensor(DType::kFloat16, {2, 6, 3}, rng);
  ir::Node node = make_node("Split", 1, 3);
  node.attributes.set("axis", std::int64_t{1});
  expect_split_parts(x, 1, run_ok(node, 13, {x}), {2, 2, 2}, "equal");

  // Opset 18: ceil(7 / 3) = 3, so parts of 3, 3 and 1.
  const Tensor y = random_tensor(DType::kBool, {7}, rng);
  ir::Node n18 = make_node("Split", 1, 3);
  n18.attributes.set("num_outputs", std::int64_t{3});
  expect_split_parts(y, 0, run_ok(n18, 18, {y}), {3, 3, 1}, "num_outputs");

  // Zero-length input split into zero-length parts.
  const Tensor empty = Tensor::zeros(DType::kFloat32, {0});
  ir::Node zero = make_node("Split", 2, 3);
  expect_split_parts(empty, 0, run_ok(zero, 13, {empty, int64s({0, 0, 0})}), {0, 0, 0}, "empty");
}

TEST(TensorSplit, RejectsBadSizes) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {2, 6});
  ir::Node node = make_node("Split", 2, 2);
  node.attributes.set("axis", std::int64_t{1});
  EXPECT_FALSE(run_status(node, 13, {x, int64s({2, 3})}).is_ok());          // sum 5 != 6
  EXPECT_FALSE(run_status(node, 13, {x, int64s({7, -1})}).is_ok());         // negative
  EXPECT_FALSE(run_status(node, 13, {x, int64s({6})}).is_ok());             // count
  EXPECT_FALSE(run_status(node, 13, {x, int64s({kInt64Max, 7})}).is_ok());  // overflow
  ir::Node equal = make_node("Split", 1, 4);
  equal.attributes.set("axis", std::int64_t{1});
  EXPECT_FALSE(run_status(equal, 13, {x}).is_ok());  // 6 is not divisible by 4
  equal.attributes.set("axis", std::int64_t{2});
  EXPECT_FALSE(run_status(equal, 13, {x}).is_ok());
  ir::Node n18 = make_node("Split", 1, 3);
  n18.attributes.set("num_outputs", std::int64_t{2});  // does not match 3 outputs
  EXPECT_FALSE(run_status(n18, 18, {x}).is_ok());
}

// --- Reshape and Flatten -------------------------------------------------------------------

TEST(TensorReshape, ZeroCopiesAndMinusOneInfers) {
  std::mt19937 rng(11);
  const Tensor x = random_tensor(DType::kInt64, {2, 3, 4}, rng);
  ir::Node node = make_node("Reshape", 2);
  struct Case {
    std::vector<std::int64_t> shape;
    Shape expected;
  };
  for (const Case& c :
       {Case{{0, -1}, {2, 12}}, Case{{-1, 0, 2}, {4, 3, 2}}, Case{{24}, {24}},
        Case{{0, 0, 4, 1}, {2, 3, 4, 1}}, Case{{-1}, {24}}, Case{{4, 0, -1}, {4, 3, 2}}}) {
    auto out = run_ok(node, 14, {x, int64s(c.shape)});
    ASSERT_EQ(out.size(), 1u);
    expect_same_tensor(out[0], x.reshaped(c.expected), "shape " + shape_to_string(c.shape));
  }
  // int32 shape values are accepted too.
  auto out = run_ok(node, 13, {x, int32s({6, -1})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{6, 4}));
}

TEST(TensorReshape, AllowZeroKeepsZeroLengthDims) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {0, 3, 4});
  ir::Node node = make_node("Reshape", 2);
  node.attributes.set("allowzero", std::int64_t{1});
  auto out = run_ok(node, 14, {x, int64s({3, 4, 0})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{3, 4, 0}));
  EXPECT_FALSE(run_status(node, 14, {x, int64s({0, -1})}).is_ok());  // 0 and -1 together
  // Without allowzero the 0 copies the input's dim.
  ir::Node plain = make_node("Reshape", 2);
  out = run_ok(plain, 14, {x, int64s({0, 12})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{0, 12}));
}

TEST(TensorReshape, RejectsBadShapes) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {2, 3, 4});
  ir::Node node = make_node("Reshape", 2);
  EXPECT_FALSE(run_status(node, 14, {x, int64s({-1, -1})}).is_ok());
  EXPECT_FALSE(run_status(node, 14, {x, int64s({5, -1})}).is_ok());
  EXPECT_FALSE(run_status(node, 14, {x, int64s({2, 3, 5})}).is_ok());
  EXPECT_FALSE(run_status(node, 14, {x, int64s({-2, 12})}).is_ok());
  EXPECT_FALSE(run_status(node, 14, {x, int64s({0, 0, 0, 0})}).is_ok());  // 0 beyond rank
  EXPECT_FALSE(run_status(node, 14, {x, int64s({kInt64Max, kInt64Max, -1})}).is_ok());
  EXPECT_FALSE(run_status(node, 14, {x, int64s({kInt64Max, 2})}).is_ok());
  Tensor float_shape = Tensor::vector<float>(DType::kFloat32, std::vector<float>{24.0f});
  EXPECT_FALSE(run_status(node, 14, {x, float_shape}).is_ok());
}

TEST(TensorFlatten, AllAxesIncludingNegative) {
  std::mt19937 rng(5);
  const Tensor x = random_tensor(DType::kFloat16, {2, 3, 4, 5}, rng);
  ir::Node node = make_node("Flatten", 1);
  const Shape expected[] = {{1, 120}, {2, 60}, {6, 20}, {24, 5}, {120, 1}};
  for (std::int64_t axis = -4; axis <= 4; ++axis) {
    node.attributes.set("axis", axis);
    auto out = run_ok(node, 13, {x});
    ASSERT_EQ(out.size(), 1u) << "axis " << axis;
    expect_same_tensor(out[0], x.reshaped(expected[axis < 0 ? axis + 4 : axis]),
                       "axis " + std::to_string(axis));
  }
  node.attributes.set("axis", std::int64_t{5});
  EXPECT_FALSE(run_status(node, 13, {x}).is_ok());
  node.attributes.set("axis", std::int64_t{-5});
  EXPECT_FALSE(run_status(node, 13, {x}).is_ok());
  ir::Node by_default = make_node("Flatten", 1);
  auto out = run_ok(by_default, 13, {x});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 60}));
}

// --- Transpose ------------------------------------------------------------------------------

TEST(TensorTranspose, RandomPermutationsMatchReference) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = 1 + static_cast<int>(rng() % 5);
    const Shape shape = random_shape(rng, rank, 4, seed % 7 == 0 ? 0 : 1);
    std::vector<std::int64_t> perm(static_cast<std::size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const bool use_default = seed % 5 == 0;
    if (use_default) {
      std::iota(perm.begin(), perm.end(), 0);
      std::reverse(perm.begin(), perm.end());
    }
    const Tensor x = random_tensor(dtype, shape, rng);
    ir::Node node = make_node("Transpose", 1);
    if (!use_default) node.attributes.set("perm", perm);
    auto out = run_ok(node, 13, {x});
    ASSERT_EQ(out.size(), 1u) << "seed " << seed;
    Shape expected(shape.size());
    for (std::size_t i = 0; i < perm.size(); ++i)
      expected[i] = shape[static_cast<std::size_t>(perm[i])];
    ASSERT_EQ(out[0].shape(), expected) << "seed " << seed;
    for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
      const std::vector<std::int64_t> out_index = unravel(i, expected);
      std::vector<std::int64_t> in_index(shape.size());
      for (std::size_t k = 0; k < perm.size(); ++k)
        in_index[static_cast<std::size_t>(perm[k])] = out_index[k];
      ASSERT_TRUE(same_element(out[0], i, x, ravel(in_index, shape)))
          << "seed " << seed << " element " << i;
    }
  }
}

TEST(TensorTranspose, RejectsBadPerm) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {2, 3, 4});
  ir::Node node = make_node("Transpose", 1);
  for (const std::vector<std::int64_t>& perm :
       {std::vector<std::int64_t>{0, 1}, {0, 1, 1}, {0, 1, 3}, {-1, 0, 1}, {0, 1, 2, 3}}) {
    node.attributes.set("perm", perm);
    EXPECT_FALSE(run_status(node, 13, {x}).is_ok()) << fmt::format("{}", fmt::join(perm, ","));
  }
}

// --- Squeeze and Unsqueeze -----------------------------------------------------------------

TEST(TensorSqueeze, AxesFromAttributeAndInput) {
  std::mt19937 rng(3);
  const Tensor x = random_tensor(DType::kBool, {1, 3, 1, 5, 1}, rng);
  ir::Node by_input = make_node("Squeeze", 2);
  auto out = run_ok(by_input, 13, {x, int64s({-1, 0})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], x.reshaped({3, 1, 5}), "input axes");
  ir::Node all = make_node("Squeeze", 1);
  out = run_ok(all, 13, {x});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], x.reshaped({3, 5}), "all");
  ir::Node by_attr = make_node("Squeeze", 1);
  by_attr.attributes.set("axes", std::vector<std::int64_t>{2});
  out = run_ok(by_attr, 11, {x});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], x.reshaped({1, 3, 5, 1}), "attribute axes");

  EXPECT_FALSE(run_status(by_input, 13, {x, int64s({1})}).is_ok());      // length 3
  EXPECT_FALSE(run_status(by_input, 13, {x, int64s({0, -5})}).is_ok());  // same axis twice
  EXPECT_FALSE(run_status(by_input, 13, {x, int64s({5})}).is_ok());      // out of range
}

TEST(TensorUnsqueeze, InsertsAxesAtOutputPositions) {
  std::mt19937 rng(4);
  const Tensor x = random_tensor(DType::kFloat16, {3, 4, 5}, rng);
  ir::Node node = make_node("Unsqueeze", 2);
  struct Case {
    std::vector<std::int64_t> axes;
    Shape expected;
  };
  for (const Case& c :
       {Case{{0}, {1, 3, 4, 5}}, Case{{3}, {3, 4, 5, 1}}, Case{{-1}, {3, 4, 5, 1}},
        Case{{5, 0, 2}, {1, 3, 1, 4, 5, 1}}, Case{{-2, 1}, {3, 1, 4, 1, 5}}, Case{{}, {3, 4, 5}}}) {
    auto out = run_ok(node, 13, {x, int64s(c.axes)});
    ASSERT_EQ(out.size(), 1u);
    expect_same_tensor(out[0], x.reshaped(c.expected),
                       fmt::format("axes {}", fmt::join(c.axes, ",")));
  }
  ir::Node by_attr = make_node("Unsqueeze", 1);
  by_attr.attributes.set("axes", std::vector<std::int64_t>{1, -1});
  auto out = run_ok(by_attr, 11, {x});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{3, 1, 4, 5, 1}));
  // A scalar becomes a 1-element vector.
  out = run_ok(node, 13, {Tensor::scalar<std::int64_t>(DType::kInt64, 9), int64s({0})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{1}));
  EXPECT_EQ(out[0].data<std::int64_t>()[0], 9);

  EXPECT_FALSE(run_status(node, 13, {x, int64s({1, 1})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {x, int64s({4})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {x, int64s({-5})}).is_ok());
  EXPECT_FALSE(run_status(node, 13, {x}).is_ok());  // axes input missing
  ir::Node no_axes = make_node("Unsqueeze", 1);
  EXPECT_FALSE(run_status(no_axes, 11, {x}).is_ok());
}

// --- Shape and Size -----------------------------------------------------------------------

TEST(TensorShape, StartAndEndSelectAxes) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {3, 4, 5});
  struct Case {
    std::optional<std::int64_t> start, end;
    std::vector<std::int64_t> expected;
  };
  for (const Case& c :
       {Case{{}, {}, {3, 4, 5}}, Case{1, {}, {4, 5}}, Case{{}, 1, {3}}, Case{-1, {}, {5}},
        Case{{}, -1, {3, 4}}, Case{1, -1, {4}}, Case{-10, 10, {3, 4, 5}}, Case{2, 1, {}}}) {
    ir::Node node = make_node("Shape", 1);
    if (c.start) node.attributes.set("start", *c.start);
    if (c.end) node.attributes.set("end", *c.end);
    auto out = run_ok(node, 15, {x});
    ASSERT_EQ(out.size(), 1u);
    expect_same_tensor(out[0], int64s(c.expected), "shape case");
  }
  ir::Node scalar = make_node("Shape", 1);
  auto out = run_ok(scalar, 13, {Tensor::scalar<float>(DType::kFloat32, 1.0f)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{0}));
}

TEST(TensorSize, CountsElements) {
  ir::Node node = make_node("Size", 1);
  for (const Shape& s : {Shape{3, 4, 5}, Shape{}, Shape{2, 0, 7}}) {
    auto out = run_ok(node, 13, {Tensor::zeros(DType::kBool, s)});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape(), Shape{});
    EXPECT_EQ(out[0].data<std::int64_t>()[0], element_count(s));
  }
}

}  // namespace
}  // namespace edgebench::engine
