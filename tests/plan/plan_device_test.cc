#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "edgebench/plan/device.h"

namespace edgebench::plan {
namespace {

const char* kValid = R"({
  "schema": "edgebench.device/1",
  "name": "mine",
  "description": "a test device",
  "memory": {"on_chip_bytes": 8388608, "param_cache_bytes": 8000000, "column_alignment": 64},
  "compute": {"int8_macs_per_s": 5e11, "param_read_bytes_per_s": 7e10, "per_inference_us": 100,
              "per_layer_us": 1},
  "link": {"kind": "usb3", "bytes_per_s": 3.8e8, "latency_us": 50},
  "ops": {"dtypes": ["int8"], "partition": "split", "mapped": ["Conv", "Gemm"]},
  "host": {"macs_per_s": 6e9, "per_op_us": 5}
})";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The error message for `text`, or "" when it parses.
std::string error_of(const std::string& text) {
  auto d = parse_device_json(text, "dev.json");
  return d.is_ok() ? "" : d.status().message();
}

TEST(PlanDevice, ParsesEveryFieldWithUnits) {
  auto d = parse_device_json(kValid, "dev.json");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->name, "mine");
  EXPECT_EQ(d->param_cache_bytes, 8000000u);
  EXPECT_EQ(d->column_alignment, 64);
  EXPECT_DOUBLE_EQ(d->per_inference_s, 100e-6);
  EXPECT_DOUBLE_EQ(d->link_latency_s, 50e-6);
  EXPECT_DOUBLE_EQ(d->host.per_op_s, 5e-6);
  EXPECT_EQ(d->partition, Partition::kSplit);
  EXPECT_TRUE(d->maps_op("Conv"));
  EXPECT_FALSE(d->maps_op("Exp"));
}

TEST(PlanDevice, BadFilesNameTheFileAndTheField) {
  struct Case {
    std::string text;
    std::string expect;  // a part of the message
  };
  const std::vector<Case> cases = {
      {"{not json", "not valid JSON"},
      {"[1, 2]", "expected a JSON object"},
      {replaced(kValid, R"("edgebench.device/1")", R"("other/2")"), "field 'schema'"},
      {replaced(kValid, R"("name": "mine",)", ""), "field 'name': missing"},
      {replaced(kValid, R"("param_cache_bytes": 8000000)", R"("param_cache_bytes": 9000000)"),
       "field 'memory.param_cache_bytes': larger than memory.on_chip_bytes"},
      {replaced(kValid, R"("column_alignment": 64)", R"("column_alignment": -64)"),
       "field 'memory.column_alignment': expected a positive integer"},
      {replaced(kValid, R"("int8_macs_per_s": 5e11)", R"("int8_macs_per_s": "fast")"),
       "field 'compute.int8_macs_per_s': expected a number"},
      {replaced(kValid, R"("int8_macs_per_s": 5e11)", R"("int8_macs_per_s": 0)"),
       "field 'compute.int8_macs_per_s': expected a positive number"},
      {replaced(kValid, R"("latency_us": 50)", R"("latency_us": -1)"),
       "field 'link.latency_us': expected a non-negative number"},
      {replaced(kValid, R"("latency_us": 50)", R"("latency_us": 50, "latncy": 3)"),
       "field 'link.latncy': unknown field"},
      {replaced(kValid, R"("partition": "split")", R"("partition": "twice")"),
       "field 'ops.partition'"},
      {replaced(kValid, R"("dtypes": ["int8"])", R"("dtypes": ["int4"])"), "field 'ops.dtypes'"},
      {replaced(kValid, R"("dtypes": ["int8"])", R"("dtypes": [])"), "field 'ops.dtypes'"},
      {replaced(kValid, R"("mapped": ["Conv", "Gemm"])", R"("mapped": ["Conv", 3])"),
       "field 'ops.mapped'"},
      {replaced(kValid, R"("host": {"macs_per_s": 6e9, "per_op_us": 5})", R"("host": 5)"),
       "field 'host': expected an object"},
      {replaced(kValid, R"("name": "mine",)", R"("name": "mine", "colour": "red",)"),
       "field 'colour': unknown field"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(c.text);
    EXPECT_NE(message.find("dev.json"), std::string::npos) << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << "got: " << message;
  }
}

TEST(PlanDevice, FittedModelFieldsAreOptional) {
  auto plain = parse_device_json(kValid, "dev.json");
  ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
  EXPECT_EQ(plain->input_channel_alignment, 1);
  EXPECT_EQ(plain->activation_elements_per_s, 0);
  EXPECT_EQ(plain->pipeline_per_stage_s, 0);
  EXPECT_EQ(plain->link_output_bytes_per_s, 0);
  EXPECT_EQ(plain->interval_coverage, 0);

  std::string text = replaced(kValid, R"("per_layer_us": 1})",
                              R"("per_layer_us": 1, "input_channel_alignment": 8,
                                 "activation_elements_per_s": 6e8})");
  text = replaced(text, R"("latency_us": 50})", R"("latency_us": 50, "output_bytes_per_s": 1e8})");
  text = replaced(text, R"("host": {)",
                  R"("pipeline": {"per_stage_us": 250, "per_streamed_layer_us": 1500},
  "fit": {"interval_low": -0.1, "interval_high": 0.2, "interval_coverage": 0.9,
          "source": "a fit", "cv_mape_percent": {"dense": 7.5}},
  "host": {)");
  auto d = parse_device_json(text, "dev.json");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->input_channel_alignment, 8);
  EXPECT_DOUBLE_EQ(d->activation_elements_per_s, 6e8);
  EXPECT_DOUBLE_EQ(d->link_output_bytes_per_s, 1e8);
  EXPECT_DOUBLE_EQ(d->pipeline_per_stage_s, 250e-6);
  EXPECT_DOUBLE_EQ(d->pipeline_per_streamed_layer_s, 1500e-6);
  EXPECT_DOUBLE_EQ(d->interval_low, -0.1);
  EXPECT_DOUBLE_EQ(d->interval_high, 0.2);
  EXPECT_DOUBLE_EQ(d->interval_coverage, 0.9);

  // An interval that does not contain the prediction, a typo and a bad alignment are errors.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {replaced(text, R"("interval_low": -0.1)", R"("interval_low": 0.1)"),
       "field 'fit.interval_low': expected a number in [-1, 0]"},
      {replaced(text, R"("interval_coverage": 0.9)", R"("interval_coverage": 90)"),
       "field 'fit.interval_coverage'"},
      {replaced(text, R"("per_stage_us": 250)", R"("per_stage_uS": 250)"),
       "field 'pipeline.per_stage_us': missing"},
      {replaced(text, R"("source": "a fit")", R"("source": "a fit", "sauce": 1)"),
       "field 'fit.sauce': unknown field"},
      {replaced(text, R"("input_channel_alignment": 8)", R"("input_channel_alignment": 0)"),
       "field 'compute.input_channel_alignment': expected a positive integer"},
      {replaced(text, R"("activation_elements_per_s": 6e8)", R"("activation_elements_per_s": -1)"),
       "field 'compute.activation_elements_per_s': expected a non-negative number"},
  };
  for (const auto& [t, expect] : bad) {
    const std::string message = error_of(t);
    EXPECT_NE(message.find(expect), std::string::npos) << "got: " << message;
  }
}

