// edgebench.FusedConv and FusedGemm against the engine's own Conv / Gemm followed by Clip on
// seeded random inputs (bit-exact: the same kernel, then the same comparisons), plus the error
// paths and a whole graph that imports the edgebench domain.
#include "edgebench/engine/fused_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "edgebench/core/random.h"
#include "edgebench/engine/plan.h"

namespace edgebench::engine {
namespace {

using ::testing::HasSubstr;

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Bounds {
  float min = -kInf;
  float max = kInf;
};

Tensor random_float(const Shape& shape, std::uint64_t seed, DType dtype = DType::kFloat32) {
  return *random_tensor(dtype, shape, seed, {.low = -1.0, .high = 1.0});
}

ir::Node make_node(std::string op_type, std::vector<std::string> inputs) {
  ir::Node node;
  node.name = "n1";
  node.op_type = std::move(op_type);
  node.inputs = std::move(inputs);
  node.outputs = {"y"};
  return node;
}

ir::Node fused_from(const ir::Node& plain, std::string_view fused_op, const Bounds& bounds) {
  ir::Node fused = plain;
  fused.op_type = std::string(fused_op);
  fused.domain = std::string(kEdgebenchDomain);
  if (bounds.min != -kInf) fused.attributes.set(std::string(kActivationMinAttribute), bounds.min);
  if (bounds.max != kInf) fused.attributes.set(std::string(kActivationMaxAttribute), bounds.max);
  return fused;
}

// Runs `plain` (Conv or Gemm) and then the engine's Clip (opset 13, scalar bound inputs).
Tensor run_then_clip(const ir::Node& plain, std::span<const Tensor> inputs, const Bounds& bounds) {
  auto y = run_node(plain, 13, inputs);
  EXPECT_TRUE(y.is_ok()) << y.status().to_string();
  if (!y.is_ok()) return {};
  ir::Node clip;
  clip.name = "clip";
  clip.op_type = "Clip";
  clip.inputs = {"y", "", ""};
  clip.outputs = {"z"};
  std::vector<Tensor> clip_inputs = {(*y)[0], Tensor(), Tensor()};
  if (bounds.min != -kInf) {
    clip.inputs[1] = "lo";
    clip_inputs[1] = Tensor::scalar(DType::kFloat32, bounds.min);
  }
  if (bounds.max != kInf) {
    clip.inputs[2] = "hi";
    clip_inputs[2] = Tensor::scalar(DType::kFloat32, bounds.max);
  }
  auto z = run_node(clip, 13, clip_inputs);
  EXPECT_TRUE(z.is_ok()) << z.status().to_string();
  return z.is_ok() ? (*z)[0] : Tensor();
}

void expect_same_bits(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.dtype(), expected.dtype()) << what;
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  EXPECT_EQ(std::memcmp(actual.raw_data(), expected.raw_data(), expected.byte_size()), 0) << what;
}

const Bounds kBoundCases[] = {{0.0f, kInf}, {0.0f, 0.25f}, {-0.3f, 0.3f}, {-kInf, 0.1f}, {}};

struct ConvCase {
  Shape x;
  std::int64_t out_channels;
  Shape kernel;
  std::int64_t group = 1;
  std::vector<std::int64_t> strides = {};
  std::vector<std::int64_t> pads = {};
  std::vector<std::int64_t> dilations = {};
  bool bias = true;
};

TEST(FusedOps, FusedConvEqualsConvThenClip) {
  const ConvCase cases[] = {
      {{1, 1, 5, 7}, 1, {3, 3}},
      {{2, 3, 9, 7}, 7, {3, 3}, 1, {2, 1}, {1, 1, 1, 1}},
      {{1, 13, 6, 5}, 13, {1, 1}, 13, {}, {}, {}, false},
      {{1, 6, 11}, 4, {3}, 2, {2}, {1, 2}, {2}},
      {{1, 3, 4, 5, 3}, 7, {2, 3, 1}, 1, {}, {0, 1, 0, 1, 0, 0}},
  };
  std::uint64_t seed = 1;
  for (const ConvCase& c : cases) {
    for (const Bounds& bounds : kBoundCases) {
      ++seed;
      Shape w = {c.out_channels, c.x[1] / c.group};
      w.insert(w.end(), c.kernel.begin(), c.kernel.end());
      std::vector<Tensor> inputs = {random_float(c.x, seed), random_float(w, seed + 1000)};
      ir::Node conv = make_node("Conv", {"x", "w"});
      if (c.bias) {
        conv.inputs.push_back("b");
        inputs.push_back(random_float({c.out_channels}, seed + 2000));
      }
      if (c.group != 1) conv.attributes.set("group", c.group);
      if (!c.strides.empty()) conv.attributes.set("strides", c.strides);
      if (!c.pads.empty()) conv.attributes.set("pads", c.pads);
      if (!c.dilations.empty()) conv.attributes.set("dilations", c.dilations);
      const Tensor expected = run_then_clip(conv, inputs, bounds);
      // Every opset of the edgebench domain is accepted.
      for (std::int64_t opset : {0, 1, 5}) {
        auto fused = run_node(fused_from(conv, kFusedConvOp, bounds), opset, inputs);
        ASSERT_TRUE(fused.is_ok()) << fused.status().to_string() << " seed " << seed;
        expect_same_bits((*fused)[0], expected,
                         "seed " + std::to_string(seed) + " opset " + std::to_string(opset));
      }
    }
  }
}

struct GemmCase {
  std::int64_t m, k, n;
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;
  Shape c = {};  // empty: no C
};

TEST(FusedOps, FusedGemmEqualsGemmThenClip) {
  const GemmCase cases[] = {
      {1, 1, 1},
      {3, 7, 13, false, false, 1.0f, 1.0f, {13}},
      {5, 3, 7, true, false, 0.5f, 2.0f, {5, 1}},
      {7, 13, 3, false, true, 1.5f, 0.0f, {7, 3}},
      {13, 5, 1, true, true, -1.0f, 1.0f, {1}},
  };
  std::uint64_t seed = 100;
  for (const GemmCase& c : cases) {
    for (const Bounds& bounds : kBoundCases) {
      ++seed;
      const Shape a = c.trans_a ? Shape{c.k, c.m} : Shape{c.m, c.k};
      const Shape b = c.trans_b ? Shape{c.n, c.k} : Shape{c.k, c.n};
      std::vector<Tensor> inputs = {random_float(a, seed), random_float(b, seed + 1000)};
      ir::Node gemm = make_node("Gemm", {"a", "b"});
      if (!c.c.empty()) {
        gemm.inputs.push_back("c");
        inputs.push_back(random_float(c.c, seed + 2000));
      }
      if (c.trans_a) gemm.attributes.set("transA", std::int64_t{1});
      if (c.trans_b) gemm.attributes.set("transB", std::int64_t{1});
      gemm.attributes.set("alpha", c.alpha);
      gemm.attributes.set("beta", c.beta);
      const Tensor expected = run_then_clip(gemm, inputs, bounds);
      auto fused = run_node(fused_from(gemm, kFusedGemmOp, bounds), 1, inputs);
      ASSERT_TRUE(fused.is_ok()) << fused.status().to_string() << " seed " << seed;
      expect_same_bits((*fused)[0], expected, "seed " + std::to_string(seed));
    }
  }
}

TEST(FusedOps, ClampKeepsNaNAndClampsInfinityLikeClip) {
  // Y = A * [[1]] passes A's column through the Gemm unchanged.
  Tensor a = Tensor::zeros(DType::kFloat32, {3, 1});
  a.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  a.data<float>()[1] = kInf;
  a.data<float>()[2] = -kInf;
  const std::vector<Tensor> inputs = {a, Tensor::scalar(DType::kFloat32, 1.0f).reshaped({1, 1})};
  const Bounds bounds{-2.0f, 2.0f};
  ir::Node gemm = make_node("Gemm", {"a", "b"});
  auto y = run_node(fused_from(gemm, kFusedGemmOp, bounds), 1, inputs);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_TRUE(std::isnan((*y)[0].data<float>()[0]));
  EXPECT_EQ((*y)[0].data<float>()[1], 2.0f);
  EXPECT_EQ((*y)[0].data<float>()[2], -2.0f);
  expect_same_bits((*y)[0], run_then_clip(gemm, inputs, bounds), "non-finite");
}

TEST(FusedOps, RegisteredInTheEdgebenchDomain) {
  EXPECT_EQ(kEdgebenchDomain, "edgebench");
  EXPECT_NE(builtin_registry().find(kEdgebenchDomain, kFusedConvOp), nullptr);
  EXPECT_NE(builtin_registry().find(kEdgebenchDomain, kFusedGemmOp), nullptr);
  EXPECT_EQ(builtin_registry().find("", kFusedConvOp), nullptr);
}

TEST(FusedOps, RejectsMinAboveMaxNamingTheNode) {
  ir::Node node = fused_from(make_node("Conv", {"x", "w"}), kFusedConvOp, {0.5f, 0.25f});
  node.name = "conv7";
  const std::vector<Tensor> inputs = {random_float({1, 1, 3, 3}, 1), random_float({1, 1, 1, 1}, 2)};
  auto y = run_node(node, 1, inputs);
  ASSERT_FALSE(y.is_ok());
  EXPECT_EQ(y.status().code(), StatusCode::kInvalidModel);
  EXPECT_THAT(y.status().message(), HasSubstr("conv7"));
  EXPECT_THAT(y.status().message(), HasSubstr(std::string(kActivationMinAttribute)));

  ir::Node nan_bound = make_node("Gemm", {"a", "b"});
  nan_bound = fused_from(nan_bound, kFusedGemmOp, {});
  nan_bound.attributes.set(std::string(kActivationMaxAttribute),
                           std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(
      run_node(nan_bound, 1, std::vector<Tensor>{random_float({2, 2}, 3), random_float({2, 2}, 4)})
          .status()
          .code(),
      StatusCode::kInvalidModel);
}

TEST(FusedOps, RejectsOtherDtypesAndBadAttributes) {
  ir::Node conv = fused_from(make_node("Conv", {"x", "w"}), kFusedConvOp, {0.0f, 6.0f});
  const std::vector<Tensor> doubles = {random_float({1, 2, 4, 4}, 1, DType::kFloat64),
                                       random_float({3, 2, 3, 3}, 2, DType::kFloat64)};
  auto y = run_node(conv, 1, doubles);
  ASSERT_FALSE(y.is_ok());
  EXPECT_EQ(y.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(y.status().message(), HasSubstr("float64"));

  ir::Node gemm = fused_from(make_node("Gemm", {"a", "b"}), kFusedGemmOp, {});
  const std::vector<Tensor> ints = {Tensor::zeros(DType::kInt32, {2, 2}),
                                    Tensor::zeros(DType::kInt32, {2, 2})};
  EXPECT_EQ(run_node(gemm, 1, ints).status().code(), StatusCode::kUnsupported);

  // A bound of the wrong attribute type, and an attribute the inner Conv rejects.
  ir::Node string_bound = conv;
  string_bound.attributes.set(std::string(kActivationMinAttribute), std::string("zero"));
  const std::vector<Tensor> floats = {random_float({1, 2, 4, 4}, 1), random_float({3, 2, 3, 3}, 2)};
  EXPECT_FALSE(run_node(string_bound, 1, floats).is_ok());
  ir::Node bad_group = conv;
  bad_group.attributes.set("group", std::int64_t{0});
  auto bad = run_node(bad_group, 1, floats);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("FusedConv node 'n1'"));
  EXPECT_THAT(bad.status().message(), HasSubstr("group"));
  // Shape errors of the inner op name the fused node too.
  const std::vector<Tensor> mismatched = {random_float({1, 3, 4, 4}, 1),
                                          random_float({3, 2, 3, 3}, 2)};
  auto shape_error = run_node(conv, 1, mismatched);
  ASSERT_FALSE(shape_error.is_ok());
  EXPECT_THAT(shape_error.status().message(), HasSubstr("FusedConv node 'n1'"));
}

TEST(FusedOps, RunsInAGraphThatImportsTheDomain) {
  ir::Graph g;
  g.opset_imports = {{"", 13}, {std::string(kEdgebenchDomain), kEdgebenchOpset}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 3, 5, 5}, {}};
  g.initializers["w"] = random_float({4, 3, 3, 3}, 7);
  g.initializers["fc"] = random_float({36, 5}, 8);
  g.initializers["shape"] =
      Tensor::vector<std::int64_t>(DType::kInt64, std::vector<std::int64_t>{1, 36});
  ir::Node conv = fused_from(make_node("Conv", {"x", "w"}), kFusedConvOp, {0.0f, 6.0f});
  conv.outputs = {"c"};
  ir::Node reshape = make_node("Reshape", {"c", "shape"});
  reshape.name = "flatten";
  reshape.outputs = {"f"};
  ir::Node gemm = fused_from(make_node("Gemm", {"f", "fc"}), kFusedGemmOp, {-0.5f, kInf});
  gemm.name = "fc";
  g.nodes = {conv, reshape, gemm};
  g.outputs = {"y"};
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  ASSERT_EQ((*plan)->outputs().size(), 1u);
  EXPECT_EQ((*plan)->outputs()[0].shape, (Shape{1, 5}));
  std::vector<Tensor> out(1);
  const Tensor x = random_float({1, 3, 5, 5}, 9);
  ASSERT_TRUE((*plan)->run(std::span<const Tensor>(&x, 1), out).is_ok());
  for (std::int64_t i = 0; i < out[0].element_count(); ++i) {
    EXPECT_GE(out[0].data<float>()[i], -0.5f);
  }
}

}  // namespace
}  // namespace edgebench::engine
