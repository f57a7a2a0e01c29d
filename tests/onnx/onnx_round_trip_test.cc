// import -> export -> import must give back the same IR.
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

#include "onnx/onnx_test_util.h"

namespace edgebench::onnx::testing {
namespace {

// `source_checks` says whether the original model passes the full checker (some old-opset
// models in the test data do not); the exported model must pass whenever the source did.
void expect_round_trip(const ir::Graph& graph, const std::string& context,
                       bool source_checks = true) {
  Result<std::string> bytes = export_model(graph);
  ASSERT_TRUE(bytes.is_ok()) << context << ": " << bytes.status().to_string();
  if (source_checks) {
    EXPECT_TRUE(check_model(as_bytes(*bytes)).is_ok()) << context;
  }
  Result<ir::Graph> back = import_model(as_bytes(*bytes), {}, context + " (exported)");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  expect_graphs_equal(graph, *back, context);
  EXPECT_EQ(back->ir_version, std::max<std::int64_t>(graph.ir_version, 7));
  // A second round trip is byte-identical: export is deterministic.
  Result<std::string> again = export_model(*back);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(*bytes, *again) << context;
}

TEST(OnnxRoundTrip, EveryImportableBackendTestModel) {
  std::size_t round_tripped = 0;
  for (const std::filesystem::path& model : all_test_models()) {
    Result<ir::Graph> graph = load_model(model);
    if (!graph.is_ok()) continue;
    std::ifstream in(model, std::ios::binary);
    const std::string source((std::istreambuf_iterator<char>(in)), {});
    const bool source_checks = check_model(as_bytes(source)).is_ok();
    expect_round_trip(*graph, model.string(), source_checks);
    ++round_tripped;
    if (HasFatalFailure()) return;
  }
  std::cout << "round-tripped " << round_tripped << " models\n";
}

Tensor iota_tensor(DType dtype, Shape shape) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    for (std::int64_t i = 0; i < t.element_count(); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        t.data<T>()[i] = i % 3 == 0;
      } else {
        t.data<T>()[i] = static_cast<T>(i * 7 % 11);
      }
    }
  });
  return t;
}

// A graph that uses every attribute kind, every initializer dtype, symbolic and unknown dims,
// intermediate value_info, metadata, unnamed nodes and a custom domain.
ir::Graph every_feature_graph() {
  ir::Graph g;
  g.name = "every_feature";
  g.ir_version = 8;
  g.producer_name = "edgebench-test";
  g.producer_version = "1.2.3";
  g.doc_string = "hand-built";
  g.metadata = {{"author", "tests"}, {"license", "none"}};
  g.opset_imports = {{"", 13}, {"com.edgebench.test", 1}};
  g.inputs = {"x", "s"};
  // "c" is a graph output so that its Constant node stays a node (others become initializers).
  g.outputs = {"y", "custom_out", "c"};
  g.value_info["x"] = {DType::kFloat32, Shape{-1, 3, 4, 4}, {"batch", "", "", ""}};
  g.value_info["s"] = {DType::kInt64, Shape{-1}, {""}};
  g.value_info["y"] = {DType::kFloat32, Shape{-1, 2, 4, 4}, {"batch", "", "", ""}};
  g.value_info["custom_out"] = {DType::kFloat32, Shape{-1, -1}, {"", ""}};
  g.value_info["c"] = {DType::kFloat32, Shape{1, 2, 1, 1}, {"", "", "", ""}};
  g.value_info["conv_out"] = {DType::kFloat32, Shape{-1, 2, -1, 4}, {"batch", "", "h", ""}};

  g.initializers["w"] = iota_tensor(DType::kFloat32, {2, 3, 3, 3});
  g.initializers["b"] = iota_tensor(DType::kFloat32, {2});
  int k = 0;
  for (DType dtype : {DType::kFloat16, DType::kFloat64, DType::kInt8, DType::kUInt8, DType::kInt16,
                      DType::kUInt16, DType::kInt32, DType::kUInt32, DType::kInt64, DType::kUInt64,
                      DType::kBool}) {
    g.initializers["init_" + std::string(dtype_name(dtype))] =
        iota_tensor(dtype, {2, static_cast<std::int64_t>(++k)});
  }
  g.initializers["empty"] = iota_tensor(DType::kFloat32, {0, 3});
  g.initializers["scalar"] = iota_tensor(DType::kInt64, {});

  ir::Node conv;
  conv.name = "conv1";
  conv.op_type = "Conv";
  conv.inputs = {"x", "w", "b"};
  conv.outputs = {"conv_out"};
  conv.attributes.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  conv.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  conv.attributes.set("auto_pad", std::string("NOTSET"));
  conv.attributes.set("group", std::int64_t{1});
  g.nodes.push_back(conv);

  ir::Node constant;  // unnamed
  constant.op_type = "Constant";
  constant.outputs = {"c"};
  constant.attributes.set("value", iota_tensor(DType::kFloat32, {1, 2, 1, 1}));
  g.nodes.push_back(constant);

  ir::Node add;
  add.name = "add";
  add.op_type = "Add";
  add.inputs = {"conv_out", "c"};
  add.outputs = {"y"};
  g.nodes.push_back(add);

  ir::Node custom;
  custom.name = "custom";
  custom.op_type = "Everything";
  custom.domain = "com.edgebench.test";
  custom.inputs = {"y", "", "s"};
  custom.outputs = {"custom_out"};
  custom.attributes.set("i", std::int64_t{-42});
  custom.attributes.set("f", 0.125f);
  custom.attributes.set("nan", std::numeric_limits<float>::quiet_NaN());
  custom.attributes.set("s", std::string("bytes\0with nul", 14));
  custom.attributes.set("t", iota_tensor(DType::kInt32, {3}));
  custom.attributes.set("t_bool", iota_tensor(DType::kBool, {2, 2}));
  custom.attributes.set("ints", std::vector<std::int64_t>{1, -2, INT64_MAX, INT64_MIN});
  custom.attributes.set("floats", std::vector<float>{1.5f, -0.0f, 1e-30f});
  custom.attributes.set("strings", std::vector<std::string>{"a", "", "c"});
  custom.attributes.set("empty_ints", std::vector<std::int64_t>{});
  custom.attributes.set("empty_floats", std::vector<float>{});
  custom.attributes.set("empty_strings", std::vector<std::string>{});
  g.nodes.push_back(custom);
  return g;
}

