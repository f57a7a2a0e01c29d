// The remote-target timings of a result (target time, round trip, transport overhead) survive
// JSON both ways, and are null / absent for local backends.
#include <gtest/gtest.h>

#include "edgebench/results/result.h"

namespace edgebench::results {
namespace {

Record minimal_record() {
  Record r;
  r.id = "20261122-000000.000-00000000";
  r.created_at = "2026-11-22T00:00:00Z";
  r.model = {"m.onnx", "m", std::string(64, 'a'), 1, 4, 1, 100};
  r.backend.name = "tcp://127.0.0.1:7878";
  r.scenario.name = "single-stream";
  r.timings.headline_metric = "p90_ms";
  return r;
}

TEST(ResultRemoteTimings, RoundTripThroughJson) {
  Record r = minimal_record();
  r.timings.latency_source = "target";
  r.timings.target_latency = LatencyStats{10, 0.1, 0.2, 0.15, 0.01, 0.15, 0.19, 0.2, 0.2, 0.2};
  r.timings.round_trip = LatencyStats{10, 0.2, 0.4, 0.3, 0.02, 0.3, 0.39, 0.4, 0.4, 0.4};
  r.timings.transport_overhead = LatencyStats{10, 0.1, 0.2, 0.15, 0.01, 0.14, 0.2, 0.2, 0.2, 0.2};
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["timings"]["latency_source"], "target");
  EXPECT_DOUBLE_EQ(j["timings"]["transport_overhead_ms"]["p50"].get<double>(), 0.14);
  auto back = from_json(j);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->timings.latency_source, "target");
  ASSERT_TRUE(back->timings.target_latency && back->timings.round_trip &&
              back->timings.transport_overhead);
  EXPECT_DOUBLE_EQ(back->timings.round_trip->p90, 0.39);
  EXPECT_EQ(back->timings.target_latency->count, 10u);
}

TEST(ResultRemoteTimings, LocalRecordsWriteNullsAndOlderRecordsRead) {
  Record r = minimal_record();
  nlohmann::json j = to_json(r);
  EXPECT_EQ(j["timings"]["latency_source"], "host");
  EXPECT_TRUE(j["timings"]["target_latency_ms"].is_null());
  // A record written before these fields existed still reads.
  j["timings"].erase("latency_source");
  j["timings"].erase("target_latency_ms");
  j["timings"].erase("round_trip_ms");
  j["timings"].erase("transport_overhead_ms");
  auto back = from_json(j);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->timings.latency_source, "host");
  EXPECT_FALSE(back->timings.round_trip.has_value());
}

}  // namespace
}  // namespace edgebench::results
