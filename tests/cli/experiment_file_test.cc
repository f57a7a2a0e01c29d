// The run-experiment file parser on its own (parse_experiment_text): a valid file's description,
// and the inputs experiment_json_fuzz showed to be unsafe (numbers beyond every integer type, a
// path too long to look up), which must be errors naming the file and the field.
#include "cli/experiment_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace edgebench::cli {
namespace {

namespace fs = std::filesystem;

const fs::path kFile = "/nonexistent/exp.json";

std::string with(const std::string& key, const std::string& value) {
  return R"({"models": [{"name": "c", "generate": {"kind": "conv", "filters": 4}}], )" + key +
         ": " + value + "}";
}

std::string error_of(const std::string& text) {
  auto e = parse_experiment_text(text, kFile);
  EXPECT_FALSE(e.is_ok()) << text;
  return e.is_ok() ? std::string() : e.status().message();
}

TEST(ExperimentFile, ParsesAGeneratedModelAndTheBenchSettings) {
  auto e = parse_experiment_text(
      with(R"("bench")", R"({"warmup": 3, "min_queries": 20, "threads": 2, "min_duration": 0.5})"),
      kFile);
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  EXPECT_EQ(e->name, "exp");
  ASSERT_EQ(e->models.size(), 1u);
  ASSERT_TRUE(e->models[0].conv.has_value());
  EXPECT_EQ(e->models[0].conv->filters, 4);
  EXPECT_EQ(e->bench.warmup, 3u);
  EXPECT_EQ(e->bench.min_queries, 20u);
  EXPECT_EQ(e->bench.threads, 2);
  EXPECT_EQ(e->bench.min_duration_s, 0.5);
  ASSERT_EQ(e->variants.size(), 1u);
  EXPECT_EQ(e->variants[0].name, "float");
  EXPECT_EQ(e->backends, (std::vector<std::string>{"native"}));
}

TEST(ExperimentFile, CountsBeyondTheirTypeAreErrorsNotConversions) {
  // Each was converted to an integer type it does not fit (undefined behaviour).
  EXPECT_NE(error_of(with(R"("bench")", R"({"warmup": 1e300})"))
                .find("/nonexistent/exp.json: bench.warmup: expected a number from 0 to "),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("bench")", R"({"threads": 3e9})")).find("bench.threads"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("bench")", R"({"batch": 1.8446744073709552e19})")).find("bench.batch"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("quality")", R"({"limit": 1e20})")).find("quality.limit"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"models": [{"name": "c", "generate": {"kind": "dense", "seed": 1e30}}]})")
                .find("models[0].generate.seed"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"models": [{"name": "c", "generate": {"kind": "conv", "filters": -1e300}}]})")
          .find("models[0].generate.filters"),
      std::string::npos);
}

TEST(ExperimentFile, APathTooLongToLookUpIsAnError) {
  // fs::exists threw std::filesystem::error (ENAMETOOLONG), which nothing caught.
  const std::string name(5000, 'a');
  const std::string message = error_of(R"({"models": [")" + name + R"(.onnx"]})");
  EXPECT_NE(message.find("/nonexistent/exp.json: models[0]: model '"), std::string::npos)
      << message.substr(0, 200);
  const std::string files = error_of(R"({"models": [{"name": "c", "generate": {"kind": "conv"},
      "files": {"float": {"tflite": ")" +
                                     name + R"(.tflite"}}}]})");
  EXPECT_NE(files.find("models[0].files.float.tflite"), std::string::npos) << files.substr(0, 200);
}

}  // namespace
}  // namespace edgebench::cli
