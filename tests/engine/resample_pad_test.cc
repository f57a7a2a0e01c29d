// Pad against a reference written here (iterated mirror reflections, clamping) on seeded random
// inputs, the spec's examples, and its error paths.
#include <gtest/gtest.h>

#include "engine/resample_reduce_test_util.h"

namespace edgebench::engine {
namespace {

using testing::float_vector;
using testing::int64_tensor;
using testing::make_node;
using testing::make_tensor;
using testing::random_float;
using testing::ravel;
using testing::run_ok;
using testing::run_status;
using testing::unravel;

// Input index for output position i of an axis of length n, or -1 for the constant.
std::int64_t reference_source(std::int64_t i, std::int64_t n, const std::string& mode) {
  if (i >= 0 && i < n) return i;
  if (mode == "constant") return -1;
  if (mode == "edge" || n == 1) return i < 0 ? 0 : n - 1;
  while (i < 0 || i >= n) {  // mirror at the first and last element until inside
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
  }
  return i;
}

// pads: [begin_0.., end_0..] for every axis.
Tensor reference_pad(const Tensor& x, const std::vector<std::int64_t>& pads,
                     const std::string& mode, float value) {
  const std::size_t rank = x.shape().size();
  Shape out_shape(rank);
  for (std::size_t d = 0; d < rank; ++d) out_shape[d] = x.shape()[d] + pads[d] + pads[rank + d];
  Tensor y = Tensor::zeros(DType::kFloat32, out_shape);
  for (std::int64_t o = 0; o < y.element_count(); ++o) {
    std::vector<std::int64_t> index = unravel(o, out_shape);
    bool constant = false;
    for (std::size_t d = 0; d < rank; ++d) {
      index[d] = reference_source(index[d] - pads[d], x.shape()[d], mode);
      constant = constant || index[d] < 0;
    }
    y.data<float>()[o] = constant ? value : x.data<float>()[ravel(index, x.shape())];
  }
  return y;
}

void expect_same(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (std::int64_t i = 0; i < want.element_count(); ++i) {
    ASSERT_EQ(got.data<float>()[i], want.data<float>()[i]) << what << " element " << i;
  }
}

TEST(ResamplePad, RandomMatchesReferenceInEveryModeAndOpset) {
  const std::vector<Shape> shapes = {{7}, {3, 5}, {2, 7, 13}, {1, 3, 1, 5}, {13, 1}};
  std::uint32_t seed = 500;
  for (const std::string mode : {"constant", "reflect", "edge"}) {
    for (std::int64_t opset : {2, 11, 13, 18}) {
      for (const Shape& shape : shapes) {
        for (int trial = 0; trial < 4; ++trial) {
          ++seed;
          std::mt19937 rng(seed);
          const Tensor x = random_float(shape, rng);
          const std::size_t rank = shape.size();
          // Pads from -2 (crop) to 9 (beyond one reflection), never below an empty axis.
          std::uniform_int_distribution<int> pad_dist(-2, 9);
          std::vector<std::int64_t> pads(2 * rank);
          for (std::size_t d = 0; d < rank; ++d) {
            pads[d] = std::max<std::int64_t>(pad_dist(rng), -(shape[d] - 1) / 2);
            pads[rank + d] = std::max<std::int64_t>(pad_dist(rng), -(shape[d] - 1) / 2);
          }
          const float value = 1.5f;
          ir::Node node = make_node("Pad", {"x"});
          node.attributes.set("mode", mode);
          std::vector<Tensor> inputs = {x};
          if (opset < 11) {
            node.attributes.set("pads", pads);
            node.attributes.set("value", value);
          } else {
            node.inputs = {"x", "pads", "value"};
            inputs.push_back(int64_tensor(pads));
            inputs.push_back(Tensor::scalar<float>(DType::kFloat32, value));
          }
          const Tensor want = reference_pad(x, pads, mode, mode == "constant" ? value : 0.0f);
          auto got = run_ok(node, opset, inputs);
          ASSERT_EQ(got.size(), 1u) << "seed " << seed;
          expect_same(got[0], want,
                      fmt::format("{} opset {} shape {} seed {}", mode, opset,
                                  shape_to_string(shape), seed));
        }
      }
    }
  }
}

TEST(ResamplePad, Opset18AxesSelectWhichAxesArePadded) {
  std::uint32_t seed = 900;
  for (const std::string mode : {"constant", "reflect", "edge"}) {
    for (const std::vector<std::int64_t>& axes :
         std::vector<std::vector<std::int64_t>>{{1}, {-1}, {2, 0}, {-3, -2, -1}}) {
      ++seed;
      std::mt19937 rng(seed);
      const Tensor x = random_float({3, 7, 5}, rng);
      std::uniform_int_distribution<int> pad_dist(-1, 6);
      std::vector<std::int64_t> pads(2 * axes.size());
      for (auto& p : pads) p = pad_dist(rng);
      std::vector<std::int64_t> full(6, 0);
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::int64_t a = axes[i] < 0 ? axes[i] + 3 : axes[i];
        full[static_cast<std::size_t>(a)] = pads[i];
        full[static_cast<std::size_t>(a + 3)] = pads[axes.size() + i];
      }
      ir::Node node = make_node("Pad", {"x", "pads", "", "axes"});
      node.attributes.set("mode", mode);
      // Axes may be int32 or int64.
      std::vector<std::int32_t> axes32(axes.begin(), axes.end());
      const Tensor axes_tensor = make_tensor<std::int32_t>(
          DType::kInt32, {static_cast<std::int64_t>(axes.size())}, axes32);
      auto got = run_ok(node, 18, {x, int64_tensor(pads), Tensor(), axes_tensor});
      ASSERT_EQ(got.size(), 1u) << "seed " << seed;
      expect_same(got[0], reference_pad(x, full, mode, 0.0f),
                  fmt::format("{} axes {} seed {}", mode, fmt::join(axes, ","), seed));
    }
  }
}

TEST(ResamplePad, SpecExamples) {
  const Tensor x =
      make_tensor<float>(DType::kFloat32, {3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"constant", {0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f}},
      {"reflect", {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}},
      {"edge", {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}},
  };
  for (const auto& [mode, want] : cases) {
    ir::Node node = make_node("Pad", {"x", "pads"});
    node.attributes.set("mode", mode);
    auto got = run_ok(node, 11, {x, int64_tensor({0, 2, 0, 0})});
    ASSERT_EQ(got.size(), 1u);
    expect_same(got[0], make_tensor<float>(DType::kFloat32, {3, 4}, want), mode);
  }
}

TEST(ResamplePad, ReflectOnOddSizesAndBeyondOneReflection) {
  // NumPy: np.pad([1, 2, 3], (5, 6), 'reflect').
  const Tensor x = float_vector({1, 2, 3});
  ir::Node node = make_node("Pad", {"x", "pads"});
  node.attributes.set("mode", std::string("reflect"));
  auto got = run_ok(node, 13, {x, int64_tensor({5, 6})});
  ASSERT_EQ(got.size(), 1u);
  expect_same(got[0], float_vector({2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1}), "reflect");

  // An axis of one element reflects onto itself.
  got = run_ok(node, 13, {float_vector({4}), int64_tensor({2, 1})});
  expect_same(got[0], float_vector({4, 4, 4, 4}), "reflect n=1");

  // Crop one side, pad the other.
  got = run_ok(node, 13, {float_vector({1, 2, 3, 4, 5}), int64_tensor({-2, 3})});
  expect_same(got[0], float_vector({3, 4, 5, 4, 3, 2}), "crop and reflect");
}

TEST(ResamplePad, OtherDtypes) {
  ir::Node node = make_node("Pad", {"x", "pads", "value"});
  const Tensor i32 = make_tensor<std::int32_t>(DType::kInt32, {2}, {7, -8});
  auto got = run_ok(node, 13,
                    {i32, int64_tensor({1, 2}), Tensor::scalar<std::int32_t>(DType::kInt32, -1)});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].shape(), Shape{5});
  const std::int32_t want[] = {-1, 7, -8, -1, -1};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(got[0].data<std::int32_t>()[i], want[i]);

  const Tensor b = make_tensor<bool>(DType::kBool, {2}, {true, false});
  node.inputs = {"x", "pads"};
  node.attributes.set("mode", std::string("edge"));
  got = run_ok(node, 13, {b, int64_tensor({2, 1})});
  const bool want_b[] = {true, true, true, false, false};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(got[0].data<bool>()[i], want_b[i]);

  // float16 with the opset-2 float attribute.
  const Tensor h = make_tensor<std::uint16_t>(DType::kFloat16, {1}, {float_to_half(0.25f)});
  ir::Node old = make_node("Pad", {"x"});
  old.attributes.set("pads", std::vector<std::int64_t>{1, 1});
  old.attributes.set("value", 2.5f);
  got = run_ok(old, 2, {h});
  ASSERT_EQ(got[0].shape(), Shape{3});
  EXPECT_EQ(half_to_float(got[0].data<std::uint16_t>()[0]), 2.5f);
  EXPECT_EQ(half_to_float(got[0].data<std::uint16_t>()[1]), 0.25f);

  const Tensor u8 = make_tensor<std::uint8_t>(DType::kUInt8, {2, 2}, {1, 2, 3, 4});
  node.attributes.set("mode", std::string("reflect"));
  got = run_ok(node, 13, {u8, int64_tensor({1, 0, 0, 1})});
  ASSERT_EQ(got[0].shape(), (Shape{3, 3}));
  const std::uint8_t want_u8[] = {3, 4, 3, 1, 2, 1, 3, 4, 3};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(got[0].data<std::uint8_t>()[i], want_u8[i]) << i;
}

