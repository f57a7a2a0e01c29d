// The block-sparse 1x1 convolution (src/kernels/sparse_conv.h): chosen for block-pruned weights
// on CPUs with AVX2 and FMA (width 8) or AVX-512 (width 16), left alone for dense ones, and equal
// to the reference convolution on awkward channel and pixel counts, with and without bias and a
// fused clamp, at both widths.
#include "kernels/sparse_conv.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string_view>

#include "fast_test_util.h"

namespace edgebench::kernels::testing {
namespace {

// Keeps round(density * blocks) of the `width` x 1 blocks of W [m, c] (output group g, input k),
// chosen by a seeded shuffle, and zeroes the others.
void keep_blocks(Tensor& w, std::int64_t width, double density, std::uint64_t seed) {
  const std::int64_t m = w.dim(0), c = w.dim(1);
  const std::int64_t groups = (m + width - 1) / width;
  std::vector<std::int64_t> blocks(static_cast<std::size_t>(groups * c));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), std::mt19937_64(seed));
  const auto kept = static_cast<std::size_t>(std::llround(density * double(blocks.size())));
  float* data = w.data<float>();
  for (std::size_t i = kept; i < blocks.size(); ++i) {
    const std::int64_t g = blocks[i] / c, k = blocks[i] % c;
    for (std::int64_t r = g * width; r < std::min(m, (g + 1) * width); ++r) data[r * c + k] = 0.0f;
  }
}

struct Case {
  std::int64_t n, c, h, w, m;
  bool bias;
  std::string activation;  // "", "Relu" or "Clip" (0, 6): absorbed into the convolution
};

ir::Graph pointwise_graph(const Case& c, std::int64_t width, double density, std::uint64_t seed) {
  GraphBuilder b;
  b.input("x", {c.n, c.c, c.h, c.w});
  b.weight("w", {c.m, c.c, 1, 1}, seed);
  keep_blocks(b.graph().initializers["w"], width, density, seed);
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

bool has_sparse_kernel() {
  const char* choice = std::getenv("EDGEBENCH_SPARSE");
  const bool off = choice != nullptr && std::string_view(choice) == "off";
  return !off && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// y = clamp(bias + W x) in double, x [pixels, c], W [m, c].
std::vector<double> direct(const std::vector<float>& x, const std::vector<float>& w,
                           const std::vector<float>& bias, std::int64_t pixels, std::int64_t m,
                           std::int64_t c, float lo, float hi) {
  std::vector<double> y(static_cast<std::size_t>(pixels * m));
  for (std::int64_t p = 0; p < pixels; ++p) {
    for (std::int64_t o = 0; o < m; ++o) {
      double acc = bias[static_cast<std::size_t>(o)];
      for (std::int64_t k = 0; k < c; ++k) {
        acc +=
            double(x[static_cast<std::size_t>(p * c + k)]) * w[static_cast<std::size_t>(o * c + k)];
      }
      y[static_cast<std::size_t>(p * m + o)] = std::clamp(acc, double(lo), double(hi));
    }
  }
  return y;
}

TEST(SparseConv, BlockDensityCountsBlocksWithANonzero) {
  // W [10, 3]: groups of 8 and 2 rows. Group 0 keeps input 1 (one nonzero in row 5); group 1
  // keeps inputs 0 and 2.
  std::vector<float> w(30, 0.0f);
  w[5 * 3 + 1] = 1.0f;
  w[8 * 3 + 0] = -2.0f;
  w[9 * 3 + 2] = 0.5f;
  EXPECT_DOUBLE_EQ(block_density(w.data(), 10, 3, 8), 3.0 / 6.0);
  EXPECT_DOUBLE_EQ(block_density(w.data(), 10, 3, 16), 3.0 / 3.0);  // one group of 16
  std::vector<float> dense(30, 1.0f);
  EXPECT_DOUBLE_EQ(block_density(dense.data(), 10, 3, 8), 1.0);
  EXPECT_DOUBLE_EQ(block_density(std::vector<float>(30, 0.0f).data(), 10, 3, 16), 0.0);
}

TEST(SparseConv, BothWidthsMatchTheDirectSumWithinRounding) {
  // Each width's vector kernel where the CPU has it, its portable loop elsewhere; 8 pixels make a
  // tile, so 21 pixels leave a partial one.
  const std::int64_t pixels = 21, c = 40, m = 37;
  for (const std::int64_t width : {8, 16}) {
    Tensor wt = random_tensor(DType::kFloat32, {m, c}, 51, kSigned).value();
    keep_blocks(wt, width, 0.2, 52);
    const std::vector<float> w(wt.data<float>(), wt.data<float>() + m * c);
    const Tensor xt = random_tensor(DType::kFloat32, {pixels, c}, 53, kSigned).value();
    const std::vector<float> x(xt.data<float>(), xt.data<float>() + pixels * c);
    const Tensor bt = random_tensor(DType::kFloat32, {m}, 54, kSigned).value();
    const std::vector<float> bias(bt.data<float>(), bt.data<float>() + m);
    const SparseConv1x1 conv(w.data(), bias.data(), m, c, width, -0.5f, 0.75f);
    EXPECT_EQ(conv.width(), width);
    EXPECT_NEAR(conv.density(), 0.2, 0.01);
    std::vector<float> y(static_cast<std::size_t>(pixels * m), NAN);
    conv.run(x.data(), y.data(), pixels, nullptr);
    const std::vector<double> want = direct(x, w, bias, pixels, m, c, -0.5f, 0.75f);
    for (std::size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], want[i], 1e-5) << "width " << width << " element " << i;
    }
  }
}

