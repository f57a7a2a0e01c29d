// Graph-level tests of the tensor family: the shape-computing subgraph that exporters emit
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) compiled with Plan::compile.
#include <gtest/gtest.h>

#include "tensor_test_util.h"

namespace edgebench::engine {
namespace {

using tensor_test::expect_same_tensor;
using tensor_test::int64s;
using tensor_test::random_tensor;

ir::Node graph_node(std::string op_type, std::vector<std::string> inputs, std::string output) {
  ir::Node node;
  node.name = output + "_node";
  node.op_type = std::move(op_type);
  node.inputs = std::move(inputs);
  node.outputs = {std::move(output)};
  return node;
}

// y = reshape(x, [shape(source)[0], -1]): the batch dim is read from `source` at plan time.
ir::Graph reshape_by_shape_graph(const std::string& source, const Shape& x_shape) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.value_info["x"] = ir::ValueInfo{DType::kFloat32, x_shape, {}};
  g.initializers["zero"] = Tensor::scalar<std::int64_t>(DType::kInt64, 0);
  g.initializers["axes"] = int64s({0});
  g.initializers["minus_one"] = int64s({-1});
  g.nodes.push_back(graph_node("Shape", {source}, "shape"));
  ir::Node gather = graph_node("Gather", {"shape", "zero"}, "batch");
  gather.attributes.set("axis", std::int64_t{0});
  g.nodes.push_back(gather);
  g.nodes.push_back(graph_node("Unsqueeze", {"batch", "axes"}, "batch_1d"));
  ir::Node concat = graph_node("Concat", {"batch_1d", "minus_one"}, "new_shape");
  concat.attributes.set("axis", std::int64_t{0});
  g.nodes.push_back(concat);
  g.nodes.push_back(graph_node("Reshape", {"x", "new_shape"}, "y"));
  return g;
}

TEST(TensorGraph, ShapeChainOfAConstantFoldsToAStaticPlan) {
  ir::Graph g = reshape_by_shape_graph("weights", {2, 3, 4});
  g.initializers["weights"] = Tensor::zeros(DType::kFloat32, {6, 5});
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  EXPECT_FALSE((*plan)->dynamic()) << (*plan)->types().dynamic_reason;
  EXPECT_EQ((*plan)->types().constants.count("new_shape"), 1u);
  ASSERT_EQ((*plan)->outputs().size(), 1u);
  EXPECT_EQ((*plan)->outputs()[0].shape, (Shape{6, 4}));

  std::mt19937 rng(1);
  const Tensor x = random_tensor(DType::kFloat32, {2, 3, 4}, rng);
  std::vector<Tensor> outputs(1);
  ASSERT_TRUE((*plan)->run(std::span<const Tensor>(&x, 1), outputs).is_ok());
  expect_same_tensor(outputs[0], x.reshaped({6, 4}), "reshape by the weights' shape");
}

TEST(TensorGraph, ShapeChainOfAnInputRunsCorrectly) {
  const ir::Graph g = reshape_by_shape_graph("x", {2, 3, 4});
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  std::mt19937 rng(2);
  const Tensor x = random_tensor(DType::kFloat32, {2, 3, 4}, rng);
  std::vector<Tensor> outputs(1);
  for (int repeat = 0; repeat < 2; ++repeat) {
    Status st = (*plan)->run(std::span<const Tensor>(&x, 1), outputs);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    expect_same_tensor(outputs[0], x.reshaped({2, 12}), "reshape by the input's own shape");
  }
}

// Disabled until the planner folds ops that read only shapes (Shape, Size) of non-constant
// inputs: infer_with_kernels folds a node only when all its input values are known, so Shape of
// a graph input stays a run-time value and the Reshape makes the plan dynamic.
TEST(TensorGraph, ShapeChainOfAnInputFoldsToAStaticPlan) {
  const ir::Graph g = reshape_by_shape_graph("x", {2, 3, 4});
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  EXPECT_FALSE((*plan)->dynamic()) << (*plan)->types().dynamic_reason;
}

TEST(TensorGraph, ShapeFromARunTimeValueMakesThePlanDynamic) {
  // y = reshape(x, s) and z = nonzero(y): both output shapes depend on run-time values.
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x", "s"};
  g.outputs = {"y", "z"};
  g.value_info["x"] = ir::ValueInfo{DType::kInt64, Shape{2, 3}, {}};
  g.value_info["s"] = ir::ValueInfo{DType::kInt64, Shape{2}, {}};
  g.nodes.push_back(graph_node("Reshape", {"x", "s"}, "y"));
  g.nodes.push_back(graph_node("NonZero", {"y"}, "z"));
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  EXPECT_TRUE((*plan)->dynamic());

  const Tensor x = int64s({0, 5, 0, 7, 8, 0}).reshaped({2, 3});
  std::vector<Tensor> outputs(2);
  const Tensor by_rows[] = {x, int64s({3, -1})};
  Status st = (*plan)->run(by_rows, outputs);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  expect_same_tensor(outputs[0], x.reshaped({3, 2}), "reshape [3, -1]");
  expect_same_tensor(outputs[1], int64s({0, 1, 2, 1, 1, 0}).reshaped({2, 3}), "nonzero");
  const Tensor flat[] = {x, int64s({0, -1})};
  st = (*plan)->run(flat, outputs);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  expect_same_tensor(outputs[0], x, "reshape [0, -1]");
  const Tensor bad[] = {x, int64s({4, -1})};
  EXPECT_FALSE((*plan)->run(bad, outputs).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
