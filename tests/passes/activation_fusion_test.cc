// Activation fusion: the structural change (one FusedConv / FusedGemm named like the Conv, with
// the activation's output and bounds) and bit-equal outputs before and after, on seeded random
// inputs; and the cases it must leave alone.
#include <gtest/gtest.h>

#include <limits>

#include "edgebench/engine/fused_ops.h"
#include "passes_test_util.h"

namespace edgebench::passes {
namespace {

using test::expect_same_outputs;
using test::make_node;
using test::random_float;
using test::random_inputs;
using test::run_graph;

// x [1, 3, 7, 9] -> Conv (5 output channels, 3x3, pads 1, bias) -> "c"; the caller adds the
// activation(s) and the graph outputs.
ir::Graph conv_graph(std::int64_t opset, std::uint64_t seed) {
  ir::Graph g;
  g.opset_imports = {{"", opset}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 3, 7, 9}, {}};
  g.initializers["w"] = random_float({5, 3, 3, 3}, seed);
  g.initializers["b"] = random_float({5}, seed + 1);
  ir::Node conv = make_node("conv", "Conv", {"x", "w", "b"}, {"c"});
  conv.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(conv);
  return g;
}

// x [4, 7] -> Gemm (B [5, 7] with transB, C [5]) -> "c".
ir::Graph gemm_graph(std::uint64_t seed) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{4, 7}, {}};
  g.initializers["w"] = random_float({5, 7}, seed);
  g.initializers["bias"] = random_float({5}, seed + 1);
  ir::Node gemm = make_node("fc", "Gemm", {"x", "w", "bias"}, {"c"});
  gemm.attributes.set("transB", std::int64_t{1});
  gemm.attributes.set("alpha", 0.75f);
  g.nodes.push_back(gemm);
  return g;
}

std::optional<float> float_attribute(const ir::Node& node, std::string_view name) {
  const ir::AttributeValue* v = node.attributes.find(name);
  if (v == nullptr || !std::holds_alternative<float>(*v)) return std::nullopt;
  return std::get<float>(*v);
}

std::int64_t edgebench_imports(const ir::Graph& g) {
  std::int64_t count = 0;
  for (const ir::OpsetImport& o : g.opset_imports) {
    if (o.domain == engine::kEdgebenchDomain) {
      ++count;
      EXPECT_EQ(o.version, engine::kEdgebenchOpset);
    }
  }
  return count;
}

struct Expected {
  std::string_view op;
  std::string name;
  std::string output = "y";
  std::optional<float> min;
  std::optional<float> max;
};

// Runs the pass; checks it fused everything into the one node `expected` and that the outputs
// are bit-equal on seeded random inputs in [low, high).
void expect_fused(ir::Graph g, const Expected& expected, std::uint64_t seed, double low = -1,
                  double high = 1) {
  const std::vector<Tensor> inputs = random_inputs(g, seed, low, high);
  const std::vector<Tensor> before = run_graph(g, inputs);
  auto changed = make_activation_fusion()->run(g);
  ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
  EXPECT_TRUE(*changed) << "seed " << seed;
  ASSERT_EQ(g.nodes.size(), 1u) << "seed " << seed;
  const ir::Node& fused = g.nodes[0];
  EXPECT_EQ(fused.op_type, expected.op);
  EXPECT_EQ(fused.domain, engine::kEdgebenchDomain);
  EXPECT_EQ(fused.name, expected.name);
  EXPECT_EQ(fused.outputs, std::vector<std::string>{expected.output});
  EXPECT_EQ(float_attribute(fused, engine::kActivationMinAttribute), expected.min);
  EXPECT_EQ(float_attribute(fused, engine::kActivationMaxAttribute), expected.max);
  EXPECT_EQ(edgebench_imports(g), 1);
  EXPECT_TRUE(ir::validate(g).is_ok());
  const std::vector<Tensor> after = run_graph(g, inputs);
  expect_same_outputs(after, before, "seed " + std::to_string(seed));
  // The inputs are chosen so that every bound clamps some element (else the test shows little).
  ASSERT_EQ(after.size(), 1u);
  bool hit_min = !expected.min.has_value();
  bool hit_max = !expected.max.has_value();
  for (std::int64_t i = 0; i < after[0].element_count(); ++i) {
    hit_min = hit_min || after[0].data<float>()[i] == expected.min;
    hit_max = hit_max || after[0].data<float>()[i] == expected.max;
  }
  EXPECT_TRUE(hit_min && hit_max) << "seed " << seed;
  // A second run finds nothing more to do.
  EXPECT_FALSE(*make_activation_fusion()->run(g));
}

// Runs the pass on a graph it must leave alone and checks that nothing changed.
void expect_not_fused(ir::Graph g, const std::string& what) {
  const std::size_t nodes = g.nodes.size();
  auto changed = make_activation_fusion()->run(g);
  ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
  EXPECT_FALSE(*changed) << what;
  EXPECT_EQ(g.nodes.size(), nodes) << what;
  EXPECT_EQ(edgebench_imports(g), 0) << what;
  for (const ir::Node& n : g.nodes) EXPECT_TRUE(n.domain.empty()) << what;
}

