#include "edgebench/backends/backend.h"

#include <gtest/gtest.h>

namespace edgebench::backends {
namespace {

ir::Graph relu_graph() {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{-1, 4}, {"batch", ""}};
  ir::Node n;
  n.name = "relu";
  n.op_type = "Relu";
  n.inputs = {"x"};
  n.outputs = {"y"};
  g.nodes.push_back(n);
  g.outputs = {"y"};
  g.value_info["y"] = {DType::kFloat32, Shape{-1, 4}, {"batch", ""}};
  return g;
}

TEST(Backends, KnownNamesAndAClearErrorForOthers) {
  for (const std::string& name : available_backends()) {
    auto b = make_backend(name);
    ASSERT_TRUE(b.is_ok()) << name;
    EXPECT_EQ((*b)->name(), name);
    EXPECT_EQ((*b)->capabilities().name, name);
  }
  auto bad = make_backend("tpu9000");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("native"), std::string::npos);
}

TEST(Backends, NativeRunsAndBindsSymbolicDims) {
  auto backend = make_backend("native");
  ASSERT_TRUE(backend.is_ok());
  CompileOptions options;
  options.input_shapes["x"] = {2, 4};
  auto exe = (*backend)->compile(relu_graph(), options);
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  EXPECT_EQ((*exe)->inputs()[0].shape, (Shape{2, 4}));
  EXPECT_EQ((*exe)->node_names().size(), 1u);
  EXPECT_GT((*exe)->arena_bytes(), 0u);
  Tensor x = Tensor::zeros(DType::kFloat32, {2, 4});
  x.data<float>()[3] = -2.0f;
  x.data<float>()[4] = 3.0f;
  std::vector<Tensor> out(1);
  ASSERT_TRUE((*exe)->run(std::span<const Tensor>(&x, 1), out).is_ok());
  EXPECT_EQ(out[0].data<float>()[3], 0.0f);
  EXPECT_EQ(out[0].data<float>()[4], 3.0f);
  options.threads = 0;
  EXPECT_FALSE((*backend)->compile(relu_graph(), options).is_ok());
}

TEST(Backends, NullDoesNoWorkButKnowsTheSpecs) {
  auto backend = make_backend("null");
  ASSERT_TRUE(backend.is_ok());
  auto exe = (*backend)->compile(relu_graph(), {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  ASSERT_EQ((*exe)->inputs().size(), 1u);
  EXPECT_EQ((*exe)->inputs()[0].shape, (Shape{1, 4}));
  std::vector<Tensor> out(1);
  Tensor x = Tensor::zeros(DType::kFloat32, {1, 4});
  EXPECT_TRUE((*exe)->run(std::span<const Tensor>(&x, 1), out).is_ok());
  EXPECT_FALSE(out[0].defined());
  EXPECT_FALSE((*exe)->set_node_observer(nullptr));
}

TEST(Backends, SupportNamesTheNodesTheEngineCannotRun) {
  ir::Graph g = relu_graph();
  g.nodes[0].op_type = "FancyNewOp";
  auto backend = make_backend("native");
  auto support = (*backend)->support(g);
  ASSERT_EQ(support.size(), 1u);
  EXPECT_FALSE(support[0].supported);
  EXPECT_NE(support[0].reason.find("FancyNewOp"), std::string::npos);
  auto exe = (*backend)->compile(g, {});
  ASSERT_FALSE(exe.is_ok());
  EXPECT_EQ(exe.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace edgebench::backends

namespace edgebench::backends {
namespace {

// sim:DEVICE reports the device model's placement: each node on the device or on the host with
// the planner's reason.
TEST(Backends, SimSupportReportsTheDevicePlansPlacement) {
  auto backend = make_backend("sim:edgetpu-usb3");
  ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
  ir::Graph g = relu_graph();
  // Relu, then an op the Edge TPU does not have, then a Relu the compiler cannot take back.
  ir::Node n = g.nodes[0];
  n.name = "erf";
  n.op_type = "Erf";
  n.inputs = {"y"};
  n.outputs = {"z"};
  g.nodes.push_back(n);
  n.name = "relu2";
  n.op_type = "Relu";
  n.inputs = {"z"};
  n.outputs = {"w"};
  g.nodes.push_back(n);
  g.outputs = {"w"};

  auto placed = (*backend)->support(g);
  ASSERT_EQ(placed.size(), 3u);
  EXPECT_EQ(placed[0].kernel, "device");
  EXPECT_EQ(placed[0].reason, "");
  EXPECT_EQ(placed[1].kernel, "host");
  EXPECT_NE(placed[1].reason.find("Erf"), std::string::npos) << placed[1].reason;
  EXPECT_EQ(placed[2].kernel, "host");
  EXPECT_NE(placed[2].reason.find("first unmapped op"), std::string::npos) << placed[2].reason;
  for (const NodeSupport& s : placed) EXPECT_TRUE(s.supported);

  // An op the engine cannot run stays unsupported, with the engine's reason.
  g.nodes[1].op_type = "FancyNewOp";
  auto unsupported = (*backend)->support(g);
  ASSERT_EQ(unsupported.size(), 3u);
  EXPECT_FALSE(unsupported[1].supported);
  EXPECT_NE(unsupported[1].reason.find("FancyNewOp"), std::string::npos);
  EXPECT_EQ(unsupported[0].kernel, "device");
}

}  // namespace
}  // namespace edgebench::backends
