// Scenarios: every scenario on the null and native backends, stopping rules and the invalid
// flag, warm-up accounting, server pacing (achieved QPS, queueing under overload), progress
// reports and errors. Timing assertions are loose on purpose: the machine may be loaded.
#include "edgebench/measure/scenario.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "measure/measure_test_util.h"

namespace edgebench::measure {
namespace {

using testing::compile_on;
using testing::FakeExecutable;
using testing::random_samples;
using testing::relu_chain;
using namespace std::chrono_literals;

const Shape kShape = {1, 8, 4, 4};

ScenarioSettings quick(ScenarioKind kind) {
  ScenarioSettings s;
  s.kind = kind;
  s.warmup_queries = 3;
  s.min_queries = 100;
  s.min_duration_s = 0.05;
  s.samples_per_query = 2;
  s.batch = 4;
  s.seed = 42;
  if (kind == ScenarioKind::kMultiStream) s.min_queries = 662;  // for the p99 estimate
  if (kind == ScenarioKind::kServer) {
    s.target_qps = 2000;
    s.min_duration_s = 0.3;
  }
  return s;
}

double mean_of(std::span<const double> v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

struct BackendScenario {
  std::string backend;
  ScenarioKind kind;
};

class MeasureScenarioEveryBackend : public ::testing::TestWithParam<BackendScenario> {};

TEST_P(MeasureScenarioEveryBackend, RunsAndReportsConsistentFigures) {
  const auto& [backend, kind] = GetParam();
  auto exe = compile_on(backend, relu_chain(4, kShape));
  ASSERT_NE(exe, nullptr);
  const auto samples = random_samples(3, kShape, 7);
  const ScenarioSettings settings = quick(kind);
  auto result = Scenario(settings).run(*exe, samples);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  const ScenarioResult& r = *result;
  EXPECT_EQ(r.kind, kind);
  EXPECT_TRUE(r.valid) << (r.invalid_reasons.empty() ? "" : r.invalid_reasons[0]);
  EXPECT_GE(r.queries, settings.min_queries);
  EXPECT_GE(r.duration_s, settings.min_duration_s * (kind == ScenarioKind::kServer ? 0.9 : 1.0));
  EXPECT_EQ(r.latency.count, r.latencies_ms.size());
  EXPECT_LE(r.latency.min, r.latency.p50);
  EXPECT_LE(r.latency.p50, r.latency.p90);
  EXPECT_LE(r.latency.p99, r.latency.max);
  EXPECT_GT(r.throughput.samples_per_s, 0);
  switch (kind) {
    case ScenarioKind::kSingleStream:
      EXPECT_EQ(r.headline_metric, "p90_ms");
      EXPECT_EQ(r.headline_value, r.latency.p90);
      EXPECT_EQ(r.samples, r.queries);
      ASSERT_TRUE(r.early_stopping_ms.has_value());
      EXPECT_GE(*r.early_stopping_ms, r.latency.p90);
      break;
    case ScenarioKind::kMultiStream:
      EXPECT_EQ(r.headline_metric, "p99_ms");
      EXPECT_EQ(r.headline_value, r.latency.p99);
      EXPECT_EQ(r.samples, r.queries * 2);
      EXPECT_NEAR(r.throughput.samples_per_s, 2 * r.throughput.queries_per_s, 1e-6);
      ASSERT_TRUE(r.early_stopping_ms.has_value());
      break;
    case ScenarioKind::kServer:
      EXPECT_EQ(r.headline_metric, "p99_ms");
      ASSERT_TRUE(r.throughput.target_qps.has_value());
      EXPECT_EQ(*r.throughput.target_qps, 2000);
      EXPECT_FALSE(r.met_latency_bound.has_value());  // no bound given
      break;
    case ScenarioKind::kOffline:
      EXPECT_EQ(r.headline_metric, "samples_per_s");
      EXPECT_EQ(r.headline_value, r.throughput.samples_per_s);
      EXPECT_EQ(r.samples % 4, 0u);  // whole batches
      EXPECT_EQ(r.latencies_ms.size(), r.samples);
      EXPECT_FALSE(r.early_stopping_ms.has_value());
      break;
  }
  if (kind != ScenarioKind::kServer) {
    // Closed loop: the time of all queries fits in the phase's wall time.
    const double busy_s =
        std::accumulate(r.latencies_ms.begin(), r.latencies_ms.end(), 0.0) / 1000.0;
    EXPECT_LE(busy_s, r.duration_s * 1.0001 + 1e-6);
  }
}

std::string param_name(const ::testing::TestParamInfo<BackendScenario>& info) {
  std::string name = info.param.backend + "_" + std::string(scenario_name(info.param.kind));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(All, MeasureScenarioEveryBackend,
                         ::testing::Values(BackendScenario{"null", ScenarioKind::kSingleStream},
                                           BackendScenario{"null", ScenarioKind::kMultiStream},
                                           BackendScenario{"null", ScenarioKind::kServer},
                                           BackendScenario{"null", ScenarioKind::kOffline},
                                           BackendScenario{"native", ScenarioKind::kSingleStream},
                                           BackendScenario{"native", ScenarioKind::kMultiStream},
                                           BackendScenario{"native", ScenarioKind::kServer},
                                           BackendScenario{"native", ScenarioKind::kOffline}),
                         param_name);

TEST(MeasureScenario, NamesRoundTrip) {
  for (ScenarioKind kind : {ScenarioKind::kSingleStream, ScenarioKind::kMultiStream,
                            ScenarioKind::kServer, ScenarioKind::kOffline}) {
    auto parsed = parse_scenario(scenario_name(kind));
    ASSERT_TRUE(parsed.is_ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto bad = parse_scenario("streaming");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("single-stream"), std::string::npos);
  EXPECT_EQ(default_settings(ScenarioKind::kMultiStream).min_queries, 662u);
}

TEST(MeasureScenario, RejectsBadSettingsAndSamples) {
  FakeExecutable exe;
  const auto samples = random_samples(1, {1}, 1);
  const auto expect_invalid = [&](const ScenarioSettings& s, const std::string& word) {
    auto r = Scenario(s).run(exe, samples);
    ASSERT_FALSE(r.is_ok()) << word;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(word), std::string::npos) << r.status().message();
  };
  ScenarioSettings s = quick(ScenarioKind::kServer);
  s.target_qps.reset();
  expect_invalid(s, "target_qps");
  s.target_qps = -5;
  expect_invalid(s, "target_qps");
  s = quick(ScenarioKind::kOffline);
  s.batch = 0;
  expect_invalid(s, "batch");
  s = quick(ScenarioKind::kMultiStream);
  s.samples_per_query = 0;
  expect_invalid(s, "samples_per_query");
  s = quick(ScenarioKind::kSingleStream);
  s.min_duration_s = std::nan("");
  expect_invalid(s, "min_duration_s");
  s = quick(ScenarioKind::kSingleStream);
  s.max_duration_s = -1;
  expect_invalid(s, "max_duration_s");
  s = quick(ScenarioKind::kServer);
  s.latency_bound_ms = 0;
  expect_invalid(s, "latency_bound_ms");

  auto none = Scenario(quick(ScenarioKind::kSingleStream)).run(exe, {});
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  std::vector<std::vector<Tensor>> two_inputs = {
      {Tensor::zeros(DType::kFloat32, {1}), Tensor::zeros(DType::kFloat32, {1})}};
  auto wrong = Scenario(quick(ScenarioKind::kSingleStream)).run(exe, two_inputs);
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_NE(wrong.status().message().find("sample 0 has 2 input tensors"), std::string::npos)
      << wrong.status().message();
  EXPECT_EQ(exe.calls(), 0u);  // nothing ran
}

TEST(MeasureScenario, MinQueriesStopsWhenDurationIsShort) {
  FakeExecutable exe;
  ScenarioSettings s = quick(ScenarioKind::kSingleStream);
  s.warmup_queries = 7;
  s.min_queries = 500;
  s.min_duration_s = 0;
  auto r = Scenario(s).run(exe, random_samples(2, {1}, 1));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->queries, 500u);
  EXPECT_EQ(r->latencies_ms.size(), 500u);
  EXPECT_EQ(exe.calls(), 507u);  // warm-up ran, not recorded
  EXPECT_TRUE(r->valid);
}

TEST(MeasureScenario, MinDurationStopsWhenQueriesAreFew) {
  FakeExecutable exe(1000us);
  ScenarioSettings s = quick(ScenarioKind::kSingleStream);
  s.min_queries = 70;  // about 75 ms of 1 ms queries
  s.min_duration_s = 0.2;
  auto r = Scenario(s).run(exe, random_samples(2, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_GE(r->duration_s, 0.2);
  EXPECT_GT(r->queries, 70u);
  EXPECT_LT(r->duration_s, 2.0);
  EXPECT_GE(r->latency.min, 1.0);  // each query sleeps 1 ms
  EXPECT_TRUE(r->valid);
}

TEST(MeasureScenario, MaxQueriesCapMakesRunInvalid) {
  FakeExecutable exe;
  ScenarioSettings s = quick(ScenarioKind::kSingleStream);
  s.min_queries = 100;
  s.max_queries = 50;
  auto r = Scenario(s).run(exe, random_samples(1, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->queries, 50u);
  EXPECT_FALSE(r->valid);
  ASSERT_FALSE(r->invalid_reasons.empty());
  EXPECT_NE(r->invalid_reasons[0].find("max_queries (50)"), std::string::npos)
      << r->invalid_reasons[0];
  EXPECT_NE(r->invalid_reasons[0].find("min_queries (100"), std::string::npos)
      << r->invalid_reasons[0];
  // 50 queries are also too few for a p90 early-stopping estimate (64).
  EXPECT_FALSE(r->early_stopping_ms.has_value());
  EXPECT_EQ(r->invalid_reasons.size(), 2u);
}

TEST(MeasureScenario, MaxDurationCapMakesRunInvalid) {
  FakeExecutable exe(500us);
  ScenarioSettings s = quick(ScenarioKind::kSingleStream);
  s.min_queries = 10;
  s.min_duration_s = 30;
  s.max_duration_s = 0.1;
  auto r = Scenario(s).run(exe, random_samples(1, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_GE(r->duration_s, 0.1);
  EXPECT_LT(r->duration_s, 1.5);
  EXPECT_FALSE(r->valid);
  ASSERT_FALSE(r->invalid_reasons.empty());
  EXPECT_NE(r->invalid_reasons[0].find("max_duration_s"), std::string::npos);
  EXPECT_NE(r->invalid_reasons[0].find("min_duration_s (30 s"), std::string::npos)
      << r->invalid_reasons[0];
}

TEST(MeasureScenario, CapAfterMinimumsKeepsRunValid) {
  FakeExecutable exe;
  ScenarioSettings s = quick(ScenarioKind::kSingleStream);
  s.min_queries = 100;
  s.min_duration_s = 0;
  s.max_queries = 100;
  auto r = Scenario(s).run(exe, random_samples(1, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->queries, 100u);
  EXPECT_TRUE(r->valid);
}

TEST(MeasureScenario, SamplesUsedRoundRobinFromTheFirstAfterWarmUp) {
  FakeExecutable exe;
  exe.record_inputs();
  const auto samples = random_samples(3, {1}, 1);
  ScenarioSettings s = quick(ScenarioKind::kMultiStream);
  s.warmup_queries = 2;  // 4 runs: samples 0 1 2 0
  s.samples_per_query = 2;
  s.min_queries = 5;
  s.min_duration_s = 0;
  auto r = Scenario(s).run(exe, samples);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(exe.seen().size(), 4u + 10u);
  const std::vector<int> expected = {0, 1, 2, 0, /*measured*/ 0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(exe.seen()[i], samples[expected[i]][0].raw_data()) << "call " << i;
  }
  EXPECT_FALSE(r->valid);  // 5 queries: no p99 estimate
}

TEST(MeasureScenario, MultiStreamQueryLatencyCoversAllItsSamples) {
  FakeExecutable exe(1000us);
  ScenarioSettings s = quick(ScenarioKind::kMultiStream);
  s.samples_per_query = 3;
  s.min_queries = 20;
  s.min_duration_s = 0;
  auto r = Scenario(s).run(exe, random_samples(2, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->queries, 20u);
  EXPECT_EQ(r->samples, 60u);
  EXPECT_GE(r->latency.min, 3.0);  // three 1 ms sleeps per query
}

TEST(MeasureScenario, OfflineRunsWholeBatches) {
  FakeExecutable exe;
  ScenarioSettings s = quick(ScenarioKind::kOffline);
  s.warmup_queries = 0;
  s.batch = 8;
  s.min_queries = 20;
  s.min_duration_s = 0;
  auto r = Scenario(s).run(exe, random_samples(5, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->samples, 24u);
  EXPECT_EQ(exe.calls(), 24u);
  EXPECT_EQ(r->latencies_ms.size(), 24u);
  EXPECT_TRUE(r->valid);
  EXPECT_NEAR(r->throughput.samples_per_s, 24 / r->duration_s, 1e-6 * r->throughput.samples_per_s);
}

TEST(MeasureScenario, ServerAchievesTargetQpsOnFastBackend) {
  auto exe = compile_on("null", relu_chain(2, kShape));
  ASSERT_NE(exe, nullptr);
  ScenarioSettings s = quick(ScenarioKind::kServer);
  s.target_qps = 2000;
  s.min_queries = 100;
  s.min_duration_s = 1.0;
  s.latency_bound_ms = 50;  // generous: the null backend answers in microseconds
  // The arrival schedule is fixed by the seed; this one has 2028 arrivals in the first second,
  // so what is tested is that the harness keeps up with it, not the Poisson count's spread.
  s.seed = 2;
  auto r = Scenario(s).run(*exe, random_samples(2, kShape, 3));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_NEAR(r->throughput.queries_per_s, 2000, 100) << "seed " << s.seed;
  EXPECT_GT(r->queries, 1700u);
  EXPECT_LT(r->queries, 2300u);
  ASSERT_TRUE(r->met_latency_bound.has_value());
  EXPECT_TRUE(*r->met_latency_bound) << "p99 " << r->latency.p99;
  EXPECT_TRUE(r->valid) << (r->invalid_reasons.empty() ? "" : r->invalid_reasons[0]);
  ASSERT_TRUE(r->early_stopping_ms.has_value());
}

TEST(MeasureScenario, ServerLatencyIncludesQueueingWhenOverloaded) {
  // 2 ms per query at 1000 queries/s: the queue grows by about 1 ms per query.
  FakeExecutable exe(2000us);
  ScenarioSettings s = quick(ScenarioKind::kServer);
  s.target_qps = 1000;
  s.min_queries = 200;
  s.min_duration_s = 0.1;
  s.latency_bound_ms = 10;
  auto r = Scenario(s).run(exe, random_samples(2, {1}, 1));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const std::span<const double> lat = r->latencies_ms;
  ASSERT_EQ(lat.size(), 200u);
  const double first = mean_of(lat.first(40));
  const double last = mean_of(lat.last(40));
  EXPECT_GT(last, first + 50.0) << "first " << first << " last " << last;
  EXPECT_GT(r->latency.p99, 50.0);
  EXPECT_LT(r->throughput.queries_per_s, 600);  // service-bound near 500/s
  ASSERT_TRUE(r->met_latency_bound.has_value());
  EXPECT_FALSE(*r->met_latency_bound);
  EXPECT_FALSE(r->valid);
  bool mentions_bound = false;
  for (const auto& reason : r->invalid_reasons) {
    mentions_bound |= reason.find("exceeds the bound") != std::string::npos;
  }
  EXPECT_TRUE(mentions_bound);
}

TEST(MeasureScenario, ServerWithoutOverloadHasNoQueueing) {
  FakeExecutable exe(2000us);
  ScenarioSettings s = quick(ScenarioKind::kServer);
  s.target_qps = 50;  // 20 ms apart on average, 2 ms of work
  s.min_queries = 15;
  s.min_duration_s = 0;
  auto r = Scenario(s).run(exe, random_samples(1, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  EXPECT_GE(r->latency.min, 2.0);
  // Even on a loaded machine most queries find the worker idle.
  EXPECT_LT(r->latency.p50, 15.0);
}

TEST(MeasureScenario, ServerCapBeforeFirstArrival) {
  FakeExecutable exe;
  ScenarioSettings s = quick(ScenarioKind::kServer);
  s.warmup_queries = 0;
  s.target_qps = 0.01;  // first arrival after 100 s on average (141 s for seed 42)
  s.max_duration_s = 0.05;
  s.latency_bound_ms = 10;
  auto r = Scenario(s).run(exe, random_samples(1, {1}, 1));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->queries, 0u);
  EXPECT_EQ(exe.calls(), 0u);
  EXPECT_FALSE(r->valid);
  EXPECT_FALSE(r->met_latency_bound.has_value());
  ASSERT_FALSE(r->invalid_reasons.empty());
  EXPECT_NE(r->invalid_reasons[0].find("before the first query arrived"), std::string::npos);
}

TEST(MeasureScenario, ProgressReportedAboutEvery100Ms) {
  FakeExecutable exe(200us);
  ScenarioSettings s = quick(ScenarioKind::kSingleStream);
  s.min_duration_s = 0.45;
  std::vector<Progress> reports;
  ScenarioHooks hooks;
  hooks.progress = [&reports](const Progress& p) { reports.push_back(p); };
  auto r = Scenario(s).run(exe, random_samples(1, {1}, 1), hooks);
  ASSERT_TRUE(r.is_ok());
  ASSERT_GE(reports.size(), 2u);
  EXPECT_LE(reports.size(), 5u);
  for (std::size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GE(reports[i].elapsed_s - reports[i - 1].elapsed_s, 0.099);
    EXPECT_GE(reports[i].queries, reports[i - 1].queries);
  }
  EXPECT_LE(reports.back().queries, r->queries);
}

TEST(MeasureScenario, RunErrorsCarryTheQuery) {
  FakeExecutable exe;
  exe.fail_at(3 + 10);  // after 3 warm-up queries, the 11th measured one
  auto r = Scenario(quick(ScenarioKind::kSingleStream)).run(exe, random_samples(1, {1}, 1));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("query 10"), std::string::npos) << r.status().message();

  FakeExecutable warm;
  warm.fail_at(1);
  auto w = Scenario(quick(ScenarioKind::kServer)).run(warm, random_samples(1, {1}, 1));
  ASSERT_FALSE(w.is_ok());
  EXPECT_NE(w.status().message().find("warm-up query 1"), std::string::npos)
      << w.status().message();
}

TEST(MeasureScenario, FirstInferenceIsTimedOnce) {
  auto exe = compile_on("native", relu_chain(3, kShape));
  ASSERT_NE(exe, nullptr);
  const auto samples = random_samples(1, kShape, 9);
  std::vector<Tensor> outputs = preallocate_outputs(*exe);
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].shape(), kShape);
  auto ms = time_first_inference(*exe, samples[0], outputs);
  ASSERT_TRUE(ms.is_ok()) << ms.status().to_string();
  EXPECT_GT(*ms, 0);
  // The Relu chain's output is relu(x).
  const float* x = samples[0][0].data<float>();
  const float* y = outputs[0].data<float>();
  for (std::int64_t i = 0; i < element_count(kShape); ++i) {
    ASSERT_EQ(y[i], std::max(x[i], 0.0f)) << "element " << i;
  }
  FakeExecutable failing;
  failing.fail_at(0);
  std::vector<Tensor> none(1);
  auto bad = time_first_inference(failing, samples[0], none);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("first inference"), std::string::npos);
}

TEST(MeasureScenario, FillRecordCopiesFigures) {
  FakeExecutable exe;
  ScenarioSettings s = quick(ScenarioKind::kSingleStream);
  s.max_queries = 10;  // invalid: stopped before min_queries
  auto r = Scenario(s).run(exe, random_samples(1, {1}, 1));
  ASSERT_TRUE(r.is_ok());
  results::Record record;
  record.scenario.inputs = "random:3";
  record.invalid_reasons = {"earlier check"};
  fill_record(s, *r, record);
  EXPECT_EQ(record.scenario.name, "single-stream");
  EXPECT_EQ(record.scenario.inputs, "random:3");
  EXPECT_EQ(record.scenario.min_queries, 100u);
  EXPECT_EQ(record.timings.headline_metric, "p90_ms");
  EXPECT_EQ(record.timings.latency.count, 10u);
  EXPECT_EQ(record.latencies_ms.size(), 10u);
  EXPECT_FALSE(record.valid);
  ASSERT_GE(record.invalid_reasons.size(), 2u);
  EXPECT_EQ(record.invalid_reasons[0], "earlier check");
  EXPECT_GT(record.memory.peak_rss_bytes, 0u);
  EXPECT_FALSE(record.energy.available);
}

}  // namespace
}  // namespace edgebench::measure
