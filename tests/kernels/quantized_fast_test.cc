// Integer fast kernels (XNNPACK qc8 / qu8 / qs8) against the reference engine's integer
// arithmetic: QLinearConv (per-channel and per-tensor weights, awkward shapes), with an integer
// Clip folded in, QLinearMatMul, QuantizeLinear / DequantizeLinear, int8 MaxPool and Concat.
// Results must equal the reference or be at most one unit off where rounding modes differ.
// Where oneDNN's int8 convolutions are exact (VNNI) the QLinearConv cases run on oneDNN; ctest's
// kernels_conv_on_xnnpack runs them again on XNNPACK (EDGEBENCH_CONV=xnnpack).
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <string_view>

#include "fast_test_util.h"
#include "kernels/dnnl_qconv.h"

namespace edgebench::kernels::testing {
namespace {

Tensor scalar(DType dtype, double v) {
  Tensor t = Tensor::allocate(dtype, {}).value();
  switch (dtype) {
    case DType::kFloat32: t.data<float>()[0] = static_cast<float>(v); break;
    case DType::kInt8: t.data<std::int8_t>()[0] = static_cast<std::int8_t>(v); break;
    default: t.data<std::uint8_t>()[0] = static_cast<std::uint8_t>(v); break;
  }
  return t;
}

Tensor int_weights(DType dtype, Shape shape, std::uint64_t seed) {
  RandomSpec spec;
  spec.int_low = dtype == DType::kInt8 ? -127 : 0;
  spec.int_high = dtype == DType::kInt8 ? 127 : 255;
  return random_tensor(dtype, shape, seed, spec).value();
}

// Max |a - b| over two integer tensors of the same shape.
int max_int_difference(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return 1 << 20;
  int diff = 0;
  for (std::int64_t i = 0; i < a.element_count(); ++i) {
    const int x = a.dtype() == DType::kInt8 ? a.data<std::int8_t>()[i] : a.data<std::uint8_t>()[i];
    const int y = b.dtype() == DType::kInt8 ? b.data<std::int8_t>()[i] : b.data<std::uint8_t>()[i];
    diff = std::max(diff, std::abs(x - y));
  }
  return diff;
}

// Runs both plans; every output must be within one integer unit (float outputs: one step of
// `step`), and every node must have been lowered.
void expect_int_matches(const ir::Graph& graph, std::uint64_t seed, double step) {
  for (int threads : {1, 2}) {
    FastRun r = run_fast_and_reference(graph, threads, seed);
    ASSERT_EQ(r.fast.size(), r.reference.size());
    for (std::size_t i = 0; i < r.lowered.nodes.size(); ++i) {
      EXPECT_TRUE(r.lowered.nodes[i].fast)
          << graph.nodes[i].describe() << ": " << r.lowered.nodes[i].reason;
    }
    for (std::size_t o = 0; o < r.fast.size(); ++o) {
      ASSERT_EQ(r.fast[o].shape(), r.reference[o].shape());
      if (r.fast[o].dtype() == DType::kFloat32) {
        double diff = 0;
        for (std::int64_t i = 0; i < r.fast[o].element_count(); ++i) {
          diff = std::max(diff, std::abs(double(r.fast[o].data<float>()[i]) -
                                         double(r.reference[o].data<float>()[i])));
        }
        EXPECT_LE(diff, step * 1.0001) << "output " << o << " seed " << seed;
      } else {
        EXPECT_LE(max_int_difference(r.fast[o], r.reference[o]), 1)
            << "output " << o << " threads " << threads << " seed " << seed;
      }
    }
  }
}

struct QConvCase {
  DType dtype;
  std::int64_t c, h, w, m, k, stride, dilation, group;
  bool per_channel;
  std::vector<std::int64_t> pads;
  bool clip = false;
};

// x (float) -> QuantizeLinear -> QLinearConv [-> Clip] -> outputs: q (int) and DequantizeLinear.
ir::Graph qconv_graph(const QConvCase& c, std::uint64_t seed) {
  GraphBuilder b;
  const DType t = c.dtype;
  const bool s8 = t == DType::kInt8;
  b.input("x", {1, c.c, c.h, c.w});
  b.constant("xs", scalar(DType::kFloat32, 1.0 / 64));
  b.constant("xz", scalar(t, s8 ? 3 : 131));
  b.node("QuantizeLinear", {"x", "xs", "xz"}, "xq");
  b.constant("w", int_weights(t, {c.m, c.c / c.group, c.k, c.k}, seed));
  const std::int64_t n = c.c / c.group * c.k * c.k;
  Tensor ws = Tensor::allocate(DType::kFloat32, {c.per_channel ? c.m : 1}).value();
  for (std::int64_t i = 0; i < ws.element_count(); ++i) {
    ws.data<float>()[i] = static_cast<float>((0.5 + 0.5 * ((i * 7919) % 13) / 13.0) / 127.0);
  }
  b.constant("ws", ws);
  Tensor wz = Tensor::allocate(t, {}).value();
  if (s8) {
    wz.data<std::int8_t>()[0] = 0;
  } else {
    wz.data<std::uint8_t>()[0] = 128;
  }
  b.constant("wz", wz);
  const double y_scale = 3.0 * std::sqrt(static_cast<double>(n) / 9.0) / 127.0 * (s8 ? 1 : 0.5);
  b.constant("ys", scalar(DType::kFloat32, y_scale));
  b.constant("yz", scalar(t, s8 ? -5 : 120));
  Tensor bias = random_tensor(DType::kInt32, {c.m}, seed + 1, {0, 1, -2000, 2000}).value();
  b.constant("bias", bias);
  ir::Node& conv = b.node("QLinearConv", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"},
                          c.clip ? "yc" : "y");
  conv.attributes.set("strides", std::vector<std::int64_t>{c.stride, c.stride});
  conv.attributes.set("dilations", std::vector<std::int64_t>{c.dilation, c.dilation});
  conv.attributes.set("group", c.group);
  if (!c.pads.empty()) conv.attributes.set("pads", c.pads);
  if (c.clip) {
    b.constant("lo", scalar(t, s8 ? -5 : 120));
    b.constant("hi", scalar(t, s8 ? 100 : 230));
    b.node("Clip", {"yc", "lo", "hi"}, "y");
  }
  b.node("DequantizeLinear", {"y", "ys", "yz"}, "yf");
  b.output("y");
  b.output("yf");
  return b.graph();
}

TEST(FastQuantized, QLinearConvMatchesTheIntegerReference) {
  const std::vector<QConvCase> cases = {
      {DType::kInt8, 1, 7, 7, 1, 3, 1, 1, 1, true, {1, 1, 1, 1}},
      {DType::kInt8, 3, 13, 11, 7, 3, 2, 1, 1, true, {1, 1, 1, 1}, true},
      {DType::kInt8, 7, 9, 9, 13, 3, 1, 2, 1, false, {2, 2, 2, 2}},
      {DType::kInt8, 13, 9, 7, 127, 1, 1, 1, 1, true, {}},
      {DType::kInt8, 127, 9, 9, 3, 3, 2, 1, 1, true, {0, 1, 0, 1}, true},
      {DType::kInt8, 12, 11, 11, 12, 3, 1, 1, 12, true, {1, 1, 1, 1}, true},  // depthwise
      {DType::kInt8, 12, 9, 9, 6, 3, 1, 1, 3, true, {1, 1, 1, 1}},            // grouped
      {DType::kUInt8, 3, 13, 11, 7, 3, 2, 1, 1, false, {1, 1, 1, 1}},
      {DType::kUInt8, 8, 9, 9, 8, 3, 1, 1, 8, false, {1, 1, 1, 1}, true},
  };
  std::uint64_t seed = 2000;
  for (const QConvCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << dtype_name(c.dtype) << " c=" << c.c << " m=" << c.m
                                      << " k=" << c.k << " group=" << c.group);
    const ir::Graph g = qconv_graph(c, seed);
    const double step = g.initializers.at("ys").data<float>()[0];
    expect_int_matches(g, seed, step);
    FastRun r = run_fast_and_reference(g, 1, seed);
    // The Clip folds into the convolution: no node of its own in the lowered graph.
    for (const ir::Node& n : r.lowered.graph.nodes) EXPECT_NE(n.op_type, "Clip");
    seed += 10;
  }
}

// The oneDNN int8 convolution directly, against an integer reference computed here: a 3x3
// stride-2 convolution (7 -> 24 channels, odd sizes), a 1x1 one and a depthwise one, with zero
// points, a bias and a clamp. It must pick a JIT implementation wherever oneDNN is enabled. Where
// it is exact (VNNI) it must be within one output step; on plain AVX2 oneDNN halves the weights
// (rounding), so each odd weight may contribute |x - x_zp| to the accumulator's error: the test
// bounds the error by that, and dnnl_qconv_enabled() must then be off unless asked for.
TEST(FastQuantized, OneDnnRunsInt8ConvolutionsWhereEnabled) {
  const char* conv_choice = std::getenv("EDGEBENCH_CONV");
  const char* qconv_choice = std::getenv("EDGEBENCH_QCONV");
  const bool xnnpack_asked =
      (conv_choice != nullptr && std::string_view(conv_choice) == "xnnpack") ||
      (qconv_choice != nullptr && std::string_view(qconv_choice) == "xnnpack");
  const bool dnnl_asked = qconv_choice != nullptr && std::string_view(qconv_choice) == "dnnl";
  if (dnnl_conv_enabled() && !xnnpack_asked) {
    EXPECT_EQ(dnnl_qconv_enabled(), dnnl_qconv_exact() || dnnl_asked);
  } else {
    EXPECT_FALSE(dnnl_qconv_enabled());
  }
  struct Case {
    DnnlConvGeometry g;
    std::int32_t x_zp, y_zp, out_min, out_max;
  };
  const std::vector<Case> cases = {
      {{1, 15, 13, 7, 24, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, 7}, 5, -3, -128, 127},
      {{1, 9, 11, 40, 17, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 9, 11}, -7, 4, -3, 127},
      {{1, 15, 13, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 15, 13}, 0, -10, -10, 90}};
  std::uint64_t seed = 300;
  for (const Case& c : cases) {
    const DnnlConvGeometry& g = c.g;
    SCOPED_TRACE(::testing::Message() << "c_in=" << g.c_in << " c_out=" << g.c_out
                                      << " group=" << g.group << " seed " << seed);
    const std::int64_t cg = g.c_in / g.group, mg = g.c_out / g.group;
    const std::int64_t per_out = cg * g.kh * g.kw;
    const Tensor w = int_weights(DType::kInt8, {g.c_out * per_out}, seed);
    const Tensor b = random_tensor(DType::kInt32, {g.c_out}, seed + 1, {0, 1, -3000, 3000}).value();
    const Tensor x = int_weights(DType::kInt8, {g.n * g.h * g.w * g.c_in}, seed + 2);
    DnnlQConvParams params{
        g, w.data<std::int8_t>(), b.data<std::int32_t>(), {}, c.x_zp, c.y_zp, c.out_min, c.out_max,
        1};
    // An output step of about a tenth of the accumulator's spread, so that few outputs clamp.
    for (std::int64_t m = 0; m < g.c_out; ++m) {
      params.requantization_scales.push_back(
          static_cast<float>(10.0 / (74.0 * 73.0 * std::sqrt(double(per_out))) * (1 + m % 3)));
    }
    if (!dnnl_conv_enabled()) {
      EXPECT_EQ(DnnlQConv::create(params).value(), nullptr);
      return;
    }
    std::vector<std::vector<std::int8_t>> outs;
    for (int threads : {1, 2}) {
      params.threads = threads;
      auto pool = ThreadPool::create(threads);
      ASSERT_TRUE(pool.is_ok()) << pool.status().message();
      auto conv = DnnlQConv::create(params);
      ASSERT_TRUE(conv.is_ok()) << conv.status().message();
      ASSERT_NE(conv.value(), nullptr) << "oneDNN has only its reference code for this case";
      EXPECT_FALSE(conv.value()->implementation().starts_with("ref"))
          << conv.value()->implementation();
      std::vector<std::int8_t> y(static_cast<std::size_t>(g.n * g.oh * g.ow * g.c_out), 0);
      ASSERT_TRUE(conv.value()->run(x.data<std::int8_t>(), y.data(), pool.value().get()).is_ok());
      outs.push_back(y);
    }
    EXPECT_EQ(outs[0], outs[1]);
    const std::int8_t* xs = x.data<std::int8_t>();
    const std::int8_t* ws = w.data<std::int8_t>();
    double worst_excess = -1e9;
    int worst = 0;
    for (std::int64_t oy = 0; oy < g.oh; ++oy) {
      for (std::int64_t ox = 0; ox < g.ow; ++ox) {
        for (std::int64_t m = 0; m < g.c_out; ++m) {
          std::int64_t acc = b.data<std::int32_t>()[m];
          std::int64_t odd_weight_input = 0;  // sum of |x - x_zp| over taps with odd weights
          const std::int64_t gi = m / mg;
          for (std::int64_t ci = 0; ci < cg; ++ci) {
            for (std::int64_t ky = 0; ky < g.kh; ++ky) {
              for (std::int64_t kx = 0; kx < g.kw; ++kx) {
                const std::int64_t iy = oy * g.sh - g.pt + ky * g.dh;
                const std::int64_t ix = ox * g.sw - g.pl + kx * g.dw;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const std::int64_t xv = xs[(iy * g.w + ix) * g.c_in + gi * cg + ci] - c.x_zp;
                const std::int64_t wv = ws[((m * cg + ci) * g.kh + ky) * g.kw + kx];
                acc += xv * wv;
                if (wv % 2 != 0) odd_weight_input += std::abs(xv);
              }
            }
          }
          const double scale = params.requantization_scales[static_cast<std::size_t>(m)];
          const double expected = std::clamp(std::nearbyint(double(acc) * scale) + c.y_zp,
                                             double(c.out_min), double(c.out_max));
          const int got = outs[0][static_cast<std::size_t>((oy * g.ow + ox) * g.c_out + m)];
          const double diff = std::abs(got - expected);
          worst = std::max(worst, static_cast<int>(diff));
          const double allowed =
              dnnl_qconv_exact() ? 1.0 : 1.0 + scale * static_cast<double>(odd_weight_input);
          worst_excess = std::max(worst_excess, diff - allowed);
        }
      }
    }
    EXPECT_LE(worst_excess, 0.0) << "largest difference " << worst << " output steps";
    if (dnnl_qconv_exact()) {
      EXPECT_LE(worst, 1);
    }
    seed += 10;
  }
}

TEST(FastQuantized, QLinearMatMul) {
  for (DType t : {DType::kInt8, DType::kUInt8}) {
    const bool s8 = t == DType::kInt8;
    GraphBuilder b;
    b.input("a", {3, 37});
    b.constant("as", scalar(DType::kFloat32, 1.0 / 100));
    b.constant("az", scalar(t, s8 ? 0 : 128));
    b.node("QuantizeLinear", {"a", "as", "az"}, "aq");
    b.constant("b", int_weights(t, {37, 11}, 5));
    b.constant("bs", scalar(DType::kFloat32, 1.0 / 127));
    b.constant("bz", scalar(t, s8 ? 0 : 127));
    b.constant("ys", scalar(DType::kFloat32, 0.02));
    b.constant("yz", scalar(t, s8 ? 1 : 130));
    b.node("QLinearMatMul", {"aq", "as", "az", "b", "bs", "bz", "ys", "yz"}, "y");
    b.output("y");
    SCOPED_TRACE(dtype_name(t));
    expect_int_matches(b.graph(), 6, 0);
  }
}

TEST(FastQuantized, Int8MaxPoolConcatAndClampStayInteger) {
  GraphBuilder b;
  b.input("x", {1, 5, 9, 9});
  b.constant("s", scalar(DType::kFloat32, 1.0 / 64));
  b.constant("z", scalar(DType::kInt8, -7));
  b.node("QuantizeLinear", {"x", "s", "z"}, "q");
  ir::Node& pool = b.node("MaxPool", {"q"}, "p");
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  pool.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  pool.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  ir::Node& pool2 = b.node("MaxPool", {"q"}, "p2");
  pool2.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  pool2.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  pool2.attributes.set("pads", std::vector<std::int64_t>{0, 0, 1, 1});
  b.node("Concat", {"p", "p2"}, "cat").attributes.set("axis", std::int64_t{1});
  b.constant("lo", scalar(DType::kInt8, -20));
  b.constant("hi", scalar(DType::kInt8, 40));
  b.node("Clip", {"cat", "lo", "hi"}, "clipped");
  b.node("DequantizeLinear", {"clipped", "s", "z"}, "y");
  b.output("clipped");
  b.output("y");
  expect_int_matches(b.graph(), 8, 0);  // pooling, concat and clamp are exact
  FastRun r = run_fast_and_reference(b.graph(), 1, 8);
  // q to NHWC; clipped out, which the Dequantize then reads in the graph layout.
  EXPECT_EQ(r.lowered.layout_conversions, 2);
}

TEST(FastQuantized, QuantizeDequantizeRoundTrip) {
  for (DType t : {DType::kInt8, DType::kUInt8}) {
    GraphBuilder b;
    b.input("x", {2, 3, 5, 7});
    b.constant("s", scalar(DType::kFloat32, 0.013));
    b.constant("z", scalar(t, t == DType::kInt8 ? 10 : 140));
    b.node("QuantizeLinear", {"x", "s", "z"}, "q");
    b.node("DequantizeLinear", {"q", "s", "z"}, "y");
    b.output("q");
    b.output("y");
    SCOPED_TRACE(dtype_name(t));
    expect_int_matches(b.graph(), 9, 0);  // both round half to even: exact
  }
}

}  // namespace
}  // namespace edgebench::kernels::testing

