// The block-sparse 1x1 convolution (src/kernels/sparse_conv.h): chosen for block-pruned weights
// on CPUs with AVX2 and FMA, left alone for dense ones, and equal to the reference convolution
// on awkward channel and pixel counts, with and without bias and a fused clamp.
#include "kernels/sparse_conv.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "fast_test_util.h"

namespace edgebench::kernels::testing {
namespace {

// Keeps round(density * blocks) of the 8x1 blocks of W [m, c] (output group g, input k), chosen
// by a seeded shuffle, and zeroes the others.
void keep_blocks(Tensor& w, double density, std::uint64_t seed) {
  const std::int64_t m = w.dim(0), c = w.dim(1);
  const std::int64_t groups = (m + kSparseBlock - 1) / kSparseBlock;
  std::vector<std::int64_t> blocks(static_cast<std::size_t>(groups * c));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), std::mt19937_64(seed));
  const auto kept = static_cast<std::size_t>(std::llround(density * double(blocks.size())));
  float* data = w.data<float>();
  for (std::size_t i = kept; i < blocks.size(); ++i) {
    const std::int64_t g = blocks[i] / c, k = blocks[i] % c;
    for (std::int64_t r = g * kSparseBlock; r < std::min(m, (g + 1) * kSparseBlock); ++r) {
      data[r * c + k] = 0.0f;
    }
  }
}

struct Case {
  std::int64_t n, c, h, w, m;
  bool bias;
  std::string activation;  // "", "Relu" or "Clip" (0, 6): absorbed into the convolution
};

ir::Graph pointwise_graph(const Case& c, double density, std::uint64_t seed) {
  GraphBuilder b;
  b.input("x", {c.n, c.c, c.h, c.w});
  b.weight("w", {c.m, c.c, 1, 1}, seed);
  keep_blocks(b.graph().initializers["w"], density, seed);
  std::vector<std::string> ins = {"x", "w"};
  if (c.bias) ins.push_back(b.weight("b", {c.m}, seed + 1));
  b.node("Conv", ins, c.activation.empty() ? "y" : "conv");
  if (c.activation == "Relu") b.node("Relu", {"conv"}, "y");
  if (c.activation == "Clip") {
    b.constant("lo", Tensor::scalar(DType::kFloat32, 0.0f));
    b.constant("hi", Tensor::scalar(DType::kFloat32, 6.0f));
    b.node("Clip", {"conv", "lo", "hi"}, "y");
  }
  b.output("y");
  return b.graph();
}

bool has_sparse_kernel() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

TEST(SparseConv, BlockDensityCountsBlocksWithANonzero) {
  // W [10, 3]: groups of 8 and 2 rows. Group 0 keeps input 1 (one nonzero in row 5); group 1
  // keeps inputs 0 and 2.
  std::vector<float> w(30, 0.0f);
  w[5 * 3 + 1] = 1.0f;
  w[8 * 3 + 0] = -2.0f;
  w[9 * 3 + 2] = 0.5f;
  EXPECT_DOUBLE_EQ(block_density(w.data(), 10, 3), 3.0 / 6.0);
  std::vector<float> dense(30, 1.0f);
  EXPECT_DOUBLE_EQ(block_density(dense.data(), 10, 3), 1.0);
}

TEST(SparseConv, MatchesReferenceOnAwkwardShapes) {
  const std::vector<Case> cases = {
      {1, 16, 8, 8, 32, true, ""},      // whole tiles and groups
      {1, 13, 5, 7, 37, true, "Relu"},  // 35 pixels, a partial group of 5
      {2, 24, 3, 3, 8, false, "Clip"},  // batch 2, 18 pixels
      {1, 40, 1, 1, 12, true, ""},      // one pixel: only the portable tail
      {1, 64, 6, 6, 96, true, "Clip"},  // MobileNet-like expansion
  };
  std::uint64_t seed = 300;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "c=" << c.c << " m=" << c.m << " pixels=" << c.h * c.w);
    const ir::Graph graph = pointwise_graph(c, 0.1, seed);
    expect_fast_matches(graph, seed, -1, 1e-5);
    FastRun r = run_fast_and_reference(graph, 1, seed);
    ASSERT_FALSE(r.lowered.nodes.empty());
    EXPECT_EQ(r.lowered.nodes[0].kernel == "sparse", has_sparse_kernel())
        << r.lowered.nodes[0].kernel;
    seed += 10;
  }
}

TEST(SparseConv, EmptyGroupsGiveTheBias) {
  // Every block of the second group of 8 is zero: its outputs are the (clamped) bias.
  const Case c{1, 16, 4, 4, 16, true, "Relu"};
  ir::Graph graph = pointwise_graph(c, 0.1, 7);
  float* w = graph.initializers["w"].data<float>();
  std::fill(w + 8 * 16, w + 16 * 16, 0.0f);
  expect_fast_matches(graph, 7, -1, 1e-5);
}

TEST(SparseConv, DenseAndStridedConvolutionsStayOnTheDenseKernels) {
  const Case dense{1, 16, 6, 6, 16, true, ""};
  for (const double density : {1.0, 0.5}) {  // 0.5: too dense to pay
    FastRun r = run_fast_and_reference(pointwise_graph(dense, density, 11), 1, 11);
    ASSERT_FALSE(r.lowered.nodes.empty());
    EXPECT_NE(r.lowered.nodes[0].kernel, "sparse") << density;
  }

  ir::Graph strided = pointwise_graph({1, 16, 6, 6, 16, true, ""}, 0.1, 12);
  strided.nodes[0].attributes.set("strides", std::vector<std::int64_t>{2, 2});
  FastRun r = run_fast_and_reference(strided, 1, 12);
  ASSERT_FALSE(r.lowered.nodes.empty());
  EXPECT_NE(r.lowered.nodes[0].kernel, "sparse");
  expect_fast_matches(strided, 12);
}

}  // namespace
}  // namespace edgebench::kernels::testing
