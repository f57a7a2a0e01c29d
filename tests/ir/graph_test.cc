#include "edgebench/ir/graph.h"

#include <gtest/gtest.h>

namespace edgebench::ir {
namespace {

Node make_node(std::string name, std::string op, std::vector<std::string> inputs,
               std::vector<std::string> outputs) {
  Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

Graph chain() {
  Graph g;
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 4}, {}};
  // Deliberately out of order: c consumes b's output.
  g.nodes.push_back(make_node("c", "Relu", {"b_out"}, {"y"}));
  g.nodes.push_back(make_node("a", "Relu", {"x"}, {"a_out"}));
  g.nodes.push_back(make_node("b", "Add", {"a_out", "w"}, {"b_out"}));
  g.initializers["w"] = Tensor::zeros(DType::kFloat32, {4});
  g.outputs = {"y"};
  return g;
}

TEST(Graph, TopologicalOrderPutsProducersFirst) {
  Graph g = chain();
  ASSERT_TRUE(validate(g).is_ok());
  ASSERT_TRUE(sort_topologically(g).is_ok());
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].name, "a");
  EXPECT_EQ(g.nodes[1].name, "b");
  EXPECT_EQ(g.nodes[2].name, "c");
}

TEST(Graph, RejectsCycles) {
  Graph g;
  g.inputs = {"x"};
  g.nodes.push_back(make_node("p", "Add", {"x", "q_out"}, {"p_out"}));
  g.nodes.push_back(make_node("q", "Relu", {"p_out"}, {"q_out"}));
  g.outputs = {"q_out"};
  Status st = validate(g);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("cycle"), std::string::npos) << st.message();
}

TEST(Graph, RejectsSelfLoop) {
  Graph g;
  g.inputs = {"x"};
  g.nodes.push_back(make_node("p", "Add", {"x", "p_out"}, {"p_out"}));
  g.outputs = {"p_out"};
  EXPECT_FALSE(validate(g).is_ok());
}

TEST(Graph, RejectsDanglingInputNamingNodeAndValue) {
  Graph g = chain();
  g.nodes[0].inputs = {"nowhere"};
  Status st = validate(g);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("nowhere"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'c'"), std::string::npos) << st.message();
}

TEST(Graph, RejectsDuplicateProducersAndMissingOutputs) {
  Graph g = chain();
  g.nodes.push_back(make_node("d", "Relu", {"x"}, {"a_out"}));
  EXPECT_FALSE(validate(g).is_ok());
  Graph h = chain();
  h.outputs = {"missing"};
  EXPECT_FALSE(validate(h).is_ok());
}

TEST(Attributes, TypedGettersCheckTypes) {
  Attributes a;
  a.set("axis", std::int64_t{2});
  a.set("alpha", 0.5f);
  a.set("pads", std::vector<std::int64_t>{1, 2});
  EXPECT_EQ(*a.get_int("axis", 0), 2);
  EXPECT_EQ(*a.get_int("missing", 7), 7);
  EXPECT_FLOAT_EQ(*a.get_float("alpha", 0), 0.5f);
  EXPECT_FLOAT_EQ(*a.get_float("axis", 0), 2.0f);  // ints accepted where floats are expected
  EXPECT_FALSE(a.get_int("alpha", 0).is_ok());
  EXPECT_FALSE(a.get_ints("axis", {}).is_ok());
  EXPECT_EQ(*a.get_ints("pads", {}), (std::vector<std::int64_t>{1, 2}));
  EXPECT_FALSE(a.get_tensor("pads").is_ok());
}

TEST(Graph, OpsetLookupAcceptsBothDefaultDomainSpellings) {
  Graph g;
  g.opset_imports = {{"ai.onnx", 13}, {"com.microsoft", 1}};
  EXPECT_EQ(g.onnx_opset(), 13);
  EXPECT_EQ(g.opset_for("com.microsoft"), 1);
  EXPECT_EQ(g.opset_for("ai.onnx.ml"), 0);
}

}  // namespace
}  // namespace edgebench::ir
