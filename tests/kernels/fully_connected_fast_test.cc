// Gemm / MatMul (FullyConnected) fast kernels against the reference kernels.
#include "fast_test_util.h"

namespace edgebench::kernels::testing {
namespace {

TEST(FastFullyConnected, GemmVariants) {
  struct Case {
    std::int64_t m, k, n;
    bool trans_b;
    float alpha, beta;
    Shape c;  // empty: no C
  };
  const std::vector<Case> cases = {
      {1, 7, 13, false, 1.0f, 1.0f, {13}},     {3, 127, 5, true, 1.0f, 1.0f, {1, 5}},
      {2, 1, 3, true, 0.5f, 2.0f, {}},         {4, 9, 1, false, 1.0f, -1.0f, {1}},
      {5, 33, 17, true, 2.0f, 0.25f, {1, 17}},
  };
  std::uint64_t seed = 500;
  for (const Case& c : cases) {
    GraphBuilder b;
    std::vector<std::string> ins = {
        b.input("a", {c.m, c.k}),
        b.weight("b", c.trans_b ? Shape{c.n, c.k} : Shape{c.k, c.n}, seed)};
    if (!c.c.empty()) ins.push_back(b.weight("c", c.c, seed + 1));
    ir::Node& n = b.node("Gemm", ins, "y");
    n.attributes.set("transB", std::int64_t{c.trans_b ? 1 : 0});
    n.attributes.set("alpha", c.alpha);
    n.attributes.set("beta", c.beta);
    b.output("y");
    SCOPED_TRACE(::testing::Message() << "m=" << c.m << " k=" << c.k << " n=" << c.n);
    expect_fast_matches(b.graph(), seed);
    seed += 10;
  }
}

TEST(FastFullyConnected, MatMulWithLeadingBatchDims) {
  GraphBuilder b;
  b.input("a", {2, 3, 7, 13});
  b.weight("w", {13, 9}, 1);
  b.node("MatMul", {"a", "w"}, "y");
  b.output("y");
  expect_fast_matches(b.graph(), 11);
}

TEST(FastFullyConnected, GemmWithPerRowBiasOrTransposedAStaysOnReference) {
  GraphBuilder b;
  b.input("a", {3, 4});
  b.weight("w", {4, 5}, 1);
  b.weight("c", {3, 1}, 2);
  b.node("Gemm", {"a", "w", "c"}, "y");
  b.output("y");
  FastRun r = run_fast_and_reference(b.graph(), 1, 3);
  ASSERT_EQ(r.lowered.nodes.size(), 1u);
  EXPECT_FALSE(r.lowered.nodes[0].fast);
  EXPECT_EQ(r.lowered.nodes[0].reason, "C must broadcast along rows");
  EXPECT_LE(max_relative_error(r.fast[0], r.reference[0]), 1e-6);

  GraphBuilder t;
  t.input("a", {4, 3});
  t.weight("w", {4, 5}, 1);
  t.node("Gemm", {"a", "w"}, "y").attributes.set("transA", std::int64_t{1});
  t.output("y");
  expect_fast_matches(t.graph(), 4, 0);
}

TEST(FastFullyConnected, NonConstantWeightsStayOnReference) {
  GraphBuilder b;
  b.input("a", {3, 4});
  b.input("w", {4, 5});
  b.node("MatMul", {"a", "w"}, "y");
  b.output("y");
  FastRun r = run_fast_and_reference(b.graph(), 1, 3);
  ASSERT_EQ(r.lowered.nodes.size(), 1u);
  EXPECT_EQ(r.lowered.nodes[0].kernel, "reference");
  EXPECT_EQ(r.lowered.nodes[0].reason, "B must be a float32 rank-2 constant");
}

}  // namespace
}  // namespace edgebench::kernels::testing