TEST(ResamplePad, ErrorsAreStatuses) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {2, 3});
  ir::Node node = make_node("Pad", {"x", "pads"});
  // Wrong number of pads.
  EXPECT_EQ(run_status(node, 13, {x, int64_tensor({1, 1})}).code(), StatusCode::kInvalidModel);
  // Cropping more than the axis has.
  const Status crop = run_status(node, 13, {x, int64_tensor({-2, 0, -1, 0})});
  EXPECT_EQ(crop.code(), StatusCode::kInvalidModel);
  EXPECT_NE(crop.message().find("Pad node 'n'"), std::string::npos) << crop.message();
  // Pads that overflow int64 or exceed the tensor size limit.
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(run_status(node, 13, {x, int64_tensor({0, huge, 0, 1})}).code(),
            StatusCode::kOutOfRange);
  EXPECT_FALSE(run_status(node, 13, {x, int64_tensor({0, 0, std::int64_t{1} << 40, 0})}).is_ok());
  // Pads must be int64.
  EXPECT_EQ(run_status(node, 13, {x, float_vector({0, 0, 0, 0})}).code(),
            StatusCode::kInvalidModel);
  // Modes.
  node.attributes.set("mode", std::string("wrap"));
  EXPECT_EQ(run_status(node, 13, {x, int64_tensor({0, 0, 0, 0})}).code(), StatusCode::kUnsupported);
  node.attributes.set("mode", std::string("mirror"));
  EXPECT_EQ(run_status(node, 13, {x, int64_tensor({0, 0, 0, 0})}).code(),
            StatusCode::kInvalidModel);
  // Nothing to reflect on an empty axis.
  node.attributes.set("mode", std::string("reflect"));
  EXPECT_EQ(
      run_status(node, 13, {Tensor::zeros(DType::kFloat32, {0}), int64_tensor({1, 0})}).code(),
      StatusCode::kInvalidModel);
  // constant_value of another dtype, or more than one value.
  ir::Node with_value = make_node("Pad", {"x", "pads", "value"});
  EXPECT_EQ(
      run_status(with_value, 13,
                 {x, int64_tensor({0, 0, 0, 0}), Tensor::scalar<double>(DType::kFloat64, 1.0)})
          .code(),
      StatusCode::kInvalidModel);
  EXPECT_EQ(
      run_status(with_value, 13, {x, int64_tensor({0, 0, 0, 0}), float_vector({1, 2})}).code(),
      StatusCode::kInvalidModel);
  // Opset 2 needs the pads attribute; opset 18 axes must be in range.
  EXPECT_EQ(run_status(make_node("Pad", {"x"}), 2, {x}).code(), StatusCode::kInvalidModel);
  ir::Node with_axes = make_node("Pad", {"x", "pads", "", "axes"});
  EXPECT_EQ(
      run_status(with_axes, 18, {x, int64_tensor({0, 0}), Tensor(), int64_tensor({2})}).code(),
      StatusCode::kInvalidModel);
  EXPECT_EQ(
      run_status(with_axes, 18, {x, int64_tensor({0, 0, 0, 0}), Tensor(), int64_tensor({1, -1})})
          .code(),
      StatusCode::kInvalidModel);
}

}  // namespace
}  // namespace edgebench::engine
