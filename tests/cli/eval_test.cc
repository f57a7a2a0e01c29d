// End-to-end tests of `edgebench eval` (and `compare --variants` on its results) with the
// repository's reference model, a Fashion-MNIST CNN, on Debian's Fashion-MNIST test split.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_test_util.h"

namespace {

namespace fs = std::filesystem;

using edgebench::cli_test::CommandResult;
using edgebench::cli_test::edgebench;

const std::string kModel = std::string(EDGEBENCH_SOURCE_DIR) + "/models/fashion_mnist_cnn.onnx";
const std::string kDatasetDir = "/usr/share/datasets/fashion-mnist";
const std::string kDataset = "fashion-mnist:" + kDatasetDir + ":test";

class EvalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kDatasetDir + "/t10k-images-idx3-ubyte.gz")) {
      GTEST_SKIP() << "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)";
    }
    dir_ = fs::temp_directory_path() /
           ("edgebench_eval_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  nlohmann::json read_json(const std::string& name) const {
    std::ifstream in(path(name));
    return nlohmann::json::parse(in);
  }
  // `eval` of the reference model with common flags; `extra` is appended.
  CommandResult eval(const std::string& extra) const {
    return edgebench("eval " + kModel + " --dataset " + kDataset + " --quiet --no-db " + extra);
  }

  fs::path dir_;
};

