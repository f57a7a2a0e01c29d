// Whole-graph layout: blocks of the common vision architectures lower with the fewest layout
// conversions (none inside a run of ops that all run in NHWC: one in, one per output), and their
// outputs match the reference plan.
#include <cmath>

#include "fast_test_util.h"

namespace edgebench::kernels::testing {
namespace {

Tensor int64s(std::vector<std::int64_t> values) {
  Tensor t = Tensor::allocate(DType::kInt64, {static_cast<std::int64_t>(values.size())}).value();
  std::copy(values.begin(), values.end(), t.data<std::int64_t>());
  return t;
}

Tensor floats(std::vector<float> values) {
  Tensor t = Tensor::allocate(DType::kFloat32, {static_cast<std::int64_t>(values.size())}).value();
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

// x -> Conv (k x k, same padding, dilation d) -> out.
ir::Node& conv(GraphBuilder& b, const std::string& x, const std::string& out, std::int64_t in_c,
               std::int64_t out_c, std::int64_t k, std::uint64_t seed, std::int64_t dilation = 1,
               std::int64_t stride = 1) {
  b.weight(out + "_w", {out_c, in_c, k, k}, seed);
  b.weight(out + "_b", {out_c}, seed + 1);
  ir::Node& n = b.node("Conv", {x, out + "_w", out + "_b"}, out);
  const std::int64_t p = (k - 1) / 2 * dilation;
  n.attributes.set("pads", std::vector<std::int64_t>{p, p, p, p});
  n.attributes.set("dilations", std::vector<std::int64_t>{dilation, dilation});
  n.attributes.set("strides", std::vector<std::int64_t>{stride, stride});
  return n;
}

// x -> BatchNormalization (seeded statistics, variance > 0) -> out.
void batch_norm(GraphBuilder& b, const std::string& x, const std::string& out, std::int64_t c,
                std::uint64_t seed) {
  b.weight(out + "_gamma", {c}, seed);
  b.weight(out + "_beta", {c}, seed + 1);
  b.weight(out + "_mean", {c}, seed + 2);
  Tensor var = random_tensor(DType::kFloat32, {c}, seed + 3, kSigned).value();
  for (std::int64_t i = 0; i < c; ++i) var.data<float>()[i] = 0.5f + std::abs(var.data<float>()[i]);
  b.constant(out + "_var", var);
  b.node("BatchNormalization", {x, out + "_gamma", out + "_beta", out + "_mean", out + "_var"}, out)
      .attributes.set("epsilon", 1e-3f);
}

// Lowers and checks the conversion count, then the outputs against the reference plan.
void expect_layout(const ir::Graph& graph, int conversions, int fast_nodes, std::uint64_t seed) {
  FastRun r = run_fast_and_reference(graph, 1, seed);
  EXPECT_EQ(r.lowered.layout_conversions, conversions) << "seed " << seed;
  expect_fast_matches(graph, seed, fast_nodes);
}

// MobileNetV3's squeeze-excitation: the pooled, gated channel scale multiplies the block input.
TEST(Layout, SqueezeExcitationStaysNhwc) {
  GraphBuilder b(14);
  b.input("x", {1, 13, 9, 11});
  conv(b, "x", "c", 13, 16, 3, 10);
  b.node("GlobalAveragePool", {"c"}, "g");
  conv(b, "g", "s1", 16, 4, 1, 20);
  b.node("Relu", {"s1"}, "r");
  conv(b, "r", "s2", 4, 16, 1, 30);
  ir::Node& gate = b.node("HardSigmoid", {"s2"}, "h");
  gate.attributes.set("alpha", 1.0f / 6);
  gate.attributes.set("beta", 0.5f);
  b.node("Mul", {"c", "h"}, "y");
  b.output("y");
  expect_layout(b.graph(), 2, -1, 1);  // x in, y out
}

// Pre-activation residual block: BN -> ReLU -> Conv twice, plus the block input. Taking the
// input's layout node by node would convert x twice (plain for BN, NHWC for the Add).
TEST(Layout, PreActivationBlockConvertsTheInputOnce) {
  GraphBuilder b;
  b.input("x", {2, 8, 7, 9});
  batch_norm(b, "x", "bn1", 8, 100);
  b.node("Relu", {"bn1"}, "r1");
  conv(b, "r1", "c1", 8, 8, 3, 110);
  batch_norm(b, "c1", "bn2", 8, 120);
  b.node("Relu", {"bn2"}, "r2");
  conv(b, "r2", "c2", 8, 8, 3, 130);
  b.node("Add", {"c2", "x"}, "y");
  b.output("y");
  expect_layout(b.graph(), 2, -1, 2);
}

// DeepLabV3's ASPP: parallel dilated convolutions and a pooled branch resized back, concatenated
// over channels and projected.
TEST(Layout, AsppBlockStaysNhwc) {
  GraphBuilder b(13);
  b.input("x", {1, 16, 12, 10});
  conv(b, "x", "a0", 16, 8, 1, 200);
  conv(b, "x", "a1", 16, 8, 3, 210, 2);
  conv(b, "x", "a2", 16, 8, 3, 220, 3);
  b.node("GlobalAveragePool", {"x"}, "g");
  conv(b, "g", "gc", 16, 8, 1, 230);
  b.node("Relu", {"gc"}, "gr");
  b.constant("sizes", int64s({1, 8, 12, 10}));
  b.node("Resize", {"gr", "", "", "sizes"}, "up").attributes.set("mode", std::string("linear"));
  b.node("Concat", {"a0", "a1", "a2", "up"}, "cat").attributes.set("axis", std::int64_t{1});
  conv(b, "cat", "proj", 32, 8, 1, 240);
  batch_norm(b, "proj", "y", 8, 250);
  b.output("y");
  expect_layout(b.graph(), 2, -1, 3);
}

// A feature pyramid: lateral 1x1 convolutions, nearest 2x upsampling of the coarser level and an
// Add, then 3x3 output convolutions on both levels.
TEST(Layout, FpnWithNearestUpsamplingStaysNhwc) {
  GraphBuilder b(13);
  b.input("x", {1, 8, 16, 14});
  conv(b, "x", "f1", 8, 12, 3, 300);
  conv(b, "f1", "f2", 12, 24, 3, 310, 1, 2);
  conv(b, "f1", "l1", 12, 16, 1, 320);
  conv(b, "f2", "l2", 24, 16, 1, 330);
  b.constant("scales", floats({1, 1, 2, 2}));
  ir::Node& up = b.node("Resize", {"l2", "", "scales"}, "u");
  up.attributes.set("mode", std::string("nearest"));
  up.attributes.set("coordinate_transformation_mode", std::string("asymmetric"));
  up.attributes.set("nearest_mode", std::string("floor"));
  b.node("Add", {"l1", "u"}, "p1");
  conv(b, "p1", "out1", 16, 16, 3, 340);
  conv(b, "l2", "out2", 16, 16, 3, 350);
  b.output("out1");
  b.output("out2");
  // x in, one per output; the nearest Resize runs on its reference kernel on NHWC data.
  expect_layout(b.graph(), 3, 7, 4);
}

// The FPN's extra level: a 1x1 max pool with stride 2 subsamples in NHWC between convolutions.
TEST(Layout, StridedOneByOnePoolStaysNhwc) {
  GraphBuilder b(13);
  b.input("x", {1, 4, 9, 8});
  conv(b, "x", "c", 4, 6, 3, 360);
  ir::Node& pool = b.node("MaxPool", {"c"}, "p");
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{1, 1});
  pool.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  conv(b, "p", "y", 6, 5, 3, 370);
  b.output("y");
  expect_layout(b.graph(), 2, 2, 11);
}

// ShuffleNet-style channel split: Split and Slice over channels, a branch, Concat back.
TEST(Layout, ChannelSplitAndSliceStayNhwc) {
  GraphBuilder b(13);
  b.input("x", {1, 4, 9, 9});
  conv(b, "x", "c", 4, 16, 3, 400);
  b.constant("halves", int64s({8, 8}));
  ir::Node& split = b.node("Split", {"c", "halves"}, "s0");
  split.outputs = {"s0", "s1"};
  split.attributes.set("axis", std::int64_t{1});
  conv(b, "s1", "t", 8, 8, 1, 410);
  b.constant("starts", int64s({2}));
  b.constant("ends", int64s({6}));
  b.constant("axes", int64s({1}));
  b.node("Slice", {"s0", "starts", "ends", "axes"}, "q");
  b.node("Tanh", {"q"}, "qt");
  b.node("Concat", {"qt", "t"}, "cat").attributes.set("axis", std::int64_t{1});
  conv(b, "cat", "y", 12, 8, 1, 420);
  b.output("y");
  // Split, Slice and Tanh run on their reference kernels on NHWC data.
  expect_layout(b.graph(), 2, 4, 5);
}

// ShuffleNet's channel shuffle (Reshape, Transpose, Reshape) runs as one NHWC channel shuffle.
TEST(Layout, ChannelShuffleStaysNhwc) {
  GraphBuilder b(13);
  b.input("x", {2, 3, 5, 7});
  conv(b, "x", "c", 3, 12, 3, 450);
  b.constant("grouped", int64s({2, 3, 4, 5, 7}));
  b.node("Reshape", {"c", "grouped"}, "g");
  b.node("Transpose", {"g"}, "t").attributes.set("perm", std::vector<std::int64_t>{0, 2, 1, 3, 4});
  b.constant("flat", int64s({2, -1, 5, 7}));
  b.node("Reshape", {"t", "flat"}, "s");
  conv(b, "s", "y", 12, 4, 1, 460);
  b.output("y");
  expect_layout(b.graph(), 2, -1, 10);
}

// A classifier head: the spatial mean (without keepdims) and a 1x1 image's Flatten read the NHWC
// copy directly, so only the input is converted.
TEST(Layout, ClassifierHeadsNeedNoConversionOut) {
  for (const bool reduce : {true, false}) {
    GraphBuilder b(13);
    b.input("x", {2, 3, 8, 8});
    conv(b, "x", "c", 3, 16, 3, 500);
    if (reduce) {
      ir::Node& mean = b.node("ReduceMean", {"c"}, "f");
      mean.attributes.set("axes", std::vector<std::int64_t>{2, 3});
      mean.attributes.set("keepdims", std::int64_t{0});
    } else {
      b.node("GlobalAveragePool", {"c"}, "g");
      b.node("Flatten", {"g"}, "f");
    }
    b.weight("fc_w", {5, 16}, 510);
    b.weight("fc_b", {5}, 511);
    b.node("Gemm", {"f", "fc_w", "fc_b"}, "y").attributes.set("transB", std::int64_t{1});
    b.output("y");
    SCOPED_TRACE(reduce ? "ReduceMean" : "GlobalAveragePool + Flatten");
    expect_layout(b.graph(), 1, 3, 6);
  }
}

// Layout-agnostic ops between nodes that need the graph's layout stay there.
TEST(Layout, AgnosticOpsAwayFromNhwcStayPlain) {
  GraphBuilder b(13);
  b.input("x", {1, 6, 5, 5});
  batch_norm(b, "x", "bn", 6, 600);
  b.node("Tanh", {"bn"}, "t");
  b.node("HardSigmoid", {"t"}, "h").attributes.set("alpha", 0.3f);
  b.node("Sigmoid", {"h"}, "y");
  b.output("y");
  expect_layout(b.graph(), 0, 3, 7);
}

// A value that a graph output and a plain reader both want is converted once.
TEST(Layout, ValueReadInBothLayoutsConvertsOnce) {
  GraphBuilder b(13);
  b.input("x", {1, 5, 6, 7});
  conv(b, "x", "c", 5, 7, 3, 700);
  b.node("Softmax", {"c"}, "y");  // over W: the graph's layout
  b.output("y");
  b.output("c");
  expect_layout(b.graph(), 2, -1, 8);
}

// A reduction over channels (its axes permuted) and the broadcast Sub after it stay in NHWC
// between two convolutions.
TEST(Layout, ChannelReductionStaysNhwc) {
  GraphBuilder b(13);
  b.input("x", {1, 5, 6, 7});
  conv(b, "x", "c", 5, 7, 3, 800);
  ir::Node& max = b.node("ReduceMax", {"c"}, "m");
  max.attributes.set("axes", std::vector<std::int64_t>{1});
  max.attributes.set("keepdims", std::int64_t{1});
  b.node("Sub", {"c", "m"}, "d");
  conv(b, "d", "y", 7, 3, 1, 810);
  b.output("y");
  expect_layout(b.graph(), 2, 3, 9);
}

}  // namespace
}  // namespace edgebench::kernels::testing