TEST(PlanDevice, NumberOutOfRangeIsAnErrorNotACrash) {
  // Found by device_json_fuzz: nlohmann reports a number beyond double's range as out_of_range,
  // not parse_error, and the reader let it escape (std::terminate).
  for (const std::string& text : {std::string("7e77777[{"), replaced(kValid, "5e11", "5e999"),
                                  replaced(kValid, "8388608", "-1e400")}) {
    Result<Device> d = parse_device_json(text, "big.json");
    ASSERT_FALSE(d.is_ok()) << text;
    EXPECT_NE(d.status().message().find("device file 'big.json': not valid JSON"),
              std::string::npos)
        << d.status().message();
    EXPECT_NE(d.status().message().find("number overflow"), std::string::npos)
        << d.status().message();
  }
}

TEST(PlanDevice, ShippedDevicesLoad) {
  const std::vector<std::string> dirs = {std::string(EDGEBENCH_SOURCE_DIR) + "/devices"};
  const std::vector<std::string> names = list_devices(dirs);
  for (const char* name : {"edgetpu-usb2", "edgetpu-usb3", "edgetpu-pcie", "edgetpu-thesis"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    auto d = find_device(name, dirs);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    EXPECT_EQ(d->name, name);
    EXPECT_EQ(d->column_alignment, 64);
    EXPECT_TRUE(d->maps_op("Conv"));
    // Every shipped Edge TPU file carries the fitted model and its interval.
    EXPECT_EQ(d->input_channel_alignment, 8);
    EXPECT_LT(d->interval_low, 0);
    EXPECT_GT(d->interval_high, 0);
    EXPECT_DOUBLE_EQ(d->interval_coverage, 0.9);
  }
}

TEST(PlanDevice, TheThesisDeviceReadsOutputsBackSlowerThanItStreamsWeights) {
  // Fitted (tools/fit_device_model.py): the conv sweep's cost that grows with the output bytes.
  const std::vector<std::string> dirs = {std::string(EDGEBENCH_SOURCE_DIR) + "/devices"};
  auto d = find_device("edgetpu-thesis", dirs);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_GT(d->link_output_bytes_per_s, 0);
  EXPECT_LT(d->link_output_bytes_per_s, d->link_bytes_per_s);
}

TEST(PlanDevice, UnknownNameListsTheKnownOnesAndPathsAreRead) {
  const std::vector<std::string> dirs = {std::string(EDGEBENCH_SOURCE_DIR) + "/devices"};
  auto missing = find_device("edgetpu-usb9", dirs);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("edgetpu-usb2"), std::string::npos);

  const auto path = std::filesystem::temp_directory_path() / "edgebench_plan_device_test.json";
  {
    std::ofstream out(path);
    out << kValid;
  }
  auto by_path = find_device(path.string(), dirs);
  ASSERT_TRUE(by_path.is_ok()) << by_path.status().to_string();
  EXPECT_EQ(by_path->name, "mine");
  std::filesystem::remove(path);
  auto gone = find_device(path.string(), dirs);
  ASSERT_FALSE(gone.is_ok());
  EXPECT_NE(gone.status().message().find(path.string()), std::string::npos);
}

}  // namespace
}  // namespace edgebench::plan