TEST(SparseConv, MatchesReferenceOnAwkwardShapes) {
  const std::vector<Case> cases = {
      {1, 16, 8, 8, 32, true, ""},      // whole tiles and groups
      {1, 13, 5, 7, 37, true, "Relu"},  // 35 pixels, a partial group
      {2, 24, 3, 3, 8, false, "Clip"},  // batch 2, 18 pixels
      {1, 40, 1, 1, 12, true, ""},      // one pixel: only the portable tail
      {1, 64, 6, 6, 96, true, "Clip"},  // MobileNet-like expansion
  };
  // 8x1 blocks at 20% and 16x1 blocks at 10%: the lowering picks the width the CPU has (both
  // widths' vector kernels are checked on their own above).
  const std::pair<std::int64_t, double> patterns[] = {{8, 0.2}, {16, 0.1}};
  std::uint64_t seed = 300;
  for (const auto& [width, density] : patterns) {
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message() << "blocks " << width << "x1, c=" << c.c << " m=" << c.m
                                        << " pixels=" << c.h * c.w);
      const ir::Graph graph = pointwise_graph(c, width, density, seed);
      expect_fast_matches(graph, seed, -1, 1e-5);
      FastRun r = run_fast_and_reference(graph, 1, seed);
      ASSERT_FALSE(r.lowered.nodes.empty());
      EXPECT_EQ(r.lowered.nodes[0].kernel == "sparse", has_sparse_kernel())
          << r.lowered.nodes[0].kernel;
      seed += 10;
    }
  }
}

TEST(SparseConv, EmptyGroupsGiveTheBias) {
  // Every block of the second group of 8 is zero: its outputs are the (clamped) bias.
  const Case c{1, 16, 4, 4, 16, true, "Relu"};
  ir::Graph graph = pointwise_graph(c, 8, 0.2, 7);
  float* w = graph.initializers["w"].data<float>();
  std::fill(w + 8 * 16, w + 16 * 16, 0.0f);  // output channels 8-15
  expect_fast_matches(graph, 7, -1, 1e-5);
}

TEST(SparseConv, DenseAndStridedConvolutionsStayOnTheDenseKernels) {
  const Case dense{1, 16, 6, 6, 16, true, ""};
  for (const double density : {1.0, 0.5}) {  // 0.5: too dense to pay
    FastRun r = run_fast_and_reference(pointwise_graph(dense, 8, density, 11), 1, 11);
    ASSERT_FALSE(r.lowered.nodes.empty());
    EXPECT_NE(r.lowered.nodes[0].kernel, "sparse") << density;
  }

  ir::Graph strided = pointwise_graph({1, 16, 6, 6, 16, true, ""}, 8, 0.1, 12);
  strided.nodes[0].attributes.set("strides", std::vector<std::int64_t>{2, 2});
  FastRun r = run_fast_and_reference(strided, 1, 12);
  ASSERT_FALSE(r.lowered.nodes.empty());
  EXPECT_NE(r.lowered.nodes[0].kernel, "sparse");
  expect_fast_matches(strided, 12);
}

}  // namespace
}  // namespace edgebench::kernels::testing
