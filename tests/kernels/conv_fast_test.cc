// Conv / ConvTranspose fast kernels against the reference kernels, awkward shapes included.
// On x86 with AVX2 the Conv cases run on oneDNN; ctest's kernels_conv_on_xnnpack runs them again
// on XNNPACK (EDGEBENCH_CONV=xnnpack).
#include <cstdlib>
#include <string_view>

#include "fast_test_util.h"
#include "kernels/dnnl_conv.h"

namespace edgebench::kernels::testing {
namespace {

struct ConvCase {
  std::int64_t n, c, h, w, m, k, stride, dilation, group;
  std::vector<std::int64_t> pads;  // empty: none
  std::string auto_pad = "NOTSET";
  bool bias = true;
};

ir::Graph conv_graph(const ConvCase& c, std::uint64_t seed) {
  GraphBuilder b;
  std::vector<std::string> ins = {b.input("x", {c.n, c.c, c.h, c.w}),
                                  b.weight("w", {c.m, c.c / c.group, c.k, c.k}, seed)};
  if (c.bias) ins.push_back(b.weight("b", {c.m}, seed + 1));
  ir::Node& n = b.node("Conv", ins, "y");
  n.attributes.set("strides", std::vector<std::int64_t>{c.stride, c.stride});
  n.attributes.set("dilations", std::vector<std::int64_t>{c.dilation, c.dilation});
  n.attributes.set("group", c.group);
  if (!c.pads.empty()) n.attributes.set("pads", c.pads);
  if (c.auto_pad != "NOTSET") n.attributes.set("auto_pad", c.auto_pad);
  b.output("y");
  return b.graph();
}

TEST(FastConv, MatchesReferenceOnAwkwardShapes) {
  const std::vector<ConvCase> cases = {
      {1, 1, 7, 7, 1, 3, 1, 1, 1, {1, 1, 1, 1}},
      {1, 3, 13, 11, 7, 3, 2, 1, 1, {1, 1, 1, 1}},
      {2, 7, 9, 9, 13, 3, 1, 2, 1, {2, 2, 2, 2}},
      {1, 13, 17, 15, 127, 1, 1, 1, 1, {}},
      {1, 127, 9, 9, 3, 3, 2, 1, 1, {0, 1, 0, 1}},     // padding on one side only
      {1, 12, 11, 11, 12, 3, 1, 1, 12, {1, 1, 1, 1}},  // depthwise
      {1, 12, 10, 10, 24, 5, 2, 1, 12, {2, 2, 2, 2}},  // depthwise, multiplier 2
      {1, 12, 9, 9, 6, 3, 1, 1, 3, {1, 1, 1, 1}},      // grouped
      {1, 3, 10, 9, 7, 3, 2, 1, 1, {}, "SAME_UPPER"},
      {1, 3, 10, 9, 7, 4, 2, 1, 1, {}, "SAME_LOWER", false},
      {1, 5, 8, 8, 5, 2, 2, 1, 1, {}, "VALID"},
      // Dilations larger than the map: taps that only ever read padding are dropped.
      {1, 8, 5, 5, 6, 3, 1, 6, 1, {6, 6, 6, 6}},  // only the centre tap reads the input
      {1, 4, 3, 9, 5, 3, 1, 4, 1, {4, 0, 4, 0}},  // only the centre row
      {1, 6, 6, 6, 4, 3, 2, 8, 1, {8, 8, 8, 8}},  // the centre tap, stride 2
      {2, 6, 6, 5, 6, 3, 1, 5, 3, {5, 5, 5, 5}},  // grouped, some outer taps live
  };
  std::uint64_t seed = 100;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "case c=" << c.c << " m=" << c.m << " k=" << c.k << " group=" << c.group);
    expect_fast_matches(conv_graph(c, seed), seed);
    seed += 10;
  }
}

