// Tests of Slice against the ONNX spec's description of effective starts, ends and steps,
// re-derived here index by index.
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

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// Input positions one axis selects, per the spec: negative starts/ends count from the back,
// then starts clamp to [0, dim] ([0, dim - 1] stepping backwards) and ends to [0, dim]
// ([-1, dim - 1] stepping backwards).
std::vector<std::int64_t> selected_positions(std::int64_t dim, std::int64_t start, std::int64_t end,
                                             std::int64_t step) {
  std::vector<std::int64_t> positions;
  if (dim == 0) return positions;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::min(std::max<std::int64_t>(start, 0), dim);
    end = std::min(std::max<std::int64_t>(end, 0), dim);
    for (std::int64_t j = start; j < end;) {
      positions.push_back(j);
      if (end - j <= step) break;  // the next step would pass end (and might overflow)
      j += step;
    }
  } else {
    start = std::min(std::max<std::int64_t>(start, 0), dim - 1);
    end = std::min(std::max<std::int64_t>(end, -1), dim - 1);
    for (std::int64_t j = start; j > end;) {
      positions.push_back(j);
      if ((j - end) + step <= 0) break;
      j += step;
    }
  }
  return positions;
}

// Slice reference: per output axis the list of input positions.
Tensor reference_slice(const Tensor& x, const std::vector<std::int64_t>& starts,
                       const std::vector<std::int64_t>& ends, const std::vector<std::int64_t>& axes,
                       const std::vector<std::int64_t>& steps) {
  std::vector<std::vector<std::int64_t>> positions(x.shape().size());
  for (std::size_t d = 0; d < positions.size(); ++d) {
    positions[d].resize(static_cast<std::size_t>(x.shape()[d]));
    std::iota(positions[d].begin(), positions[d].end(), 0);
  }
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<std::size_t>(axes[i] < 0 ? axes[i] + x.rank() : axes[i]);
    positions[a] = selected_positions(x.shape()[a], starts[i], ends[i], steps[i]);
  }
  Shape out_shape;
  for (const auto& p : positions) out_shape.push_back(static_cast<std::int64_t>(p.size()));
  Tensor out = Tensor::zeros(x.dtype(), out_shape);
  for (std::int64_t i = 0; i < out.element_count(); ++i) {
    std::vector<std::int64_t> index = unravel(i, out_shape);
    for (std::size_t d = 0; d < index.size(); ++d) {
      index[d] = positions[d][static_cast<std::size_t>(index[d])];
    }
    std::memcpy(static_cast<std::byte*>(out.raw_data()) +
                    i * static_cast<std::int64_t>(dtype_size(x.dtype())),
                tensor_test::element_ptr(x, ravel(index, x.shape())), dtype_size(x.dtype()));
  }
  return out;
}

std::int64_t random_bound(std::mt19937& rng, std::int64_t dim) {
  switch (rng() % 8) {
    case 0: return kMax;
    case 1: return kMin;
    case 2: return -dim - 1 - static_cast<std::int64_t>(rng() % 3);
    case 3: return dim + static_cast<std::int64_t>(rng() % 3);
    default: return static_cast<std::int64_t>(rng() % static_cast<unsigned>(2 * dim + 1)) - dim;
  }
}

TEST(TensorSlice, RandomSlicesMatchSpecReference) {
  const std::int64_t step_choices[] = {1, 1, 2, 3, -1, -1, -2, -3, kMax, kMin};
  for (std::uint32_t seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    const DType dtype = tensor_test::kSomeDTypes[seed % std::size(tensor_test::kSomeDTypes)];
    const int rank = 1 + static_cast<int>(rng() % 4);
    const Shape shape = random_shape(rng, rank, 6, seed % 11 == 0 ? 0 : 1);
    const Tensor x = random_tensor(dtype, shape, rng);

    std::vector<std::int64_t> all_axes(static_cast<std::size_t>(rank));
    std::iota(all_axes.begin(), all_axes.end(), 0);
    std::shuffle(all_axes.begin(), all_axes.end(), rng);
    const std::size_t count = rng() % (static_cast<std::size_t>(rank) + 1);
    std::vector<std::int64_t> axes(all_axes.begin(),
                                   all_axes.begin() + static_cast<std::ptrdiff_t>(count));
    std::vector<std::int64_t> starts, ends, steps;
    for (std::int64_t& a : axes) {
      const std::int64_t dim = shape[static_cast<std::size_t>(a)];
      starts.push_back(random_bound(rng, dim));
      ends.push_back(random_bound(rng, dim));
      steps.push_back(step_choices[rng() % std::size(step_choices)]);
      if (rng() % 2 == 0) a -= rank;  // negative axis
    }
    const Tensor expected = reference_slice(x, starts, ends, axes, steps);
    const std::string what = "seed " + std::to_string(seed);

    ir::Node node = make_node("Slice", 5);
    auto out = run_ok(node, 13, {x, int64s(starts), int64s(ends), int64s(axes), int64s(steps)});
    ASSERT_EQ(out.size(), 1u) << what;
    expect_same_tensor(out[0], expected, what);
  }
}

