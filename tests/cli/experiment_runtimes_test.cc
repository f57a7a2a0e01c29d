// run-experiment with runtimes as an axis: per-format model files, and cells whose backend
// cannot read the model's format listed as skipped (not failed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli/cli_test_util.h"

namespace edgebench {
namespace {

namespace fs = std::filesystem;
using cli_test::edgebench;

const std::string kModel = std::string(EDGEBENCH_SOURCE_DIR) + "/models/fashion_mnist_cnn.onnx";

fs::path write_experiment(const std::string& name, const std::string& json) {
  const fs::path dir =
      fs::temp_directory_path() / ("eb_exp_rt_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "e.json") << json;
  return dir;
}

TEST(ExperimentRuntimes, CellsABackendCannotReadAreSkippedNotFailed) {
  const fs::path dir = write_experiment("skip", R"({
    "name": "skip-test",
    "models": [{"name": "cnn", "path": ")" + kModel +
                                                    R"("}],
    "backends": ["native", "tflite"],
    "bench": {"warmup": 1, "min_queries": 64, "min_duration": 0}
  })");
  auto r =
      edgebench("run-experiment " + (dir / "e.json").string() + " --db " + (dir / "r.db").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 skipped"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skipped  cnn float tflite: backend tflite reads .tflite models"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("0 failed"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

TEST(ExperimentRuntimes, FilesMustExistAndNameAVariant) {
  const fs::path dir = write_experiment("files", R"({
    "models": [{"name": "cnn", "path": ")" + kModel + R"(",
                "files": {"float": {"tflite": "missing.tflite"}}}],
    "backends": ["tflite"]
  })");
  auto r = edgebench("run-experiment " + (dir / "e.json").string() + " --dry-run --db " +
                     (dir / "r.db").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("models[0].files.float.tflite"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("missing.tflite"), std::string::npos) << r.output;

  std::ofstream(dir / "e.json") << R"({
    "models": [{"name": "cnn", "path": ")" +
                                       kModel + R"(",
                "files": {"int8": {"tflite": "e.json"}}}],
    "backends": ["tflite"]
  })";
  r = edgebench("run-experiment " + (dir / "e.json").string() + " --dry-run --db " +
                (dir / "r.db").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("names no variant"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace edgebench
