// The runtime as a dimension of results: backend.runtime and backend.target survive every
// format, CSV has their columns, and compare shows runtime rows only when the results differ in
// their runtime.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "edgebench/results/compare.h"
#include "edgebench/results/io.h"
#include "results/results_test_util.h"

namespace edgebench::results {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Record with_runtime(int seed, const std::string& name, const std::string& precision) {
  Record r = testing::full_record(seed);
  r.backend.runtime = {
      {"name", name}, {"version", "1.2.3"},     {"device", "CPU"},           {"delegate", nullptr},
      {"threads", 1}, {"precision", precision}, {"options", {{"ep", "cpu"}}}};
  r.backend.target = {{"cpu", "Some CPU"}, {"cores", 16}, {"os", "Linux"}, {"python", "3.11.2"}};
  return r;
}

std::vector<std::string> metrics(const Comparison& c) {
  std::vector<std::string> out;
  for (const ComparisonRow& row : c.rows) out.push_back(row.metric);
  return out;
}

TEST(RuntimeFields, JsonRoundTripKeepsRuntimeAndTarget) {
  const Record r = with_runtime(3, "onnxruntime", "f32");
  Result<Record> back = from_json(to_json(r));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_THAT(testing::differing_fields(r, *back), IsEmpty());
  EXPECT_EQ(back->backend.runtime["name"], "onnxruntime");
  EXPECT_EQ(back->backend.target["cores"], 16);
}

TEST(RuntimeFields, OlderRecordsWithoutThemStillRead) {
  nlohmann::json j = to_json(testing::full_record(4));
  j["backend"].erase("runtime");
  j["backend"].erase("target");
  Result<Record> back = from_json(j);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TRUE(back->backend.runtime.is_null());
  EXPECT_EQ(runtime_field(back->backend, "name"), "");
}

TEST(RuntimeFields, MalformedRuntimeIsRejectedWithItsField) {
  nlohmann::json j = to_json(testing::full_record(5));
  j["backend"]["runtime"] = "onnxruntime";
  Result<Record> back = from_json(j);
  ASSERT_FALSE(back.is_ok());
  EXPECT_THAT(back.status().message(), HasSubstr("runtime"));
}

TEST(RuntimeFields, CsvHasRuntimeColumns) {
  const std::vector<Record> records = {with_runtime(1, "openvino", "f32")};
  EXPECT_THAT(csv_columns(), Contains("runtime"));
  EXPECT_THAT(csv_columns(), Contains("precision"));
  const std::string csv = to_csv(records);
  EXPECT_THAT(csv, HasSubstr(",runtime,runtime_version,runtime_device,precision\r\n"));
  EXPECT_THAT(csv, HasSubstr(",openvino,1.2.3,CPU,f32\r\n"));
}

TEST(RuntimeFields, CompareShowsRuntimeRowsOnlyWhenTheyDiffer) {
  const std::vector<Record> same = {with_runtime(1, "onnxruntime", "f32"),
                                    with_runtime(2, "onnxruntime", "f32")};
  EXPECT_THAT(metrics(compare_records(same)), Not(Contains("runtime")));
  const std::vector<Record> differ = {with_runtime(1, "onnxruntime", "f32"),
                                      with_runtime(2, "tflite", "int8")};
  const Comparison c = compare_records(differ);
  EXPECT_THAT(metrics(c), Contains("runtime"));
  EXPECT_THAT(metrics(c), Contains("runtime version"));
  EXPECT_THAT(metrics(c), Contains("precision"));
  const std::string text = comparison_text(c);
  EXPECT_THAT(text, HasSubstr("tflite"));
  EXPECT_THAT(text, HasSubstr("int8"));
}

}  // namespace
}  // namespace edgebench::results
