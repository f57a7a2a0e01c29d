// Per-op profiling: the profiler's sums and shares, and the profiling pass on the native
// engine (every node timed once per run) and on a backend without hooks.
#include "edgebench/measure/profiler.h"

#include <gtest/gtest.h>

#include <thread>

#include "edgebench/measure/scenario.h"
#include "measure/measure_test_util.h"

namespace edgebench::measure {
namespace {

using testing::compile_on;
using testing::random_samples;
using testing::relu_chain;
using namespace std::chrono_literals;

void timed_node(OpProfiler& profiler, std::size_t index, std::chrono::microseconds sleep) {
  profiler.before_node(index);
  std::this_thread::sleep_for(sleep);
  profiler.after_node(index);
}

TEST(MeasureProfiler, SumsByNodeAndOpType) {
  OpProfiler profiler(3);
  const std::vector<std::pair<std::string, std::string>> names = {
      {"conv_a", "Conv"}, {"relu", "Relu"}, {"conv_b", "Conv"}};
  for (int run = 0; run < 2; ++run) {
    timed_node(profiler, 0, 3000us);
    timed_node(profiler, 1, 200us);
    timed_node(profiler, 2, 3000us);
    timed_node(profiler, 7, 100us);  // not a node of this plan: ignored
    profiler.count_run();
  }
  const results::OpProfile p = profiler.profile(names);
  EXPECT_EQ(p.runs, 2u);
  ASSERT_EQ(p.by_node.size(), 3u);
  EXPECT_EQ(p.by_node[0].name, "conv_a");
  EXPECT_EQ(p.by_node[1].op_type, "Relu");
  double node_ms = 0, node_share = 0;
  for (const auto& e : p.by_node) {
    EXPECT_EQ(e.calls, 2u);
    node_ms += e.total_ms;
    node_share += e.share;
  }
  EXPECT_NEAR(node_share, 1.0, 1e-12);
  EXPECT_GE(p.by_node[0].total_ms, 6.0);  // two 3 ms sleeps
  EXPECT_GE(p.by_node[1].total_ms, 0.4);
  ASSERT_EQ(p.by_op_type.size(), 2u);
  EXPECT_EQ(p.by_op_type[0].name, "Conv");  // the larger total first
  EXPECT_EQ(p.by_op_type[0].calls, 4u);
  EXPECT_DOUBLE_EQ(p.by_op_type[0].total_ms, p.by_node[0].total_ms + p.by_node[2].total_ms);
  EXPECT_DOUBLE_EQ(p.by_op_type[0].total_ms + p.by_op_type[1].total_ms, node_ms);
  EXPECT_NEAR(p.by_op_type[0].share + p.by_op_type[1].share, 1.0, 1e-12);

  profiler.reset();
  EXPECT_TRUE(profiler.profile(names).by_node.empty());
  EXPECT_EQ(profiler.profile(names).runs, 0u);
}

TEST(MeasureProfiler, UnnamedNodesGetTheirIndex) {
  OpProfiler profiler(2);
  timed_node(profiler, 1, 10us);
  const results::OpProfile p = profiler.profile({});
  ASSERT_EQ(p.by_node.size(), 1u);  // node 0 never ran
  EXPECT_EQ(p.by_node[0].name, "node 1");
  EXPECT_DOUBLE_EQ(p.by_node[0].share, 1.0);
}

TEST(MeasureProfiler, ProfilesEveryNodeOfTheNativeEngine) {
  const Shape shape = {1, 16, 8, 8};
  auto exe = compile_on("native", relu_chain(5, shape));
  ASSERT_NE(exe, nullptr);
  const auto samples = random_samples(2, shape, 11);
  ProfileOptions options;
  options.warmup_runs = 1;
  options.runs = 10;
  auto profile = profile_ops(*exe, samples, options);
  ASSERT_TRUE(profile.is_ok()) << profile.status().to_string();
  EXPECT_EQ(profile->runs, 10u);
  ASSERT_EQ(profile->by_node.size(), 5u);
  double share = 0, total = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(profile->by_node[i].name, "relu" + std::to_string(i));
    EXPECT_EQ(profile->by_node[i].op_type, "Relu");
    EXPECT_EQ(profile->by_node[i].calls, 10u);
    EXPECT_GT(profile->by_node[i].total_ms, 0);
    share += profile->by_node[i].share;
    total += profile->by_node[i].total_ms;
  }
  EXPECT_NEAR(share, 1.0, 1e-12);
  ASSERT_EQ(profile->by_op_type.size(), 1u);
  EXPECT_EQ(profile->by_op_type[0].calls, 50u);
  EXPECT_NEAR(profile->by_op_type[0].total_ms, total, 1e-9);

  // The profiler is detached afterwards: the executable runs (and measures) without it.
  ScenarioSettings s;
  s.min_queries = 70;
  s.min_duration_s = 0;
  auto r = Scenario(s).run(*exe, samples);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->queries, 70u);
}

TEST(MeasureProfiler, BackendWithoutHooksIsUnsupported) {
  auto exe = compile_on("null", relu_chain(2, {1, 4}));
  ASSERT_NE(exe, nullptr);
  auto profile = profile_ops(*exe, random_samples(1, {1, 4}, 1));
  ASSERT_FALSE(profile.is_ok());
  EXPECT_EQ(profile.status().code(), StatusCode::kUnsupported);
  auto native = compile_on("native", relu_chain(2, {1, 4}));
  ASSERT_NE(native, nullptr);
  auto empty = profile_ops(*native, {});
  ASSERT_FALSE(empty.is_ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgebench::measure