TEST(ActivationFusion, ConvRelu) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    ir::Graph g = conv_graph(13, seed);
    g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"y"}));
    g.outputs = {"y"};
    expect_fused(g, {engine::kFusedConvOp, "conv", "y", 0.0f, std::nullopt}, seed);
  }
}

TEST(ActivationFusion, ConvClipOpset6Attributes) {
  ir::Graph g = conv_graph(6, 4);
  ir::Node clip = make_node("clip", "Clip", {"c"}, {"y"});
  clip.attributes.set("min", -0.5f);
  clip.attributes.set("max", 0.5f);
  g.nodes.push_back(clip);
  g.outputs = {"y"};
  expect_fused(g, {engine::kFusedConvOp, "conv", "y", -0.5f, 0.5f}, 4);
}

TEST(ActivationFusion, ConvClipOpset13InputsRelu6) {
  for (std::uint64_t seed = 5; seed <= 7; ++seed) {
    ir::Graph g = conv_graph(13, seed);
    g.initializers["zero"] = Tensor::scalar(DType::kFloat32, 0.0f);
    g.initializers["six"] = Tensor::scalar(DType::kFloat32, 6.0f);
    g.nodes.push_back(make_node("relu6", "Clip", {"c", "zero", "six"}, {"y"}));
    g.outputs = {"y"};
    // Inputs in [-4, 4) so that both bounds clamp somewhere.
    expect_fused(g, {engine::kFusedConvOp, "conv", "y", 0.0f, 6.0f}, seed, -4, 4);
  }
}

TEST(ActivationFusion, ClipWithOnlyOneBound) {
  ir::Graph only_min = conv_graph(13, 8);
  only_min.initializers["lo"] = Tensor::scalar(DType::kFloat32, -0.25f);
  only_min.nodes.push_back(make_node("clip", "Clip", {"c", "lo"}, {"y"}));
  only_min.outputs = {"y"};
  expect_fused(only_min, {engine::kFusedConvOp, "conv", "y", -0.25f, std::nullopt}, 8);

  ir::Graph only_max = conv_graph(13, 9);
  only_max.initializers["hi"] = Tensor::vector<float>(DType::kFloat32, std::vector<float>{0.3f});
  only_max.nodes.push_back(make_node("clip", "Clip", {"c", "", "hi"}, {"y"}));
  only_max.outputs = {"y"};
  expect_fused(only_max, {engine::kFusedConvOp, "conv", "y", std::nullopt, 0.3f}, 9);

  ir::Graph only_min_attr = conv_graph(6, 10);
  ir::Node clip = make_node("clip", "Clip", {"c"}, {"y"});
  clip.attributes.set("min", 0.1f);
  only_min_attr.nodes.push_back(clip);
  only_min_attr.outputs = {"y"};
  expect_fused(only_min_attr, {engine::kFusedConvOp, "conv", "y", 0.1f, std::nullopt}, 10);
}

TEST(ActivationFusion, GemmRelu) {
  for (std::uint64_t seed = 11; seed <= 13; ++seed) {
    ir::Graph g = gemm_graph(seed);
    g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"y"}));
    g.outputs = {"y"};
    expect_fused(g, {engine::kFusedGemmOp, "fc", "y", 0.0f, std::nullopt}, seed);
  }
}

TEST(ActivationFusion, ChainConvReluClip) {
  ir::Graph g = conv_graph(13, 14);
  g.initializers["lo"] = Tensor::scalar(DType::kFloat32, -1.0f);
  g.initializers["hi"] = Tensor::scalar(DType::kFloat32, 0.5f);
  g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"r"}));
  g.nodes.push_back(make_node("clip", "Clip", {"r", "lo", "hi"}, {"y"}));
  g.outputs = {"y"};
  g.value_info["c"] = {DType::kFloat32, Shape{1, 5, 7, 9}, {}};
  g.value_info["r"] = {DType::kFloat32, Shape{1, 5, 7, 9}, {}};
  // The Relu's min 0 and the Clip's max 0.5 both hold.
  ir::Graph fused = g;
  expect_fused(fused, {engine::kFusedConvOp, "conv", "y", 0.0f, 0.5f}, 14);
  // The stale value_info of the removed intermediates goes with them.
  auto changed = make_activation_fusion()->run(fused);
  ASSERT_TRUE(changed.is_ok());
  EXPECT_EQ(fused.find_value_info("c"), nullptr);
  EXPECT_EQ(fused.find_value_info("r"), nullptr);

  // The same chain with the nodes listed in reverse order (a valid but unsorted graph).
  ir::Graph reversed = g;
  std::swap(reversed.nodes[1], reversed.nodes[2]);
  auto result = make_activation_fusion()->run(reversed);
  ASSERT_TRUE(result.is_ok());
  ASSERT_EQ(reversed.nodes.size(), 1u);
  EXPECT_EQ(float_attribute(reversed.nodes[0], engine::kActivationMaxAttribute), 0.5f);
}

