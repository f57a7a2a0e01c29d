// Conv / ConvTranspose fast kernels against the reference kernels, awkward shapes included.
#include "fast_test_util.h"

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
  };
  std::uint64_t seed = 100;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "case c=" << c.c << " m=" << c.m << " k=" << c.k << " group=" << c.group);
    expect_fast_matches(conv_graph(c, seed), seed);
    seed += 10;
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