TEST(OnnxRoundTrip, HandBuiltGraphWithEveryAttributeKind) {
  const ir::Graph graph = every_feature_graph();
  ASSERT_TRUE(ir::validate(graph).is_ok()) << ir::validate(graph).to_string();
  expect_round_trip(graph, "every_feature");
}

TEST(OnnxRoundTrip, EveryOpsetFrom7To18) {
  for (std::int64_t opset = 7; opset <= 18; ++opset) {
    ir::Graph graph = every_feature_graph();
    graph.opset_imports[0].version = opset;
    expect_round_trip(graph, "every_feature opset " + std::to_string(opset));
  }
}

TEST(OnnxRoundTrip, SaveAndLoadThroughAFile) {
  TempDir dir;
  const ir::Graph graph = every_feature_graph();
  const std::filesystem::path path = dir.path() / "every.onnx";
  ASSERT_TRUE(save_model(graph, path).is_ok());
  Result<ir::Graph> back = load_model(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  expect_graphs_equal(graph, *back, "file");
}

TEST(OnnxRoundTrip, ExportSortsNodesTopologically) {
  ir::Graph graph = every_feature_graph();
  std::reverse(graph.nodes.begin(), graph.nodes.end());
  Result<std::string> bytes = export_model(graph);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  Result<ir::Graph> back = import_model(as_bytes(*bytes), {}, "sorted");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_TRUE(ir::sort_topologically(graph).is_ok());
  expect_graphs_equal(graph, *back, "sorted");
}

TEST(OnnxRoundTrip, ExportReportsCheckerFailures) {
  ir::Graph graph = every_feature_graph();
  // Conv has no attribute "bogus": the ONNX checker must refuse the model.
  graph.nodes[0].attributes.set("bogus", std::int64_t{1});
  Result<std::string> bytes = export_model(graph);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_NE(bytes.status().message().find("checker"), std::string::npos)
      << bytes.status().message();
  EXPECT_NE(bytes.status().message().find("bogus"), std::string::npos) << bytes.status().message();
}

TEST(OnnxRoundTrip, ExportRefusesBrokenGraphs) {
  ir::Graph graph = every_feature_graph();
  graph.nodes[2].inputs[1] = "nowhere";
  Result<std::string> bytes = export_model(graph);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_NE(bytes.status().message().find("nowhere"), std::string::npos)
      << bytes.status().message();
}

TEST(OnnxRoundTrip, ExportNamesOutputsWithoutRank) {
  ir::Graph graph = every_feature_graph();
  graph.value_info["custom_out"].shape.reset();
  graph.value_info["custom_out"].dim_names.clear();
  Result<std::string> bytes = export_model(graph);
  ASSERT_FALSE(bytes.is_ok());
  EXPECT_NE(bytes.status().message().find("graph output 'custom_out' has no declared rank"),
            std::string::npos)
      << bytes.status().message();
}

TEST(OnnxRoundTrip, CheckModelRejectsTypeErrors) {
  ir::Graph graph = every_feature_graph();
  Result<std::string> bytes = export_model(graph);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  EXPECT_TRUE(check_model(as_bytes(*bytes)).is_ok());
  pb::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(*bytes));
  // Declare y as int32: full checking (type-checked shape inference) must catch it.
  for (pb::ValueInfoProto& out : *model.mutable_graph()->mutable_output()) {
    if (out.name() == "y") out.mutable_type()->mutable_tensor_type()->set_elem_type(6);
  }
  const Status st = check_model(as_bytes(model.SerializeAsString()));
  EXPECT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidModel);
}

}  // namespace
}  // namespace edgebench::onnx::testing
