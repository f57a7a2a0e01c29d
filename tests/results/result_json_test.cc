#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "edgebench/results/ids.h"
#include "edgebench/results/io.h"
#include "edgebench/results/result.h"
#include "results/results_test_util.h"

namespace edgebench::results {
namespace {

using testing::differing_fields;
using ::testing::ElementsAre;
using testing::full_record;
using ::testing::HasSubstr;
using testing::minimal_record;

Record round_trip_text(const Record& record, int indent) {
  Result<Record> back = parse_record(to_json_text(record, indent), "test");
  EXPECT_TRUE(back.is_ok()) << back.status().to_string();
  return back.is_ok() ? back.value() : Record{};
}

TEST(ResultsJson, RoundTripEveryFieldSet) {
  for (int n : {0, 1, 7}) {
    const Record r = full_record(n);
    Result<Record> back = from_json(to_json(r));
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_THAT(differing_fields(r, *back), ::testing::IsEmpty()) << "n " << n;
    EXPECT_THAT(differing_fields(r, round_trip_text(r, 2)), ::testing::IsEmpty()) << "n " << n;
    EXPECT_THAT(differing_fields(r, round_trip_text(r, -1)), ::testing::IsEmpty()) << "n " << n;
  }
}

TEST(ResultsJson, RoundTripOptionalsAbsent) {
  const Record r = minimal_record();
  const nlohmann::json j = to_json(r);
  // Absent optionals are written as null so that every record has the same keys.
  EXPECT_TRUE(j.at("profile").is_null());
  EXPECT_TRUE(j.at("quality").is_null());
  EXPECT_TRUE(j.at("timings").at("early_stopping_ms").is_null());
  EXPECT_TRUE(j.at("timings").at("met_latency_bound").is_null());
  EXPECT_TRUE(j.at("scenario").at("target_qps").is_null());
  EXPECT_TRUE(j.at("throughput").at("target_qps").is_null());
  Result<Record> back = from_json(j);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_THAT(differing_fields(r, *back), ::testing::IsEmpty());
  EXPECT_FALSE(back->profile.has_value());
  EXPECT_FALSE(back->timings.met_latency_bound.has_value());
  EXPECT_THAT(differing_fields(r, round_trip_text(r, 2)), ::testing::IsEmpty());
}

TEST(ResultsJson, FalseAndZeroOptionalsStayPresent) {
  Record r = minimal_record();
  r.timings.met_latency_bound = false;
  r.timings.early_stopping_ms = 0.0;
  r.profile = OpProfile{};
  const Record back = round_trip_text(r, 2);
  ASSERT_TRUE(back.timings.met_latency_bound.has_value());
  EXPECT_FALSE(*back.timings.met_latency_bound);
  ASSERT_TRUE(back.timings.early_stopping_ms.has_value());
  EXPECT_TRUE(back.profile.has_value());
  EXPECT_THAT(differing_fields(r, back), ::testing::IsEmpty());
}

TEST(ResultsJson, RoundTripIsBitExactForRandomDoubles) {
  const std::uint64_t seed = 20261122;
  std::mt19937_64 gen(seed);
  Record r = minimal_record();
  for (int i = 0; i < 2000; ++i) {
    // Random bit patterns cover every exponent; skip the non-finite ones (tested below).
    std::uint64_t bits = gen();
    double v = 0;
    std::memcpy(&v, &bits, sizeof v);
    if (std::isfinite(v)) r.latencies_ms.push_back(v);
  }
  r.latencies_ms.push_back(std::numeric_limits<double>::denorm_min());
  r.latencies_ms.push_back(std::numeric_limits<double>::max());
  r.latencies_ms.push_back(-0.0);
  const Record back = round_trip_text(r, -1);
  EXPECT_THAT(differing_fields(r, back), ::testing::IsEmpty()) << "seed " << seed;
}

TEST(ResultsJson, NonFiniteNumbersAreNullAndReadBackAsNan) {
  Record r = minimal_record();
  r.timings.headline_value = std::numeric_limits<double>::quiet_NaN();
  r.latencies_ms = {1.0, std::numeric_limits<double>::infinity(), 2.0};
  const nlohmann::json j = nlohmann::json::parse(to_json_text(r));
  EXPECT_TRUE(j["timings"]["headline_value"].is_null());
  EXPECT_TRUE(j["latencies_ms"][1].is_null());
  const Record back = round_trip_text(r, 2);
  EXPECT_TRUE(std::isnan(back.timings.headline_value));
  ASSERT_EQ(back.latencies_ms.size(), 3u);
  EXPECT_TRUE(std::isnan(back.latencies_ms[1]));
  EXPECT_EQ(back.latencies_ms[2], 2.0);
}

TEST(ResultsJson, SchemaFirstThenPercentileConventionThenStructOrder) {
  const std::string text = to_json_text(full_record(), 2);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_THAT(
      keys, ElementsAre("schema", "percentiles", "id", "created_at", "label", "command", "valid",
                        "invalid_reasons", "model", "backend", "host", "scenario", "timings",
                        "throughput", "memory", "cpu", "energy", "quality", "params", "accelerator",
                        "profile", "conditions", "latencies_ms", "latencies_path"));
  EXPECT_EQ(j["schema"], "edgebench.result/1");
  EXPECT_EQ(j["percentiles"], "nearest-rank on sorted latencies");
  EXPECT_EQ(text.rfind("{\n  \"schema\": \"edgebench.result/1\",", 0), 0u) << text.substr(0, 80);
  // The one-line form has no newline (JSONL).
  EXPECT_EQ(to_json_text(full_record(), -1).find('\n'), std::string::npos);
}

TEST(ResultsJson, KeyNamesMatchTheStructs) {
  const nlohmann::json j = to_json(full_record());
  const nlohmann::json& t = j.at("timings");
  for (const char* key :
       {"init_ms", "first_inference_ms", "latency_ms", "headline_metric", "headline_value",
        "early_stopping_ms", "duration_s", "met_latency_bound"}) {
    EXPECT_TRUE(t.contains(key)) << key;
  }
  for (const char* key :
       {"count", "min", "max", "mean", "std", "p50", "p90", "p95", "p99", "p999"}) {
    EXPECT_TRUE(t.at("latency_ms").contains(key)) << key;
  }
  EXPECT_EQ(j.at("memory").at("peak_rss_bytes"), 123456789u);
  EXPECT_EQ(j.at("scenario").at("seed"), 18446744073709551615ull);
  EXPECT_EQ(j.at("host").at("libraries").at("onnx"), "1.12.0");
  EXPECT_EQ(j.at("energy").at("domains")[1].at("name"), "dram");
  EXPECT_EQ(j.at("profile").at("by_node")[0].at("op_type"), "Conv");
}

TEST(ResultsJson, InvalidUtf8IsReplacedNotThrown) {
  Record r = minimal_record();
  r.label = "bad \xff\xfe label";
  const std::string text = to_json_text(r);
  Result<Record> back = parse_record(text, "test");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_THAT(back->label, HasSubstr("label"));
}

// --- errors ---

std::string error_of(const nlohmann::json& j) {
  Result<Record> r = from_json(j);
  EXPECT_FALSE(r.is_ok());
  return r.is_ok() ? "" : r.status().message();
}

TEST(ResultsJson, RejectsWrongSchema) {
  nlohmann::json j = to_json(minimal_record());
  j["schema"] = "edgebench.result/2";
  EXPECT_THAT(error_of(j), HasSubstr("'schema' is \"edgebench.result/2\", expected "
                                     "\"edgebench.result/1\""));
  j["schema"] = 1;
  EXPECT_THAT(error_of(j), HasSubstr("'schema'"));
  j.erase("schema");
  EXPECT_THAT(error_of(j), HasSubstr("'schema' is missing"));
  EXPECT_THAT(error_of(nlohmann::json::array()), HasSubstr("must be a JSON object, got array"));
}

TEST(ResultsJson, RejectsOtherPercentileConvention) {
  nlohmann::json j = to_json(minimal_record());
  j["percentiles"] = "linear interpolation";
  EXPECT_THAT(error_of(j), HasSubstr("'percentiles' is \"linear interpolation\""));
  j.erase("percentiles");  // optional: documents written before it existed
  EXPECT_TRUE(from_json(j).is_ok());
}

TEST(ResultsJson, MissingRequiredFieldsAreNamed) {
  const nlohmann::json base = to_json(full_record());
  const std::vector<std::vector<std::string>> paths = {
      {"id"},
      {"created_at"},
      {"valid"},
      {"model"},
      {"model", "name"},
      {"model", "sha256"},
      {"backend", "name"},
      {"backend", "threads"},
      {"scenario"},
      {"scenario", "name"},
      {"timings", "init_ms"},
      {"timings", "latency_ms"},
      {"timings", "latency_ms", "p99"},
      {"timings", "headline_metric"},
      {"timings", "headline_value"},
      {"throughput", "samples_per_s"},
      {"memory", "arena_bytes"},
      {"energy", "available"},
  };
  for (const auto& path : paths) {
    nlohmann::json j = base;
    nlohmann::json* parent = &j;
    std::string dotted;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      parent = &(*parent)[path[i]];
      dotted += path[i] + ".";
    }
    dotted += path.back();
    parent->erase(path.back());
    EXPECT_THAT(error_of(j), HasSubstr("result field '" + dotted + "' is missing")) << dotted;
  }
}

TEST(ResultsJson, OptionalSectionsMayBeMissing) {
  nlohmann::json j = to_json(full_record());
  for (const char* key : {"label", "command", "invalid_reasons", "host", "cpu", "energy", "quality",
                          "profile", "latencies_ms"}) {
    j.erase(key);
  }
  j["timings"].erase("early_stopping_ms");
  j["timings"].erase("duration_s");
  Result<Record> r = from_json(j);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_FALSE(r->energy.available);
  EXPECT_FALSE(r->profile.has_value());
  EXPECT_TRUE(r->latencies_ms.empty());
  EXPECT_TRUE(r->quality.is_null());
}

TEST(ResultsJson, WrongTypesAreNamedWithWhatWasExpected) {
  const nlohmann::json base = to_json(full_record());
  struct Case {
    std::string_view name;
    std::function<void(nlohmann::json&)> mutate;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"id number", [](auto& j) { j["id"] = 5; }, "result field 'id' is number, expected a string"},
      {"valid string", [](auto& j) { j["valid"] = "yes"; },
       "result field 'valid' is string, expected true or false"},
      {"p50 string", [](auto& j) { j["timings"]["latency_ms"]["p50"] = "1.0"; },
       "result field 'timings.latency_ms.p50' is string, expected a number"},
      {"count negative", [](auto& j) { j["timings"]["latency_ms"]["count"] = -1; },
       "result field 'timings.latency_ms.count' is number, expected a non-negative integer"},
      {"count fraction", [](auto& j) { j["timings"]["latency_ms"]["count"] = 1.5; },
       "'timings.latency_ms.count' is number, expected a non-negative integer"},
      {"threads too big", [](auto& j) { j["backend"]["threads"] = 1ull << 40; },
       "result field 'backend.threads' is 1099511627776, out of range"},
      {"model array", [](auto& j) { j["model"] = nlohmann::json::array(); },
       "result field 'model' is array, expected an object"},
      {"latency item", [](auto& j) { j["latencies_ms"][3] = "x"; },
       "result field 'latencies_ms[3]' is string, expected a number"},
      {"latencies object", [](auto& j) { j["latencies_ms"] = nlohmann::json::object(); },
       "result field 'latencies_ms' is object, expected an array of numbers"},
      {"reasons",
       [](auto& j) {
         j["invalid_reasons"] = {"a", 2};
       },
       "result field 'invalid_reasons[1]' is number, expected a string"},
      {"library version", [](auto& j) { j["host"]["libraries"]["onnx"] = 1; },
       "result field 'host.libraries.onnx' is number, expected a string"},
      {"domain", [](auto& j) { j["energy"]["domains"][0]["joules"] = "1"; },
       "result field 'energy.domains[0].joules' is string, expected a number"},
      {"profile entry", [](auto& j) { j["profile"]["by_op_type"][1] = 3; },
       "result field 'profile.by_op_type[1]' is number, expected an object"},
      {"profile name", [](auto& j) { j["profile"]["by_node"][0].erase("name"); },
       "result field 'profile.by_node[0].name' is missing"},
      {"met bound", [](auto& j) { j["timings"]["met_latency_bound"] = 1; },
       "result field 'timings.met_latency_bound' is number, expected true or false"},
      {"options", [](auto& j) { j["backend"]["options"] = "fast"; },
       "result field 'backend.options' is string, expected an object"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = base;
    c.mutate(j);
    EXPECT_THAT(error_of(j), HasSubstr(c.expected)) << c.name;
  }
}

TEST(ResultsJson, ParseRecordNamesTheSourceForBadJson) {
  Result<Record> r = parse_record("{\"schema\": ", "result file 'x.json'");
  ASSERT_FALSE(r.is_ok());
  EXPECT_THAT(r.status().message(), HasSubstr("result file 'x.json': not valid JSON"));
  r = parse_record("{\"schema\": \"edgebench.result/1\"}", "result file 'y.json'");
  ASSERT_FALSE(r.is_ok());
  EXPECT_THAT(r.status().message(), HasSubstr("result file 'y.json': result field 'id'"));
}

// --- ids ---

TEST(ResultsIds, TimeOrderedAndUnique) {
  using namespace std::chrono;
  const auto t = sys_days{2026y / 11 / 22} + 3h + 36min + 5s + 482ms;
  const std::string id = new_record_id(t);
  EXPECT_THAT(id, ::testing::MatchesRegex("20261122-033605\\.482-[0-9a-f]{8}"));
  EXPECT_EQ(format_utc_iso8601(t), "2026-11-22T03:36:05.482Z");
  EXPECT_LT(new_record_id(t), new_record_id(t + 1ms));
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(new_record_id(t));
  EXPECT_EQ(ids.size(), 1000u);
  Record r;
  stamp_new_record(r);
  EXPECT_EQ(r.id.substr(0, 4), r.created_at.substr(0, 4));
  EXPECT_EQ(r.id.substr(16, 3), r.created_at.substr(20, 3));  // same milliseconds
}

TEST(ResultsIds, TimesBeforeTheEpoch) {
  using namespace std::chrono;
  const auto t = sys_days{1969y / 12 / 31} + 23h + 59min + 59s + 999ms;
  EXPECT_EQ(format_utc_iso8601(t), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace edgebench::results