// The largest |out - direct convolution in double, clamped to [0, 6]| over an NHWC output.
double worst_vs_direct(const DnnlConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b,
                       const std::vector<float>& out) {
  const float* xs = x.data<float>();
  const float* ws = w.data<float>();
  const std::int64_t cg = g.c_in / g.group, mg = g.c_out / g.group;
  double worst = 0;
  for (std::int64_t i = 0; i < g.n * g.oh; ++i) {
    const std::int64_t image = i / g.oh, oy = i % g.oh;
    const float* xi = xs + image * g.h * g.w * g.c_in;
    for (std::int64_t ox = 0; ox < g.ow; ++ox) {
      for (std::int64_t m = 0; m < g.c_out; ++m) {
        double acc = b.data<float>()[m];
        const std::int64_t gi = m / mg;
        for (std::int64_t c = 0; c < cg; ++c) {
          for (std::int64_t ky = 0; ky < g.kh; ++ky) {
            for (std::int64_t kx = 0; kx < g.kw; ++kx) {
              const std::int64_t iy = oy * g.sh - g.pt + ky * g.dh;
              const std::int64_t ix = ox * g.sw - g.pl + kx * g.dw;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              acc += double(xi[(iy * g.w + ix) * g.c_in + gi * cg + c]) *
                     ws[((m * cg + c) * g.kh + ky) * g.kw + kx];
            }
          }
        }
        const double want = std::min(6.0, std::max(0.0, acc));
        const double got = out[static_cast<std::size_t>((i * g.ow + ox) * g.c_out + m)];
        worst = std::max(worst, std::abs(got - want));
      }
    }
  }
  return worst;
}

// Where oneDNN is on, it really takes the common convolutions (a JIT kernel, not its reference
// code), clamps like a fused Relu6, and gives the same results at 1, 2 and 3 threads, whichever
// way the work is split: bands of rows (stride 2, padding falling to the first and last bands),
// images of a batch, or output channels of a 1x1 output (a fully connected layer). Dilated
// convolutions whose taps mostly read padding (an ASPP branch at rate 12 on a 16x16 map; rate 3
// on an odd-sized map, whose taps' windows need gathering) run tap by tap, as exactly.
TEST(FastConv, OneDnnRunsCommonConvolutionsWhereEnabled) {
  const char* choice = std::getenv("EDGEBENCH_CONV");
#if defined(__x86_64__)
  if (choice == nullptr || std::string_view(choice) != "xnnpack") {
    EXPECT_TRUE(dnnl_conv_enabled()) << "an x86 build with oneDNN on an AVX2 machine";
  }
#endif
  if (!dnnl_conv_enabled()) {
    EXPECT_FALSE(DnnlConv::create({1, 8, 8, 8, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8}, nullptr,
                                  nullptr, 0, 6, 1)
                     .value());
    return;
  }
  // With a Relu6 clamp: a 3x3 conv (32 -> 64 channels, stride 2, pads 1), a depthwise one, a
  // batch of 3, a fully connected layer, and the two dilated ones (run tap by tap).
  const std::vector<std::pair<DnnlConvGeometry, bool>> cases = {
      {{1, 15, 13, 32, 64, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, 7}, false},
      {{1, 31, 29, 64, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 31, 29}, false},
      {{3, 14, 14, 16, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 14, 14}, false},
      {{1, 1, 1, 1024, 400, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1}, false},
      {{1, 16, 16, 96, 64, 1, 3, 3, 1, 1, 12, 12, 12, 12, 12, 12, 16, 16}, true},
      {{1, 5, 7, 24, 40, 1, 3, 3, 1, 1, 3, 3, 3, 2, 3, 5, 5, 8}, true}};
  for (const auto& [g, taps] : cases) {
    const std::int64_t per_out = g.c_in / g.group * g.kh * g.kw;
    Tensor w = random_tensor(DType::kFloat32, {g.c_out * per_out}, 3, kSigned).value();
    Tensor b = random_tensor(DType::kFloat32, {g.c_out}, 4, kSigned).value();
    Tensor x = random_tensor(DType::kFloat32, {g.n * g.h * g.w * g.c_in}, 5, kSigned).value();
    std::vector<std::vector<float>> outs;
    for (int threads : {1, 2, 3}) {
      auto pool = ThreadPool::create(threads);
      ASSERT_TRUE(pool.is_ok()) << pool.status().message();
      auto conv = DnnlConv::create(g, w.data<float>(), b.data<float>(), 0.0f, 6.0f, threads);
      ASSERT_TRUE(conv.is_ok()) << conv.status().message();
      ASSERT_NE(conv.value(), nullptr) << "oneDNN has only its reference code for this case";
      EXPECT_FALSE(conv.value()->implementation().starts_with("ref"));
      EXPECT_EQ(conv.value()->implementation().starts_with("taps of"), taps)
          << conv.value()->implementation();
      if (!taps) {
        EXPECT_EQ(conv.value()->parts(), threads) << "each thread takes a part";
      }
      std::vector<float> y(static_cast<std::size_t>(g.n * g.oh * g.ow * g.c_out), -1.0f);
      ASSERT_TRUE(conv.value()->run(x.data<float>(), y.data(), pool.value().get()).is_ok());
      outs.push_back(y);
    }
    EXPECT_EQ(outs[0], outs[1]);
    EXPECT_EQ(outs[0], outs[2]);
    EXPECT_LT(worst_vs_direct(g, x, w, b, outs[0]), 1e-4) << "group " << g.group;
  }
}