TEST_F(EvalCli, ClassifiesFashionMnistAndWritesTheResult) {
  const CommandResult r =
      edgebench("eval " + kModel + " --dataset " + kDataset + " --limit 500 --quiet --label cnn " +
                "--db " + path("r.db") + " --json " + path("e.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("top-1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("confusion matrix"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Ankle boot"), std::string::npos) << r.output;  // class names
  EXPECT_NE(r.output.find("stored in"), std::string::npos) << r.output;

  const nlohmann::json j = read_json("e.json");
  EXPECT_EQ(j["schema"], "edgebench.result/1");
  EXPECT_EQ(j["command"], "eval");
  EXPECT_EQ(j["scenario"]["name"], "eval");
  EXPECT_EQ(j["label"], "cnn");
  EXPECT_EQ(j["model"]["file_bytes"].get<std::uint64_t>(), fs::file_size(kModel));
  EXPECT_EQ(j["model"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_GT(j["model"]["params"].get<std::uint64_t>(), 0u);
  const nlohmann::json& q = j["quality"];
  EXPECT_EQ(q["samples"], 500);
  EXPECT_EQ(q["task"], "classification");
  const double top1 = q["top1"].get<double>();
  EXPECT_GT(top1, 0.85);
  EXPECT_LT(top1, 0.97);
  EXPECT_GE(q["top5"].get<double>(), top1);
  ASSERT_EQ(q["per_class"].size(), 10u);
  for (const nlohmann::json& c : q["per_class"]) {
    for (const char* key : {"name", "precision", "recall", "f1", "support"}) {
      EXPECT_TRUE(c.contains(key)) << key;
    }
  }
  ASSERT_EQ(q["confusion_matrix"].size(), 10u);
  std::uint64_t total = 0, diagonal = 0;
  for (std::size_t t = 0; t < 10; ++t) {
    ASSERT_EQ(q["confusion_matrix"][t].size(), 10u);
    for (std::size_t p = 0; p < 10; ++p) {
      const auto n = q["confusion_matrix"][t][p].get<std::uint64_t>();
      total += n;
      if (t == p) diagonal += n;
    }
  }
  EXPECT_EQ(total, 500u);
  EXPECT_DOUBLE_EQ(static_cast<double>(diagonal) / 500.0, top1);
  EXPECT_FALSE(q.contains("relative_error"));  // no --reference

  const nlohmann::json& lat = j["timings"]["latency_ms"];
  EXPECT_EQ(lat["count"], 500);
  EXPECT_GT(lat["p50"].get<double>(), 0.0);
  EXPECT_LE(lat["p50"].get<double>(), lat["p90"].get<double>());
  EXPECT_EQ(j["latencies_ms"].size(), 500u);
  EXPECT_GT(j["timings"]["first_inference_ms"].get<double>(), 0.0);

  // The store holds it too.
  const CommandResult list = edgebench("results list --db " + path("r.db"));
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find(j["id"].get<std::string>()), std::string::npos) << list.output;
}

TEST_F(EvalCli, SameModelAsReferenceHasNoError) {
  const CommandResult r =
      eval("--limit 50 --warmup 0 --reference " + kModel + " --json " + path("e.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json("e.json");
  // Without warm-up the first timed run is the cold one.
  EXPECT_EQ(j["scenario"]["warmup_queries"], 0);
  EXPECT_GT(j["timings"]["first_inference_ms"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["timings"]["first_inference_ms"].get<double>(),
                   j["latencies_ms"][0].get<double>());
  const nlohmann::json& q = j["quality"];
  EXPECT_EQ(q["relative_error"].get<double>(), 0.0);
  EXPECT_EQ(q["relative_error_max"].get<double>(), 0.0);
  EXPECT_EQ(q["argmax_changed"].get<double>(), 0.0);
  EXPECT_EQ(q["reference"]["backend"], "native");
  EXPECT_NE(r.output.find("relative error"), std::string::npos) << r.output;
}

TEST_F(EvalCli, ReferenceKernelsAgreeWithTheFastPath) {
  const CommandResult r = eval("--limit 50 --backend native-ref --reference " + kModel +
                               " --reference-backend native --json " + path("e.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json("e.json");
  EXPECT_EQ(j["backend"]["name"], "native-ref");
  const nlohmann::json& q = j["quality"];
  EXPECT_LT(q["relative_error"].get<double>(), 1e-5);
  EXPECT_LT(q["relative_error_max"].get<double>(), 1e-5);
  EXPECT_EQ(q["argmax_changed"].get<double>(), 0.0);
}

TEST_F(EvalCli, UnlabelledDatasetGivesLatencyAndRelativeError) {
  const CommandResult r = edgebench("eval " + kModel + " --dataset random:7 --limit 6 --quiet " +
                                    "--no-db --reference " + kModel + " --json " + path("e.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json("e.json");
  EXPECT_EQ(j["quality"]["task"], "none");
  EXPECT_EQ(j["quality"]["samples"], 6);
  EXPECT_FALSE(j["quality"].contains("top1"));
  EXPECT_EQ(j["quality"]["relative_error"].get<double>(), 0.0);
  EXPECT_EQ(j["timings"]["latency_ms"]["count"], 6);
}

TEST_F(EvalCli, DifferentReferenceHasAnError) {
  // Two dense models with different weights: outputs differ, so the error is well above 0.
  for (const char* seed : {"1", "2"}) {
    ASSERT_EQ(edgebench("generate dense --inputs 784 --outputs 10 --seed " + std::string(seed) +
                        " -o " + path(std::string("s") + seed + ".onnx"))
                  .exit_code,
              0);
  }
  const CommandResult r =
      edgebench("eval " + path("s1.onnx") + " --dataset " + kDataset + " --limit 20 --quiet " +
                "--no-db --reference " + path("s2.onnx") + " --json " + path("e.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json q = read_json("e.json")["quality"];
  EXPECT_GT(q["relative_error"].get<double>(), 0.05);
  EXPECT_GE(q["relative_error_max"].get<double>(), q["relative_error"].get<double>());
  EXPECT_GT(q["argmax_changed"].get<double>(), 0.0);
  EXPECT_EQ(q["samples"], 20);
}

TEST_F(EvalCli, BadInputExitsTwo) {
  struct Case {
    std::string args;
    std::string message;  // part of the expected message
  };
  const std::vector<Case> cases = {
      {"eval " + kModel + " --dataset nosuch:/x --quiet --no-db", "nosuch"},
      {"eval " + kModel + " --dataset fashion-mnist:/no/such/dir --quiet --no-db", "/no/such/dir"},
      {"eval " + kModel + " --dataset " + kDataset + " --limit 0 --quiet --no-db", "--limit"},
      {"eval " + kModel + " --quiet --no-db", "--dataset"},
      {"eval /no/model.onnx --dataset " + kDataset + " --quiet --no-db", "/no/model.onnx"},
      {"eval " + kModel + " --dataset " + kDataset + " --backend bogus --quiet --no-db", "bogus"},
      {"eval " + kModel + " --dataset " + kDataset + " --reference /no/ref.onnx --quiet --no-db",
       "/no/ref.onnx"},
  };
  for (const Case& c : cases) {
    const CommandResult r = edgebench(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
  }
}

TEST_F(EvalCli, WrongShapesExitTwo) {
  // A dense model with 64 inputs cannot take Fashion-MNIST images.
  ASSERT_EQ(edgebench("generate dense --inputs 64 --outputs 10 -o " + path("d64.onnx")).exit_code,
            0);
  CommandResult r = edgebench("eval " + path("d64.onnx") + " --dataset " + kDataset +
                              " --limit 5 --quiet --no-db");
  EXPECT_EQ(r.exit_code, 2) << r.output;

  // 784 inputs fit ([1,784]) but 12 outputs are not 10 classes.
  ASSERT_EQ(edgebench("generate dense --inputs 784 --outputs 12 -o " + path("d12.onnx")).exit_code,
            0);
  r = edgebench("eval " + path("d12.onnx") + " --dataset " + kDataset +
                " --limit 5 --quiet --no-db");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("10 classes"), std::string::npos) << r.output;

  // Model and reference outputs of different shapes.
  ASSERT_EQ(edgebench("generate dense --inputs 784 --outputs 10 -o " + path("d10.onnx")).exit_code,
            0);
  r = edgebench("eval " + path("d10.onnx") + " --dataset random:1 --limit 2 --quiet --no-db " +
                "--reference " + path("d12.onnx"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("shape mismatch"), std::string::npos) << r.output;

  // A reference that takes other inputs than the model.
  r = edgebench("eval " + kModel + " --dataset " + kDataset + " --limit 2 --quiet --no-db " +
                "--reference " + path("d10.onnx"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("reference"), std::string::npos) << r.output;
}

TEST_F(EvalCli, CompareVariantsOfTwoEvalResults) {
  ASSERT_EQ(eval("--limit 40 --label fast --json " + path("a.json")).exit_code, 0);
  ASSERT_EQ(eval("--limit 40 --label ref --backend native-ref --json " + path("b.json")).exit_code,
            0);
  const CommandResult r =
      edgebench("compare " + path("a.json") + " " + path("b.json") + " --variants --markdown " +
                path("v.md") + " --html " + path("v.html"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("speedup"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("size ratio"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fast"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1.00x"), std::string::npos) << r.output;  // same model file: size 1x
  EXPECT_NE(r.output.find("%"), std::string::npos) << r.output;      // top-1 in percent
  // One row per result: header, rule, two rows, the footnote.
  std::size_t lines = 0;
  for (char c : r.output) lines += c == '\n';
  EXPECT_EQ(lines, 5u) << r.output;
  std::ifstream md(path("v.md"));
  const std::string markdown((std::istreambuf_iterator<char>(md)), {});
  EXPECT_NE(markdown.find("| variant | size | quality | p50 | speedup | size ratio |"),
            std::string::npos)
      << markdown;
  EXPECT_TRUE(fs::exists(path("v.html")));
}

}  // namespace
