// Constant folding: nodes on initializers become initializers (same names), outputs stay
// bit-equal on seeded random inputs, and random ops, unsupported or failing nodes and nodes
// over the size cap stay nodes.
#include <gtest/gtest.h>

#include "passes_test_util.h"

namespace edgebench::passes {
namespace {

using test::expect_same_outputs;
using test::find_node;
using test::make_node;
using test::random_float;
using test::random_inputs;
using test::run_graph;

ir::Graph graph_with_input(const Shape& x_shape) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, x_shape, {}};
  return g;
}

// Runs `pass` (then dead-node elimination) and checks bit-equal outputs on seeded inputs.
void fold_and_compare(ir::Graph& g, const Pass& pass, std::uint64_t seed) {
  const std::vector<Tensor> inputs = random_inputs(g, seed);
  const std::vector<Tensor> before = run_graph(g, inputs);
  auto dce = make_dead_node_elimination();
  const Pass* pipeline[] = {&pass, dce.get()};
  auto rounds = run_to_fixed_point(g, pipeline);
  ASSERT_TRUE(rounds.is_ok()) << rounds.status().to_string();
  EXPECT_GE(*rounds, 1) << "seed " << seed;
  EXPECT_TRUE(ir::validate(g).is_ok());
  expect_same_outputs(run_graph(g, inputs), before, "seed " + std::to_string(seed));
}

TEST(ConstantFolding, FoldsArithmeticOnInitializers) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    // s = (a + b) * 2 folds in one call; y = x * s stays.
    ir::Graph g = graph_with_input({2, 3, 5});
    g.initializers["a"] = random_float({3, 5}, seed);
    g.initializers["b"] = random_float({5}, seed + 10);
    g.initializers["two"] = Tensor::scalar(DType::kFloat32, 2.0f);
    g.nodes.push_back(make_node("add", "Add", {"a", "b"}, {"sum"}));
    g.nodes.push_back(make_node("double", "Mul", {"sum", "two"}, {"s"}));
    g.nodes.push_back(make_node("scale", "Mul", {"x", "s"}, {"y"}));
    g.outputs = {"y"};
    auto folding = make_constant_folding();
    ir::Graph once = g;
    auto changed = folding->run(once);
    ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
    EXPECT_TRUE(*changed);
    ASSERT_EQ(once.nodes.size(), 1u);
    EXPECT_EQ(once.nodes[0].name, "scale");
    EXPECT_TRUE(once.is_initializer("sum"));
    EXPECT_TRUE(once.is_initializer("s"));
    EXPECT_EQ(once.initializers.at("s").shape(), (Shape{3, 5}));
    EXPECT_FALSE(*folding->run(once));

    fold_and_compare(g, *folding, seed);
    ASSERT_EQ(g.nodes.size(), 1u);
    // Dead-node elimination dropped the inputs of the folded nodes.
    EXPECT_EQ(g.initializers.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(g.is_initializer("s"));
  }
}

TEST(ConstantFolding, FoldsConstantNodes) {
  ir::Graph g = graph_with_input({4});
  ir::Node constant = make_node("k", "Constant", {}, {"k"});
  constant.attributes.set("value", random_float({4}, 5));
  g.nodes.push_back(constant);
  g.nodes.push_back(make_node("add", "Add", {"x", "k"}, {"y"}));
  g.outputs = {"y"};
  auto folding = make_constant_folding();
  fold_and_compare(g, *folding, 5);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "Add");
  ASSERT_TRUE(g.is_initializer("k"));
  EXPECT_EQ(g.initializers.at("k").shape(), (Shape{4}));
}

TEST(ConstantFolding, FoldsTransposedConvWeights) {
  // Weights stored as [kh, kw, in, out] (as some converters write them), transposed to OIHW.
  ir::Graph g = graph_with_input({1, 3, 7, 6});
  g.initializers["w_hwio"] = random_float({3, 3, 3, 5}, 6);
  ir::Node transpose = make_node("to_oihw", "Transpose", {"w_hwio"}, {"w"});
  transpose.attributes.set("perm", std::vector<std::int64_t>{3, 2, 0, 1});
  g.nodes.push_back(transpose);
  g.nodes.push_back(make_node("conv", "Conv", {"x", "w"}, {"y"}));
  g.outputs = {"y"};
  auto folding = make_constant_folding();
  fold_and_compare(g, *folding, 6);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "conv");
  EXPECT_EQ(g.nodes[0].inputs[1], "w");
  ASSERT_EQ(g.initializers.size(), 1u);
  EXPECT_EQ(g.initializers.at("w").shape(), (Shape{5, 3, 3, 3}));
}

