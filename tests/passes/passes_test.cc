// Each pass keeps the graph's outputs and makes the structural change it promises.
#include <gtest/gtest.h>

#include <cmath>

#include "edgebench/core/random.h"
#include "edgebench/engine/plan.h"
#include "edgebench/passes/pass.h"

namespace edgebench::passes {
namespace {

Tensor random_float(const Shape& shape, std::uint64_t seed, double low = -1, double high = 1) {
  return *random_tensor(DType::kFloat32, shape, seed, {.low = low, .high = high});
}

ir::Node node(std::string name, std::string op, std::vector<std::string> inputs,
              std::vector<std::string> outputs) {
  ir::Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

// x -> Conv(w, [b]) -> BatchNormalization -> Relu -> y, channels C, groups g.
ir::Graph conv_bn_graph(std::int64_t channels, std::int64_t groups, bool bias, std::uint64_t seed) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  const std::int64_t in_channels = 2 * groups;
  g.value_info["x"] = {DType::kFloat32, Shape{1, in_channels, 7, 9}, {}};
  g.initializers["w"] = random_float({channels, in_channels / groups, 3, 3}, seed);
  std::vector<std::string> conv_inputs = {"x", "w"};
  if (bias) {
    g.initializers["b"] = random_float({channels}, seed + 1);
    conv_inputs.push_back("b");
  }
  ir::Node conv = node("conv", "Conv", conv_inputs, {"c"});
  conv.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  conv.attributes.set("group", groups);
  g.nodes.push_back(conv);
  g.initializers["scale"] = random_float({channels}, seed + 2, 0.5, 2.0);
  g.initializers["beta"] = random_float({channels}, seed + 3);
  g.initializers["mean"] = random_float({channels}, seed + 4);
  g.initializers["var"] = random_float({channels}, seed + 5, 0.1, 3.0);
  ir::Node bn = node("bn", "BatchNormalization", {"c", "scale", "beta", "mean", "var"}, {"n"});
  bn.attributes.set("epsilon", 1e-3f);
  g.nodes.push_back(bn);
  g.nodes.push_back(node("relu", "Relu", {"n"}, {"y"}));
  g.outputs = {"y"};
  return g;
}

Tensor run(const ir::Graph& g, const Tensor& x) {
  auto plan = engine::Plan::compile(g, engine::builtin_registry());
  EXPECT_TRUE(plan.is_ok()) << plan.status().to_string();
  std::vector<Tensor> out(1);
  EXPECT_TRUE((*plan)->run(std::span<const Tensor>(&x, 1), out).is_ok());
  return out[0];
}

double max_relative_error(const Tensor& a, const Tensor& b) {
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < b.element_count(); ++i) {
    diff = std::max(diff, std::fabs(a.element_as_double(i) - b.element_as_double(i)));
    scale = std::max(scale, std::fabs(b.element_as_double(i)));
  }
  return scale > 0 ? diff / scale : diff;
}

TEST(BatchNormFolding, FoldsIntoConvAndKeepsOutputs) {
  auto folding = make_batchnorm_folding();
  auto dce = make_dead_node_elimination();
  const Pass* pipeline[] = {folding.get(), dce.get()};
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const std::int64_t groups = seed % 3 == 0 ? 2 : 1;
    const std::int64_t channels = groups * (seed % 2 ? 7 : 3);
    const bool bias = seed % 2 == 0;
    ir::Graph g = conv_bn_graph(channels, groups, bias, seed);
    const Tensor x = random_float({1, 2 * groups, 7, 9}, seed + 100);
    const Tensor before = run(g, x);
    auto rounds = run_to_fixed_point(g, pipeline);
    ASSERT_TRUE(rounds.is_ok()) << rounds.status().to_string();
    EXPECT_GE(*rounds, 1);
    ASSERT_EQ(g.nodes.size(), 2u) << "seed " << seed;
    EXPECT_EQ(g.nodes[0].op_type, "Conv");
    EXPECT_EQ(g.nodes[0].outputs[0], "n");
    EXPECT_EQ(g.nodes[1].op_type, "Relu");
    // The old weights and BatchNormalization statistics are gone; only the folded pair stays.
    EXPECT_EQ(g.initializers.size(), 2u) << "seed " << seed;
    const Tensor after = run(g, x);
    EXPECT_LE(max_relative_error(after, before), 1e-5) << "seed " << seed;
  }
}

TEST(BatchNormFolding, LeavesSharedOrNonConstantConvAlone) {
  auto folding = make_batchnorm_folding();
  ir::Graph shared = conv_bn_graph(3, 1, true, 9);
  shared.outputs.push_back("c");  // the Conv output is read outside the BatchNormalization
  EXPECT_FALSE(*folding->run(shared));
  ir::Graph dynamic_weights = conv_bn_graph(3, 1, true, 9);
  dynamic_weights.initializers.erase("w");
  dynamic_weights.inputs.push_back("w");
  dynamic_weights.value_info["w"] = {DType::kFloat32, Shape{3, 2, 3, 3}, {}};
  EXPECT_FALSE(*folding->run(dynamic_weights));
  ir::Graph training = conv_bn_graph(3, 1, true, 9);
  training.nodes[1].attributes.set("training_mode", std::int64_t{1});
  EXPECT_FALSE(*folding->run(training));
}

TEST(DeadNodeElimination, RemovesUnreadBranchesAndInitializers) {
  ir::Graph g = conv_bn_graph(3, 1, false, 4);
  g.initializers["unused"] = random_float({5}, 1);
  g.nodes.push_back(node("dead1", "Relu", {"c"}, {"d1"}));
  g.nodes.push_back(node("dead2", "Relu", {"d1"}, {"d2"}));
  const Tensor x = random_float({1, 2, 7, 9}, 8);
  const Tensor before = run(g, x);
  auto dce = make_dead_node_elimination();
  EXPECT_TRUE(*dce->run(g));
  EXPECT_EQ(g.nodes.size(), 3u);
  EXPECT_FALSE(g.is_initializer("unused"));
  EXPECT_FALSE(*dce->run(g));  // nothing left to remove
  EXPECT_EQ(max_relative_error(run(g, x), before), 0.0);
}

}  // namespace
}  // namespace edgebench::passes