TEST(ActivationFusion, DisjointClipAfterReluStaysSeparate) {
  // Relu then Clip to [-2, -1] gives -1 everywhere, which no single clamp to [0, -1] can do.
  ir::Graph g = conv_graph(13, 15);
  g.initializers["lo"] = Tensor::scalar(DType::kFloat32, -2.0f);
  g.initializers["hi"] = Tensor::scalar(DType::kFloat32, -1.0f);
  g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"r"}));
  g.nodes.push_back(make_node("clip", "Clip", {"r", "lo", "hi"}, {"y"}));
  g.outputs = {"y"};
  const std::vector<Tensor> inputs = random_inputs(g, 15);
  const std::vector<Tensor> before = run_graph(g, inputs);
  ASSERT_TRUE(*make_activation_fusion()->run(g));
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, engine::kFusedConvOp);
  EXPECT_EQ(g.nodes[0].outputs[0], "r");
  EXPECT_EQ(g.nodes[1].op_type, "Clip");
  expect_same_outputs(run_graph(g, inputs), before, "disjoint");
}

TEST(ActivationFusion, LeavesConvWithTwoReadersAlone) {
  ir::Graph g = conv_graph(13, 16);
  g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"y"}));
  g.nodes.push_back(make_node("neg", "Neg", {"c"}, {"z"}));
  g.outputs = {"y", "z"};
  expect_not_fused(g, "two readers");
}

TEST(ActivationFusion, LeavesConvWhoseOutputIsAGraphOutputAlone) {
  ir::Graph g = conv_graph(13, 17);
  g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"y"}));
  g.outputs = {"y", "c"};
  expect_not_fused(g, "graph output");
}

TEST(ActivationFusion, LeavesClipWithNonConstantBoundsAlone) {
  ir::Graph input_bound = conv_graph(13, 18);
  input_bound.inputs.push_back("lo");
  input_bound.value_info["lo"] = {DType::kFloat32, Shape{}, {}};
  input_bound.nodes.push_back(make_node("clip", "Clip", {"c", "lo"}, {"y"}));
  input_bound.outputs = {"y"};
  expect_not_fused(input_bound, "bound is a graph input");

  ir::Graph computed_bound = conv_graph(13, 19);
  computed_bound.initializers["half"] = Tensor::scalar(DType::kFloat32, 0.5f);
  computed_bound.nodes.push_back(make_node("neg", "Neg", {"half"}, {"lo"}));
  computed_bound.nodes.push_back(make_node("clip", "Clip", {"c", "lo", "half"}, {"y"}));
  computed_bound.outputs = {"y"};
  expect_not_fused(computed_bound, "bound computed by a node");
}

TEST(ActivationFusion, LeavesOtherDtypesAndUnknownDtypesAlone) {
  ir::Graph declared_double = conv_graph(13, 20);
  declared_double.value_info["c"] = {DType::kFloat64, Shape{1, 5, 7, 9}, {}};
  declared_double.nodes.push_back(make_node("relu", "Relu", {"c"}, {"y"}));
  declared_double.outputs = {"y"};
  expect_not_fused(declared_double, "declared float64");

  ir::Graph dynamic_weights = conv_graph(13, 21);
  dynamic_weights.initializers.erase("w");
  dynamic_weights.inputs.push_back("w");
  dynamic_weights.value_info["w"] = {DType::kFloat32, Shape{5, 3, 3, 3}, {}};
  dynamic_weights.nodes.push_back(make_node("relu", "Relu", {"c"}, {"y"}));
  dynamic_weights.outputs = {"y"};
  expect_not_fused(dynamic_weights, "dtype unknown");
}

TEST(ActivationFusion, KeepsAnExistingImportAndWorksInPipelines) {
  ir::Graph g = conv_graph(13, 22);
  g.opset_imports.push_back({std::string(engine::kEdgebenchDomain), engine::kEdgebenchOpset});
  g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"r"}));
  g.nodes.push_back(make_node("relu2", "Relu", {"r"}, {"y"}));
  g.outputs = {"y"};
  const std::vector<Tensor> inputs = random_inputs(g, 22);
  const std::vector<Tensor> before = run_graph(g, inputs);
  auto fusion = make_activation_fusion();
  auto dce = make_dead_node_elimination();
  const Pass* pipeline[] = {fusion.get(), dce.get()};
  auto rounds = run_to_fixed_point(g, pipeline);
  ASSERT_TRUE(rounds.is_ok()) << rounds.status().to_string();
  EXPECT_EQ(*rounds, 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(edgebench_imports(g), 1);
  expect_same_outputs(run_graph(g, inputs), before, "pipeline");
}

}  // namespace
}  // namespace edgebench::passes
