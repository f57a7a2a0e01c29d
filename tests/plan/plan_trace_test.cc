#include <gtest/gtest.h>

#include "edgebench/plan/trace.h"
#include "plan/plan_test_util.h"

namespace edgebench::plan {
namespace {

using plan_test::dense_model;
using plan_test::test_device;

TEST(PlanTrace, TokensAreLettersNumbersOrNames) {
  const std::vector<std::string> names = {"bird", "plant"};
  auto t = parse_trace("A B, 2\nbird  1", names);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(*t, (std::vector<std::size_t>{0, 1, 1, 0, 0}));

  for (const char* bad : {"A C", "3", "0", "tree", "a"}) {
    auto e = parse_trace(bad, names);
    ASSERT_FALSE(e.is_ok()) << bad;
    EXPECT_NE(e.status().message().find("--trace: unknown model"), std::string::npos);
  }
  EXPECT_FALSE(parse_trace("  ,\n", names).is_ok());
}

LatencyBreakdown latency(double warm, double load) {
  LatencyBreakdown t;
  t.compute_s = warm;
  t.cache_load_s = load;
  return t;
}

TEST(PlanTrace, SeparateCompilationReloadsAtEverySwitch) {
  std::vector<ModelPlan> co(2);
  std::vector<ModelPlan> sep(2);
  co[0].latency = latency(0.010, 0.100);
  co[1].latency = latency(0.080, 0.070);
  sep[0].latency = latency(0.010, 0.110);
  sep[1].latency = latency(0.011, 0.150);
  const TracePrediction p = predict_trace(co, sep, {0, 1, 0, 1, 1, 0});
  ASSERT_EQ(p.requests.size(), 6u);
  // Co-compiled: each model loads its share once, then runs warm whatever ran before it.
  EXPECT_TRUE(p.requests[0].co_compiled_load);
  EXPECT_TRUE(p.requests[1].co_compiled_load);
  EXPECT_FALSE(p.requests[2].co_compiled_load);
  EXPECT_DOUBLE_EQ(p.requests[2].co_compiled_s, 0.010);
  EXPECT_DOUBLE_EQ(p.requests[3].co_compiled_s, 0.080);
  // Separately: a reload whenever the other model ran last; a repeat is warm.
  EXPECT_TRUE(p.requests[2].separate_reload);
  EXPECT_DOUBLE_EQ(p.requests[2].separate_s, 0.120);
  EXPECT_TRUE(p.requests[3].separate_reload);
  EXPECT_FALSE(p.requests[4].separate_reload);
  EXPECT_DOUBLE_EQ(p.requests[4].separate_s, 0.011);
  EXPECT_NEAR(p.co_compiled_total_s, 0.110 + 0.150 + 0.010 + 0.080 + 0.080 + 0.010, 1e-12);
  EXPECT_NEAR(p.separate_total_s, 0.120 + 0.161 + 0.120 + 0.161 + 0.011 + 0.120, 1e-12);
}

TEST(PlanTrace, RecommendedOrderPutsTheFrequentModelFirst) {
  const Device d = test_device();            // 1 MiB cache
  const ir::Graph small = dense_model(300);  // 0.31 MiB
  const ir::Graph large = dense_model(540);  // 0.96 MiB: fits alone, not beside the small one
  const std::vector<PlanInput> inputs = {{"small", &small}, {"large", &large}};

  auto mostly_large = recommend_order(inputs, d, {0, 1, 1, 1, 1, 1, 1, 0});
  ASSERT_TRUE(mostly_large.is_ok()) << mostly_large.status().to_string();
  EXPECT_EQ(mostly_large->invocations, (std::vector<std::size_t>{2, 6}));
  ASSERT_EQ(mostly_large->candidates.size(), 2u);
  EXPECT_EQ(mostly_large->candidates[0].order, (std::vector<std::size_t>{1, 0}));
  EXPECT_LT(mostly_large->candidates[0].total_s, mostly_large->candidates[1].total_s);

  auto mostly_small = recommend_order(inputs, d, {0, 0, 0, 0, 0, 1, 0, 0});
  ASSERT_TRUE(mostly_small.is_ok());
  EXPECT_EQ(mostly_small->candidates[0].order, (std::vector<std::size_t>{0, 1}));
}

TEST(PlanTrace, CoCompiledPairBeatsSeparateWhenAlternating) {
  const Device d = test_device();
  const ir::Graph a = dense_model(300);
  const ir::Graph b = dense_model(400);
  const std::vector<PlanInput> inputs = {{"a", &a}, {"b", &b}};
  auto co = co_compile(inputs, d);
  auto sep = compile_separately(inputs, d);
  ASSERT_TRUE(co.is_ok() && sep.is_ok());
  std::vector<std::size_t> trace;
  for (int i = 0; i < 20; ++i) trace.push_back(static_cast<std::size_t>(i % 2));
  const TracePrediction p = predict_trace(*co, *sep, trace);
  EXPECT_LT(p.co_compiled_total_s, p.separate_total_s);
  // Both fit together, so after the first two requests co-compiled requests are warm.
  EXPECT_DOUBLE_EQ(p.requests[5].co_compiled_s, (*co)[1].latency.warm_s());
  EXPECT_DOUBLE_EQ(p.requests[5].separate_s, (*sep)[1].latency.first_s());
}

}  // namespace
}  // namespace edgebench::plan