TEST(FastConv, RunsOfNhwcNodesNeedOnlyTwoConversions) {
  GraphBuilder b;
  b.input("x", {1, 3, 16, 16});
  b.weight("w1", {8, 3, 3, 3}, 1);
  b.weight("w2", {8, 8, 3, 3}, 2);
  b.node("Conv", {"x", "w1"}, "c1").attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c1"}, "r1");
  b.node("Conv", {"r1", "w2"}, "c2").attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Add", {"c2", "r1"}, "sum");
  ir::Node& pool = b.node("MaxPool", {"sum"}, "p");
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  pool.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  b.node("GlobalAveragePool", {"p"}, "g");
  b.output("g");
  FastRun r = run_fast_and_reference(b.graph(), 1, 7);
  EXPECT_EQ(r.lowered.fast_nodes, 6);
  EXPECT_EQ(r.lowered.layout_conversions, 2);  // x in, g out
  expect_fast_matches(b.graph(), 7);
}

TEST(FastConvTranspose, MatchesReference) {
  struct Case {
    std::int64_t c, h, w, m, k, stride, group;
    std::vector<std::int64_t> pads, output_padding;
  };
  const std::vector<Case> cases = {
      {3, 5, 7, 7, 3, 2, 1, {1, 1, 1, 1}, {1, 1}},
      {4, 6, 6, 6, 4, 2, 2, {0, 0, 0, 0}, {0, 0}},
      {1, 9, 9, 13, 3, 1, 1, {1, 0, 1, 0}, {0, 0}},
  };
  std::uint64_t seed = 300;
  for (const Case& c : cases) {
    GraphBuilder b;
    b.input("x", {1, c.c, c.h, c.w});
    b.weight("w", {c.c, c.m / c.group, c.k, c.k}, seed);
    b.weight("b", {c.m}, seed + 1);
    ir::Node& n = b.node("ConvTranspose", {"x", "w", "b"}, "y");
    n.attributes.set("strides", std::vector<std::int64_t>{c.stride, c.stride});
    n.attributes.set("pads", c.pads);
    n.attributes.set("output_padding", c.output_padding);
    n.attributes.set("group", c.group);
    b.output("y");
    expect_fast_matches(b.graph(), seed);
    seed += 10;
  }
}

}  // namespace
}  // namespace edgebench::kernels::testing
