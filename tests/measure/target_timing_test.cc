// Scenarios with a backend that times itself (a remote target): the target's time becomes the
// headline (except in the server scenario), and the round trip and transport overhead are kept
// beside it; backends without such a time change nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "edgebench/measure/scenario.h"
#include "edgebench/results/result.h"

namespace edgebench::measure {
namespace {

// Sleeps `host` per run and reports `target_ms` as the target's own time (when set).
class SelfTimedExecutable final : public backends::Executable {
 public:
  SelfTimedExecutable(std::chrono::microseconds host, std::optional<double> target_ms)
      : host_(host), target_ms_(target_ms) {
    inputs_.push_back({"x", DType::kFloat32, {1}});
    outputs_.push_back({"y", DType::kFloat32, {1}});
  }
  const std::vector<backends::TensorSpec>& inputs() const override { return inputs_; }
  const std::vector<backends::TensorSpec>& outputs() const override { return outputs_; }
  Status run(std::span<const Tensor>, std::span<Tensor>) override {
    std::this_thread::sleep_for(host_);
    info_.device_ms = target_ms_;
    return Status::ok();
  }
  const backends::RunInfo* last_run_info() const override { return &info_; }

 private:
  std::chrono::microseconds host_;
  std::optional<double> target_ms_;
  backends::RunInfo info_;
  std::vector<backends::TensorSpec> inputs_, outputs_;
};

ScenarioSettings quick(ScenarioKind kind) {
  ScenarioSettings s = default_settings(kind);
  s.warmup_queries = 2;
  s.min_queries = 30;
  s.min_duration_s = 0;
  s.samples_per_query = 3;
  if (kind == ScenarioKind::kServer) s.target_qps = 500;
  return s;
}

std::vector<std::vector<Tensor>> one_sample() { return {{Tensor::zeros(DType::kFloat32, {1})}}; }

TEST(MeasureTargetTiming, TargetTimeIsTheHeadlineAndOverheadIsRoundTripMinusTarget) {
  for (ScenarioKind kind : {ScenarioKind::kSingleStream, ScenarioKind::kMultiStream,
                            ScenarioKind::kOffline, ScenarioKind::kServer}) {
    SCOPED_TRACE(std::string(scenario_name(kind)));
    SelfTimedExecutable exe(std::chrono::microseconds(300), 0.125);
    const auto samples = one_sample();
    auto r = Scenario(quick(kind)).run(exe, samples);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_TRUE(r->target_latency && r->round_trip && r->transport_overhead);
    const double per_query = kind == ScenarioKind::kMultiStream ? 3 * 0.125 : 0.125;
    EXPECT_DOUBLE_EQ(r->target_latency->p50, per_query);
    EXPECT_DOUBLE_EQ(r->target_latency->max, per_query);
    // The host saw at least the 0.3 ms sleep per run.
    const double runs = kind == ScenarioKind::kMultiStream ? 3 : 1;
    EXPECT_GE(r->round_trip->min, 0.3 * runs);
    EXPECT_NEAR(r->transport_overhead->p50, r->round_trip->p50 - per_query, 1e-9);
    if (kind == ScenarioKind::kServer) {
      EXPECT_EQ(r->latency_source, "host");
      EXPECT_GE(r->latency.p50, 0.3);
    } else {
      EXPECT_EQ(r->latency_source, "target");
      EXPECT_DOUBLE_EQ(r->latency.p50, per_query);
      ASSERT_FALSE(r->latencies_ms.empty());
      EXPECT_DOUBLE_EQ(r->latencies_ms.front(), per_query);
    }
    if (kind == ScenarioKind::kSingleStream) {
      EXPECT_DOUBLE_EQ(r->headline_value, per_query);
    }

    results::Record record;
    fill_record(quick(kind), *r, record);
    EXPECT_EQ(record.timings.latency_source, r->latency_source);
    ASSERT_TRUE(record.timings.transport_overhead.has_value());
    EXPECT_DOUBLE_EQ(record.timings.transport_overhead->p50, r->transport_overhead->p50);
  }
}

TEST(MeasureTargetTiming, BackendsWithoutTheirOwnTimeKeepTheHostClock) {
  SelfTimedExecutable exe(std::chrono::microseconds(100), std::nullopt);
  const auto samples = one_sample();
  auto r = Scenario(quick(ScenarioKind::kSingleStream)).run(exe, samples);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->latency_source, "host");
  EXPECT_FALSE(r->target_latency || r->round_trip || r->transport_overhead);
  EXPECT_GE(r->latency.min, 0.1);
}

}  // namespace
}  // namespace edgebench::measure
