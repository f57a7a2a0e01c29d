// The planner: constant folding, dynamic fallback, the liveness-based memory plan and the
// executor, on small graphs of Relu nodes (the op every build has).
#include "edgebench/engine/plan.h"

#include <gtest/gtest.h>

#include <random>

namespace edgebench::engine {
namespace {

ir::Node relu(std::string name, std::string in, std::string out) {
  ir::Node n;
  n.name = std::move(name);
  n.op_type = "Relu";
  n.inputs = {std::move(in)};
  n.outputs = {std::move(out)};
  return n;
}

// x -> r0 -> r1 -> ... -> r{n-1} -> y, every activation the same size.
ir::Graph relu_chain(int n, Shape shape) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, shape, {}};
  std::string prev = "x";
  for (int i = 0; i < n; ++i) {
    const std::string out = i + 1 == n ? "y" : "t" + std::to_string(i);
    g.nodes.push_back(relu("r" + std::to_string(i), prev, out));
    prev = out;
  }
  g.outputs = {"y"};
  return g;
}

TEST(MemoryPlan, ChainReusesTwoBuffers) {
  ir::Graph g = relu_chain(6, {1, 16, 8, 8});
  auto types = infer_types(g, builtin_registry(), {});
  ASSERT_TRUE(types.is_ok()) << types.status().to_string();
  MemoryPlan plan = plan_memory(g, *types);
  const std::uint64_t one = 16 * 8 * 8 * 4;
  EXPECT_EQ(plan.naive_bytes, 6 * one);
  EXPECT_EQ(plan.arena_bytes, 2 * one);  // producer and consumer alive together, no more
}

TEST(MemoryPlan, OverlappingLifetimesNeverShareBytes) {
  // Random DAGs of Relu/Add nodes; check every pair of simultaneously live buffers.
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    ir::Graph g;
    g.opset_imports = {{"", 14}};
    g.inputs = {"x"};
    g.value_info["x"] = {DType::kFloat32, Shape{1, 3, 5}, {}};
    std::vector<std::string> values = {"x"};
    const int nodes = 4 + static_cast<int>(rng() % 12);
    for (int i = 0; i < nodes; ++i) {
      const std::string out = "v" + std::to_string(i);
      g.nodes.push_back(relu("n" + std::to_string(i), values[rng() % values.size()], out));
      values.push_back(out);
    }
    g.outputs = {values.back()};
    auto types = infer_types(g, builtin_registry(), {});
    ASSERT_TRUE(types.is_ok());
    MemoryPlan plan = plan_memory(g, *types);
    // Lifetimes by node index.
    std::map<std::string, std::pair<std::size_t, std::size_t>> life;
    for (std::size_t n = 0; n < g.nodes.size(); ++n) life[g.nodes[n].outputs[0]] = {n, n};
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      auto it = life.find(g.nodes[n].inputs[0]);
      if (it != life.end()) it->second.second = std::max(it->second.second, n);
    }
    life[g.outputs[0]].second = g.nodes.size();
    const std::uint64_t bytes = 15 * 4;
    for (auto& [a, la] : life) {
      for (auto& [b, lb] : life) {
        if (a >= b) continue;
        const bool live_together = la.first <= lb.second && lb.first <= la.second;
        const std::uint64_t oa = plan.offsets.at(a), ob = plan.offsets.at(b);
        const bool overlap = oa < ob + bytes && ob < oa + bytes;
        EXPECT_FALSE(live_together && overlap) << "seed " << seed << ": " << a << " and " << b;
      }
    }
    EXPECT_LE(plan.arena_bytes, plan.naive_bytes + 64 * values.size()) << "seed " << seed;
  }
}

TEST(Plan, RunsAndReusesOutputBuffers) {
  ir::Graph g = relu_chain(3, {2, 3});
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  EXPECT_FALSE((*plan)->dynamic());
  Tensor x = Tensor::zeros(DType::kFloat32, {2, 3});
  for (int i = 0; i < 6; ++i) x.data<float>()[i] = static_cast<float>(i - 3);
  std::vector<Tensor> outputs(1);
  ASSERT_TRUE((*plan)->run(std::span<const Tensor>(&x, 1), outputs).is_ok());
  const void* first_buffer = outputs[0].raw_data();
  ASSERT_TRUE((*plan)->run(std::span<const Tensor>(&x, 1), outputs).is_ok());
  EXPECT_EQ(outputs[0].raw_data(), first_buffer);  // no reallocation on later runs
  for (int i = 0; i < 6; ++i) EXPECT_EQ(outputs[0].data<float>()[i], std::max(0, i - 3));
}

TEST(Plan, RejectsWrongInputShapeAndDtype) {
  ir::Graph g = relu_chain(2, {2, 3});
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok());
  std::vector<Tensor> outputs(1);
  Tensor wrong_shape = Tensor::zeros(DType::kFloat32, {3, 2});
  Status st = (*plan)->run(std::span<const Tensor>(&wrong_shape, 1), outputs);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'x'"), std::string::npos) << st.message();
  Tensor wrong_dtype = Tensor::zeros(DType::kInt32, {2, 3});
  EXPECT_FALSE((*plan)->run(std::span<const Tensor>(&wrong_dtype, 1), outputs).is_ok());
  EXPECT_FALSE((*plan)->run({}, outputs).is_ok());
}

TEST(Plan, SymbolicDimsBindToOptionsOrDefault) {
  ir::Graph g = relu_chain(1, {-1, 3});
  g.value_info["x"].dim_names = {"batch", ""};
  PlanOptions options;
  options.input_shapes["x"] = {4, 3};
  auto plan = Plan::compile(g, builtin_registry(), options);
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ((*plan)->inputs()[0].shape, (Shape{4, 3}));
  auto plan1 = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan1.is_ok());
  EXPECT_EQ((*plan1)->inputs()[0].shape, (Shape{1, 3}));
  options.input_shapes["x"] = {4, 5};  // contradicts the declared static dim
  EXPECT_FALSE(Plan::compile(g, builtin_registry(), options).is_ok());
  options.input_shapes.clear();
  options.input_shapes["nope"] = {1};
  EXPECT_FALSE(Plan::compile(g, builtin_registry(), options).is_ok());
}

TEST(Plan, UnknownOpIsUnsupportedAndAnalysisListsIt) {
  ir::Graph g = relu_chain(2, {2, 3});
  g.nodes[0].op_type = "NoSuchOp";
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_FALSE(plan.is_ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(plan.status().message().find("NoSuchOp"), std::string::npos);
  auto analysis = analyze_graph(g, builtin_registry());
  ASSERT_TRUE(analysis.is_ok());
  ASSERT_EQ(analysis->unsupported.size(), 1u);
  EXPECT_EQ(analysis->unsupported[0].node_index, 0u);
}

TEST(Plan, GraphOutputThatIsAGraphInputIsCopied) {
  ir::Graph g = relu_chain(1, {2});
  g.outputs = {"y", "x"};
  auto plan = Plan::compile(g, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  Tensor x = Tensor::zeros(DType::kFloat32, {2});
  x.data<float>()[0] = -1;
  x.data<float>()[1] = 5;
  std::vector<Tensor> outputs(2);
  ASSERT_TRUE((*plan)->run(std::span<const Tensor>(&x, 1), outputs).is_ok());
  EXPECT_EQ(outputs[1].data<float>()[0], -1);
  EXPECT_EQ(outputs[0].data<float>()[1], 5);
}

}  // namespace
}  // namespace edgebench::engine