TEST(ConstantFolding, FoldsNodesThatProduceGraphOutputs) {
  ASSERT_TRUE(ir::validate([] {
                ir::Graph g;
                g.initializers["a"] = Tensor::scalar(DType::kFloat32, 1.0f);
                g.outputs = {"a"};
                return g;
              }())
                  .is_ok());
  ir::Graph g = graph_with_input({3});
  g.initializers["a"] = random_float({3}, 7);
  g.nodes.push_back(make_node("neg", "Neg", {"a"}, {"constant_out"}));
  g.nodes.push_back(make_node("relu", "Relu", {"x"}, {"y"}));
  g.outputs = {"y", "constant_out"};
  auto folding = make_constant_folding();
  fold_and_compare(g, *folding, 7);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_TRUE(g.is_initializer("constant_out"));
}

TEST(ConstantFolding, LeavesRandomOpsAlone) {
  ir::Graph g = graph_with_input({2, 2});
  g.initializers["like"] = random_float({2, 2}, 8);
  g.nodes.push_back(make_node("noise", "RandomUniformLike", {"like"}, {"r"}));
  ir::Node normal = make_node("normal", "RandomNormal", {}, {"n"});
  normal.attributes.set("shape", std::vector<std::int64_t>{2, 2});
  g.nodes.push_back(normal);
  g.nodes.push_back(make_node("add", "Add", {"x", "r"}, {"s"}));
  g.nodes.push_back(make_node("add2", "Add", {"s", "n"}, {"y"}));
  g.outputs = {"y"};
  auto changed = make_constant_folding()->run(g);
  ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
  EXPECT_FALSE(*changed);
  EXPECT_EQ(g.nodes.size(), 4u);
  EXPECT_FALSE(g.is_initializer("r"));
  EXPECT_FALSE(g.is_initializer("n"));
}

TEST(ConstantFolding, RespectsTheSizeCap) {
  // ConstantOfShape [1000] float32 makes 4000 bytes; Add on [300] floats makes 1200.
  auto build = [] {
    ir::Graph g = graph_with_input({1000});
    g.initializers["shape"] =
        Tensor::vector<std::int64_t>(DType::kInt64, std::vector<std::int64_t>{1000});
    ir::Node fill = make_node("fill", "ConstantOfShape", {"shape"}, {"ones"});
    fill.attributes.set("value", Tensor::vector<float>(DType::kFloat32, std::vector<float>{1}));
    g.nodes.push_back(fill);
    g.nodes.push_back(make_node("add", "Add", {"x", "ones"}, {"y"}));
    g.initializers["a"] = random_float({300}, 9);
    g.nodes.push_back(make_node("small", "Neg", {"a"}, {"z"}));
    g.outputs = {"y", "z"};
    return g;
  };
  ir::Graph none = build();
  auto changed = make_constant_folding(1000)->run(none);
  ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
  EXPECT_FALSE(*changed);
  EXPECT_EQ(none.nodes.size(), 3u);

  ir::Graph small_only = build();
  ASSERT_TRUE(*make_constant_folding(3999)->run(small_only));
  EXPECT_EQ(small_only.nodes.size(), 2u);
  EXPECT_NE(find_node(small_only, "fill"), nullptr);
  EXPECT_TRUE(small_only.is_initializer("z"));

  ir::Graph both = build();
  auto folding = make_constant_folding(4000);  // the cap is inclusive
  fold_and_compare(both, *folding, 9);
  ASSERT_EQ(both.nodes.size(), 1u);
  EXPECT_EQ(both.nodes[0].name, "add");
}

TEST(ConstantFolding, LeavesUnsupportedAndFailingNodesAlone) {
  ir::Graph g = graph_with_input({2});
  g.initializers["a"] = random_float({6}, 10);
  g.initializers["bad_shape"] =
      Tensor::vector<std::int64_t>(DType::kInt64, std::vector<std::int64_t>{4, 2});
  // Reshape of 6 elements to [4, 2] fails in the engine; the node stays for it to report.
  g.nodes.push_back(make_node("reshape", "Reshape", {"a", "bad_shape"}, {"r"}));
  g.nodes.push_back(make_node("custom", "NotAnOnnxOp", {"a"}, {"u"}));
  g.nodes.push_back(make_node("relu", "Relu", {"x"}, {"y"}));
  g.outputs = {"y", "r", "u"};
  auto changed = make_constant_folding()->run(g);
  ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
  EXPECT_FALSE(*changed);
  EXPECT_EQ(g.nodes.size(), 3u);
  EXPECT_FALSE(g.is_initializer("r"));
  EXPECT_FALSE(g.is_initializer("u"));
}

TEST(ConstantFolding, ReportsACyclicGraphWithoutChangingIt) {
  ir::Graph g = graph_with_input({2});
  g.nodes.push_back(make_node("a", "Relu", {"q"}, {"p"}));
  g.nodes.push_back(make_node("b", "Relu", {"p"}, {"q"}));
  g.outputs = {"q"};
  auto changed = make_constant_folding()->run(g);
  EXPECT_FALSE(changed.is_ok());
  EXPECT_EQ(g.nodes.size(), 2u);
}

}  // namespace
}  // namespace edgebench::passes
