// Constant nodes are weights: import turns them into initializers of the same name. Symbolic
// dim names survive import.
#include <algorithm>

#include "edgebench/ir/stats.h"
#include "onnx/onnx_test_util.h"

namespace edgebench::onnx::testing {
namespace {

const std::filesystem::path kVariants =
    std::filesystem::path(EDGEBENCH_SOURCE_DIR) / "models" / "variants";

std::size_t count_op(const ir::Graph& graph, std::string_view op) {
  return static_cast<std::size_t>(std::count_if(
      graph.nodes.begin(), graph.nodes.end(), [&](const ir::Node& n) { return n.op_type == op; }));
}

TEST(OnnxConstantWeights, ExportedConstantNodesBecomeTheSameInitializers) {
  Result<ir::Graph> init = load_model(kVariants / "small_convnet.onnx");
  Result<ir::Graph> consts = load_model(kVariants / "small_convnet_constants.onnx");
  ASSERT_TRUE(init.is_ok()) << init.status().to_string();
  ASSERT_TRUE(consts.is_ok()) << consts.status().to_string();
  EXPECT_EQ(count_op(*consts, "Constant"), 0u);
  EXPECT_EQ(consts->nodes.size(), init->nodes.size());
  ASSERT_EQ(consts->initializers.size(), init->initializers.size());
  for (const auto& [name, tensor] : init->initializers) {
    auto it = consts->initializers.find(name);
    ASSERT_NE(it, consts->initializers.end()) << name;
    EXPECT_TRUE(same_bytes(tensor, it->second)) << name;
  }
  const ir::GraphStats a = ir::compute_stats(*init);
  const ir::GraphStats b = ir::compute_stats(*consts);
  EXPECT_EQ(b.params_total, 6474u + 2 * (8 + 16 + 32));
  EXPECT_EQ(b.params_total, a.params_total);
  EXPECT_EQ(b.params_bytes, a.params_bytes);
}

TEST(OnnxConstantWeights, SymbolicDimNamesSurviveImport) {
  Result<ir::Graph> graph = load_model(kVariants / "small_convnet_symbolic_constants.onnx");
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  const ir::ValueInfo* input = graph->find_value_info("input");
  ASSERT_NE(input, nullptr);
  EXPECT_EQ(*input->shape, (Shape{-1, 3, -1, -1}));
  EXPECT_EQ(input->dim_names, (std::vector<std::string>{"N", "", "H", "W"}));
  const ir::ValueInfo* output = graph->find_value_info("output");
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->dim_names, (std::vector<std::string>{"N", ""}));
  const auto needs = ir::inputs_needing_shapes(*graph);
  ASSERT_EQ(needs.size(), 1u);
  EXPECT_EQ(needs[0].name, "input");
  EXPECT_EQ(ir::shape_with_dim_names(needs[0].shape, needs[0].dim_names), "[N,3,H,W]");
  EXPECT_TRUE(ir::inputs_needing_shapes(*graph, {{"input", {1, 3, 8, 8}}}).empty());
}

// y = (x + floats) * scale, with Constants in every form: value_floats and value_float become
// initializers; graph outputs (value, value_ints) and value_string stay nodes.
pb::ModelProto constants_model() {
  pb::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  pb::GraphProto* g = m.mutable_graph();
  g->set_name("constants");
  const auto add_value = [](pb::ValueInfoProto* v, const std::string& name, int type,
                            std::vector<std::int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    for (std::int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  };
  add_value(g->add_input(), "x", pb::TensorProto::FLOAT, {3});
  add_value(g->add_output(), "y", pb::TensorProto::FLOAT, {3});
  add_value(g->add_output(), "kept", pb::TensorProto::FLOAT, {3});
  add_value(g->add_output(), "shape", pb::TensorProto::INT64, {1});
  const auto constant = [&](const std::string& out) {
    pb::NodeProto* n = g->add_node();
    n->set_name("const_" + out);
    n->set_op_type("Constant");
    n->add_output(out);
    return n->add_attribute();
  };
  pb::AttributeProto* a = constant("floats");
  a->set_name("value_floats");
  a->set_type(pb::AttributeProto::FLOATS);
  for (float f : {1.5f, -2.0f, 4.0f}) a->add_floats(f);
  a = constant("scale");
  a->set_name("value_float");
  a->set_type(pb::AttributeProto::FLOAT);
  a->set_f(0.5f);
  a = constant("shape");  // a graph output: stays a node
  a->set_name("value_ints");
  a->set_type(pb::AttributeProto::INTS);
  a->add_ints(3);
  a = constant("kept");  // a graph output: stays a node
  a->set_name("value");
  a->set_type(pb::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(pb::TensorProto::FLOAT);
  a->mutable_t()->add_dims(3);
  for (float f : {7.0f, 8.0f, 9.0f}) a->mutable_t()->add_float_data(f);
  a = constant("label");  // strings: no initializer form here, stays a node
  a->set_name("value_string");
  a->set_type(pb::AttributeProto::STRING);
  a->set_s("cat");
  pb::NodeProto* add = g->add_node();
  add->set_name("add");
  add->set_op_type("Add");
  add->add_input("x");
  add->add_input("floats");
  add->add_output("sum");
  pb::NodeProto* mul = g->add_node();
  mul->set_name("mul");
  mul->set_op_type("Mul");
  mul->add_input("sum");
  mul->add_input("scale");
  mul->add_output("y");
  return m;
}

TEST(OnnxConstantWeights, EveryConstantFormExceptGraphOutputsAndStrings) {
  std::string bytes;
  ASSERT_TRUE(constants_model().SerializeToString(&bytes));
  Result<ir::Graph> graph = import_model(as_bytes(bytes), {}, "constants.onnx");
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  ASSERT_TRUE(graph->is_initializer("floats"));
  ASSERT_TRUE(graph->is_initializer("scale"));
  const Tensor& floats = graph->initializers.at("floats");
  EXPECT_EQ(floats.dtype(), DType::kFloat32);
  EXPECT_EQ(floats.shape(), (Shape{3}));
  EXPECT_EQ(floats.data<float>()[1], -2.0f);
  const Tensor& scale = graph->initializers.at("scale");
  EXPECT_EQ(scale.shape(), Shape{});
  EXPECT_EQ(scale.data<float>()[0], 0.5f);
  for (const std::string kept : {"kept", "shape", "label"}) {
    EXPECT_FALSE(graph->is_initializer(kept)) << kept;
    EXPECT_TRUE(std::any_of(graph->nodes.begin(), graph->nodes.end(), [&](const ir::Node& n) {
      return n.op_type == "Constant" && n.outputs == std::vector<std::string>{kept};
    })) << kept;
  }
  EXPECT_EQ(count_op(*graph, "Constant"), 3u);
  EXPECT_EQ(ir::compute_stats(*graph).params_total, 4u);
}

TEST(OnnxConstantWeights, ConstantNamingAnInitializerIsRefused) {
  pb::ModelProto m = constants_model();
  pb::TensorProto* init = m.mutable_graph()->add_initializer();
  init->set_name("floats");
  init->set_data_type(pb::TensorProto::FLOAT);
  init->add_dims(1);
  init->add_float_data(1.0f);
  std::string bytes;
  ASSERT_TRUE(m.SerializeToString(&bytes));
  Result<ir::Graph> graph = import_model(as_bytes(bytes), {}, "constants.onnx");
  ASSERT_FALSE(graph.is_ok());
  EXPECT_NE(graph.status().message().find("'floats'"), std::string::npos)
      << graph.status().to_string();
}

}  // namespace
}  // namespace edgebench::onnx::testing