namespace edgebench::kernels::testing {
namespace {

// DequantizeLinear(qa), DequantizeLinear(qb) -> Add [-> Relu] -> QuantizeLinear "y", with the
// scales of MobileNetV2's block_2_add as `edgebench optimize --quantize int8` writes them (s1, z1
// for qa; s2, z2 for qb; sy, zy for y), as exact floats: some sums of int8 pairs fall exactly on
// a half step there.
void add_block2_qdq_add(GraphBuilder& b, const std::string& qa, const std::string& qb, bool relu) {
  b.constant("s1", scalar(DType::kFloat32, 0x1.3ce50ap-6));
  b.constant("z1", scalar(DType::kInt8, -1));
  b.constant("s2", scalar(DType::kFloat32, 0x1.3098bcp-6));
  b.constant("z2", scalar(DType::kInt8, 0));
  b.constant("sy", scalar(DType::kFloat32, 0x1.af97bcp-6));
  b.constant("zy", scalar(DType::kInt8, -1));
  b.node("DequantizeLinear", {qa, "s1", "z1"}, "d1");
  b.node("DequantizeLinear", {qb, "s2", "z2"}, "d2");
  b.node("Add", {"d1", "d2"}, "sum");
  if (relu) b.node("Relu", {"sum"}, "pre");
  b.node("QuantizeLinear", {relu ? "pre" : "sum", "sy", "zy"}, "y");
  b.output("y");
}

// One QAdd in the lowered graph, and its output exactly the reference's.
void expect_one_exact_qadd(const FastRun& r, const std::string& where) {
  int adds = 0;
  for (const ir::Node& n : r.lowered.graph.nodes) adds += n.op_type == "QAdd";
  EXPECT_EQ(adds, 1) << where;
  ASSERT_EQ(r.fast.size(), 1u) << where;
  EXPECT_EQ(max_int_difference(r.fast[0], r.reference[0]), 0) << where;
}

// Two quantized branches added in int8: DequantizeLinear x2 -> Add [-> Relu] -> QuantizeLinear
// becomes one integer addition, and the DequantizeLinear nodes disappear.
// A same-shape QDQ addition over the whole int8 range gives exactly the reference's result
// (dequantize, add in float, quantize with round half to even), not only within a step: an
// off-by-one in a residual addition grows through a deep int8 network.
TEST(FastQuantized, QdqAddMatchesTheReferenceExactly) {
  for (bool relu : {false, true}) {
    GraphBuilder b;
    b.input("x", {1, 32, 32, 64});
    b.input("x2", {1, 32, 32, 64});
    // Inputs spread over [-3, 3): every int8 value on both sides, saturated ends included.
    b.constant("six", scalar(DType::kFloat32, 6.0));
    b.constant("three", scalar(DType::kFloat32, 3.0));
    for (const char* in : {"x", "x2"}) {
      b.node("Mul", {in, "six"}, std::string(in) + "_wide");
      b.node("Sub", {std::string(in) + "_wide", "three"}, std::string(in) + "_centered");
    }
    b.node("QuantizeLinear", {"x_centered", "s1", "z1"}, "q1");
    b.node("QuantizeLinear", {"x2_centered", "s2", "z2"}, "q2");
    add_block2_qdq_add(b, "q1", "q2", relu);
    for (std::uint64_t seed : {1, 2, 3}) {
      expect_one_exact_qadd(run_fast_and_reference(b.graph(), 1, seed),
                            fmt::format("relu {} seed {}", relu, seed));
    }
  }
}

// Every pair of int8 inputs, with the scales of MobileNetV2's block_2_add, where some sums fall
// exactly on a half step (-50 and -56: -75.5 before the zero point). XNNPACK's fixed-point
// addition rounded that one the other way. Three layouts: [256, 1] + [1, 256] (broadcast rows),
// the same pairs flat (one row split over two threads), and [256, 256] + [256] (a broadcast row).
TEST(FastQuantized, QAddMatchesTheReferenceOnEveryPairOfInputs) {
  struct Layout {
    Shape a, b;
  };
  const Layout layouts[] = {{{256, 1}, {1, 256}}, {{65536}, {65536}}, {{256, 256}, {256}}};
  for (bool relu : {false, true}) {
    for (const Layout& layout : layouts) {
      GraphBuilder b;
      b.input("qa", layout.a, DType::kInt8);
      b.input("qb", layout.b, DType::kInt8);
      add_block2_qdq_add(b, "qa", "qb", relu);
      // 256 elements: every int8 value. 65536: every pair, a's value in the high byte.
      std::vector<Tensor> inputs{Tensor::allocate(DType::kInt8, layout.a).value(),
                                 Tensor::allocate(DType::kInt8, layout.b).value()};
      for (int k = 0; k < 2; ++k) {
        std::int8_t* v = inputs[k].data<std::int8_t>();
        const std::int64_t n = inputs[k].element_count();
        for (std::int64_t i = 0; i < n; ++i) {
          v[i] = static_cast<std::int8_t>((n > 256 && k == 0 ? i / 256 : i % 256) - 128);
        }
      }
      expect_one_exact_qadd(run_fast_and_reference(b.graph(), 2, inputs),
                            fmt::format("relu {} a {}", relu, shape_to_string(layout.a)));
    }
  }
}

// QuantizeLinear on the fast path divides by the scale and rounds half to even as the reference
// does: multiplying by the reciprocal instead puts some values one step off, and an off-by-one
// early in a deep int8 network grows into percent-level differences at the logits.
TEST(FastQuantized, QuantizeMatchesTheReferenceExactly) {
  GraphBuilder b;
  b.input("x", {1, 64, 64, 16});
  b.constant("six", scalar(DType::kFloat32, 6.0));
  b.constant("three", scalar(DType::kFloat32, 3.0));
  b.constant("s", scalar(DType::kFloat32, 0.02634233));
  b.constant("z", scalar(DType::kInt8, -1));
  b.node("Mul", {"x", "six"}, "wide");
  b.node("Sub", {"wide", "three"}, "centered");
  b.node("QuantizeLinear", {"centered", "s", "z"}, "y");
  b.output("y");
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    FastRun r = run_fast_and_reference(b.graph(), 1, seed);
    int quantizes = 0;
    for (const ir::Node& n : r.lowered.graph.nodes) quantizes += n.op_type == "Quantize";
    EXPECT_EQ(quantizes, 1);
    ASSERT_EQ(r.fast.size(), 1u);
    EXPECT_EQ(max_int_difference(r.fast[0], r.reference[0]), 0) << "seed " << seed;
  }
}

TEST(FastQuantized, QdqAddBecomesAnIntegerAdd) {
  for (bool relu : {false, true}) {
    for (bool behind_conv : {false, true}) {
      GraphBuilder b;
      b.input("x", {1, 7, 5, 9});
      b.constant("s1", scalar(DType::kFloat32, 1.0 / 50));
      b.constant("z1", scalar(DType::kInt8, 3));
      b.constant("s2", scalar(DType::kFloat32, 1.0 / 70));
      b.constant("z2", scalar(DType::kInt8, -4));
      b.constant("sy", scalar(DType::kFloat32, 1.0 / 40));
      b.constant("zy", scalar(DType::kInt8, -10));
      b.node("QuantizeLinear", {"x", "s1", "z1"}, "q1");
      std::string second = "q1";
      if (behind_conv) {  // the second branch is an int8 QLinearConv output (NHWC)
        b.constant("w", int_weights(DType::kInt8, {7, 7, 3, 3}, 4));
        b.constant("ws", scalar(DType::kFloat32, 1.0 / 127));
        b.constant("wz", scalar(DType::kInt8, 0));
        b.node("QLinearConv", {"q1", "s1", "z1", "w", "ws", "wz", "s2", "z2"}, "c")
            .attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
        second = "c";
      } else {
        b.node("QuantizeLinear", {"x", "s2", "z2"}, "q2");
        second = "q2";
      }
      b.node("DequantizeLinear", {"q1", "s1", "z1"}, "d1");
      b.node("DequantizeLinear", {second, "s2", "z2"}, "d2");
      b.node("Add", {"d1", "d2"}, "sum");
      std::string pre_q = "sum";
      if (relu) {
        b.node("Relu", {"sum"}, "r");
        pre_q = "r";
      }
      b.node("QuantizeLinear", {pre_q, "sy", "zy"}, "y");
      b.output("y");
      SCOPED_TRACE(::testing::Message() << "relu " << relu << " conv " << behind_conv);
      expect_int_matches(b.graph(), 12, 0);
      FastRun r = run_fast_and_reference(b.graph(), 1, 12);
      int adds = 0;
      for (const ir::Node& n : r.lowered.graph.nodes) {
        adds += n.op_type == "QAdd";
        EXPECT_NE(n.op_type, "Dequantize");
        EXPECT_NE(n.op_type, "Add");
      }
      EXPECT_EQ(adds, 1);
    }
  }
}

}  // namespace
}  // namespace edgebench::kernels::testing