TEST(TensorSlice, OptionalAxesAndSteps) {
  std::mt19937 rng(21);
  const Tensor x = random_tensor(DType::kInt64, {20, 10, 5}, rng);
  // No axes: the first len(starts) axes. No steps: 1.
  ir::Node node = make_node("Slice", 3);
  auto out = run_ok(node, 13, {x, int64s({0, 0, 3}), int64s({20, 10, 4})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], reference_slice(x, {0, 0, 3}, {20, 10, 4}, {0, 1, 2}, {1, 1, 1}),
                     "default axes");
  // Axes given, steps absent; int32 indices.
  ir::Node four = make_node("Slice", 4);
  out = run_ok(four, 13, {x, int32s({1, -3}), int32s({1000, -1}), int32s({-1, 0})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], reference_slice(x, {1, -3}, {1000, -1}, {-1, 0}, {1, 1}),
                     "int32 indices");
  // Axes absent but steps given (an empty name marks the absent input).
  node = make_node("Slice", 5);
  node.inputs[3] = "";
  out = run_ok(node, 13, {x, int64s({-1, 8}), int64s({kMin, 1}), Tensor(), int64s({-4, -3})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], reference_slice(x, {-1, 8}, {kMin, 1}, {0, 1}, {-4, -3}),
                     "steps without axes");
}

TEST(TensorSlice, AttributesBeforeOpset10) {
  std::mt19937 rng(22);
  const Tensor x = random_tensor(DType::kFloat16, {4, 7}, rng);
  ir::Node node = make_node("Slice", 1);
  node.attributes.set("starts", std::vector<std::int64_t>{-3, 1});
  node.attributes.set("ends", std::vector<std::int64_t>{kMax, 3});
  node.attributes.set("axes", std::vector<std::int64_t>{1, 0});
  auto out = run_ok(node, 9, {x});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], reference_slice(x, {-3, 1}, {kMax, 3}, {1, 0}, {1, 1}), "opset 9");
  ir::Node no_axes = make_node("Slice", 1);
  no_axes.attributes.set("starts", std::vector<std::int64_t>{1});
  no_axes.attributes.set("ends", std::vector<std::int64_t>{-1});
  out = run_ok(no_axes, 1, {x});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], reference_slice(x, {1}, {-1}, {0}, {1}), "opset 1");
  ir::Node missing = make_node("Slice", 1);
  missing.attributes.set("starts", std::vector<std::int64_t>{1});
  EXPECT_FALSE(run_status(missing, 9, {x}).is_ok());
}

TEST(TensorSlice, ReversesWholeAxisWithNegativeStep) {
  const Tensor x = int64s({0, 1, 2, 3, 4});
  ir::Node node = make_node("Slice", 5);
  auto out = run_ok(node, 13, {x, int64s({-1}), int64s({kMin}), int64s({0}), int64s({-1})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({4, 3, 2, 1, 0}), "reverse");
  out = run_ok(node, 13, {x, int64s({kMax}), int64s({0}), int64s({0}), int64s({-2})});
  ASSERT_EQ(out.size(), 1u);
  expect_same_tensor(out[0], int64s({4, 2}), "every other from the back");
}

TEST(TensorSlice, RejectsBadArguments) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {4, 5});
  ir::Node node = make_node("Slice", 5);
  auto status = [&](std::vector<std::int64_t> s, std::vector<std::int64_t> e,
                    std::vector<std::int64_t> a, std::vector<std::int64_t> st) {
    return run_status(node, 13, {x, int64s(s), int64s(e), int64s(a), int64s(st)});
  };
  EXPECT_FALSE(status({0}, {1}, {0}, {0}).is_ok());               // zero step
  EXPECT_FALSE(status({0, 0}, {1}, {0}, {1}).is_ok());            // lengths differ
  EXPECT_FALSE(status({0, 0}, {1, 1}, {0, 0}, {1, 1}).is_ok());   // repeated axis
  EXPECT_FALSE(status({0, 0}, {1, 1}, {0, -2}, {1, 1}).is_ok());  // same axis, negative form
  EXPECT_FALSE(status({0}, {1}, {2}, {1}).is_ok());               // axis out of range
  EXPECT_FALSE(status({0}, {1}, {0}, {1, 1}).is_ok());            // steps length
  const Tensor float_starts = Tensor::vector<float>(DType::kFloat32, std::vector<float>{0.0f});
  EXPECT_FALSE(
      run_status(node, 13, {x, float_starts, int64s({1}), int64s({0}), int64s({1})}).is_ok());
  ir::Node two = make_node("Slice", 2);
  EXPECT_FALSE(run_status(two, 13, {x, int64s({0})}).is_ok());  // ends missing
  ir::Node three = make_node("Slice", 3);
  EXPECT_FALSE(run_status(three, 13, {x, int64s({0, 0, 0}), int64s({1, 1, 1})}).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
