// Elementwise fast kernels (binary with broadcasting, activations, PRelu, Softmax) against the
// reference kernels, both on their own (NCHW) and behind a convolution (NHWC, where constant
// operands are permuted by the lowering).
#include "fast_test_util.h"

namespace edgebench::kernels::testing {
namespace {

// x -> Conv (3x3, same) -> "c" [1, m, h, w] in NHWC.
void conv_front(GraphBuilder& b, std::int64_t c, std::int64_t m, std::int64_t h, std::int64_t w) {
  b.input("x", {1, c, h, w});
  b.weight("w", {m, c, 3, 3}, 41);
  b.node("Conv", {"x", "w"}, "c").attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
}

TEST(FastBinary, BroadcastingInNchwAndNhwc) {
  const std::vector<std::string> ops = {"Add", "Sub", "Mul", "Div"};
  const std::vector<Shape> constants = {{},  {1},    {7, 1, 1},   {1, 7, 1, 1},
                                        {9}, {5, 9}, {1, 7, 5, 9}};
  std::uint64_t seed = 900;
  for (const std::string& op : ops) {
    for (const Shape& s : constants) {
      // Behind a conv: NHWC with a permuted constant.
      GraphBuilder b;
      conv_front(b, 3, 7, 5, 9);
      Tensor k = random_tensor(DType::kFloat32, s, seed, kSigned).value();
      if (op == "Div") {
        for (std::int64_t i = 0; i < k.element_count(); ++i) k.data<float>()[i] += 2.0f;
      }
      b.constant("k", k);
      b.node(op, {"c", "k"}, "y");
      b.output("y");
      SCOPED_TRACE(::testing::Message() << op << " constant " << shape_to_string(s));
      expect_fast_matches(b.graph(), seed);
      // On its own: two activations broadcasting in NCHW.
      GraphBuilder p;
      p.input("a", {2, 7, 5, 9});
      p.input("b", s.empty() ? Shape{1} : s);
      p.node(op, {"a", "b"}, "y");
      p.output("y");
      expect_fast_matches(p.graph(), seed + 1, 1, op == "Div" ? 1e-3 : 1e-4);
      seed += 10;
    }
  }
}

TEST(FastBinary, TwoNhwcActivations) {
  GraphBuilder b;
  conv_front(b, 3, 13, 7, 7);
  b.weight("w2", {13, 13, 1, 1}, 2);
  b.node("Conv", {"c", "w2"}, "d");
  b.node("Add", {"c", "d"}, "y");
  b.output("y");
  FastRun r = run_fast_and_reference(b.graph(), 1, 5);
  EXPECT_EQ(r.lowered.layout_conversions, 2);
  expect_fast_matches(b.graph(), 5);
}

TEST(FastUnary, ActivationsInBothLayouts) {
  struct Case {
    std::string op;
    std::int64_t opset;
    std::vector<std::pair<std::string, float>> attrs;
    std::vector<float> bounds;  // Clip opset >= 11 inputs
  };
  const std::vector<Case> cases = {
      {"Relu", 13, {}, {}},
      {"Clip", 6, {{"min", -0.3f}, {"max", 0.4f}}, {}},
      {"Clip", 13, {}, {0.0f, 0.5f}},
      {"Clip", 13, {}, {-0.2f}},
      {"HardSwish", 14, {}, {}},
      {"Sigmoid", 13, {}, {}},
      {"LeakyRelu", 13, {{"alpha", 0.2f}}, {}},
      {"Elu", 13, {{"alpha", 0.7f}}, {}},
  };
  std::uint64_t seed = 1200;
  for (const Case& c : cases) {
    for (bool behind_conv : {false, true}) {
      GraphBuilder b(c.opset);
      std::string x = "x";
      if (behind_conv) {
        conv_front(b, 3, 13, 7, 9);
        x = "c";
      } else {
        b.input("x", {2, 13, 7, 9});
      }
      std::vector<std::string> ins = {x};
      for (std::size_t i = 0; i < c.bounds.size(); ++i) {
        Tensor t = Tensor::allocate(DType::kFloat32, {}).value();
        t.data<float>()[0] = c.bounds[i];
        ins.push_back(b.constant(i == 0 ? "lo" : "hi", t));
      }
      ir::Node& n = b.node(c.op, ins, "y");
      for (const auto& [name, v] : c.attrs) n.attributes.set(name, v);
      b.output("y");
      SCOPED_TRACE(::testing::Message() << c.op << " opset " << c.opset << " conv " << behind_conv);
      expect_fast_matches(b.graph(), seed++);
    }
  }
}

TEST(FastPRelu, PerChannelAndScalarSlopes) {
  for (Shape slope : {Shape{13, 1, 1}, Shape{1, 13, 1, 1}, Shape{1}}) {
    GraphBuilder b;
    conv_front(b, 3, 13, 5, 7);
    b.weight("s", slope, 3);
    b.node("PRelu", {"c", "s"}, "y");
    b.output("y");
    expect_fast_matches(b.graph(), 31);
  }
  GraphBuilder b;
  b.input("x", {3, 17});
  b.weight("s", {17}, 3);
  b.node("PRelu", {"x", "s"}, "y");
  b.output("y");
  expect_fast_matches(b.graph(), 32);
}

TEST(FastSoftmax, LastAxisAndFlattenedAxis) {
  GraphBuilder b(13);
  b.input("x", {3, 1000});
  b.node("Softmax", {"x"}, "y");
  b.output("y");
  expect_fast_matches(b.graph(), 41);

  GraphBuilder old(11);
  old.input("x", {2, 3, 4, 5});
  old.node("Softmax", {"x"}, "y").attributes.set("axis", std::int64_t{1});
  old.output("y");
  expect_fast_matches(old.graph(), 42);

  GraphBuilder inner(13);
  inner.input("x", {2, 3, 4});
  inner.node("Softmax", {"x"}, "y").attributes.set("axis", std::int64_t{1});
  inner.output("y");
  expect_fast_matches(inner.graph(), 43, 0);
}

}  // namespace
}  // namespace edgebench::kernels::testing

namespace edgebench::kernels::testing {
namespace {

TEST(FastLowering, ActivationAfterAddOrConvFoldsIntoIt) {
  GraphBuilder b;
  conv_front(b, 3, 8, 6, 6);   // c = Conv(x)
  b.node("Relu", {"c"}, "r");  // folds into the Conv
  b.weight("w2", {8, 8, 1, 1}, 5);
  b.node("Conv", {"r", "w2"}, "d");
  b.node("Add", {"d", "r"}, "s");
  b.node("Clip", {"s"}, "y");  // opset 13 Clip without bounds: folds into the Add
  b.node("Relu", {"d"}, "z");  // d has two readers: not folded
  b.output("y");
  b.output("z");
  FastRun r = run_fast_and_reference(b.graph(), 1, 51);
  int clamps = 0;
  for (const ir::Node& n : r.lowered.graph.nodes) clamps += n.op_type == "Clamp";
  EXPECT_EQ(clamps, 1);
  expect_fast_matches(b.graph(), 51);
}

}  // namespace
}  // namespace edgebench::kernels::testing
