// Models as other exporters write them (made by tools/make_variants.py): weights as Constant
// nodes, and symbolic input dims [N,3,H,W]. No figure may come from a guessed dim.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_test_util.h"
#include "edgebench/core/npy.h"
#include "edgebench/core/random.h"

namespace {

namespace fs = std::filesystem;

using edgebench::cli_test::CommandResult;
using edgebench::cli_test::edgebench;

const fs::path kVariants = fs::path(EDGEBENCH_SOURCE_DIR) / "models" / "variants";

std::string model(const std::string& name) { return (kVariants / (name + ".onnx")).string(); }

// MACs of small_convnet for input [n,3,h,w], from its layers as tools/make_variants.py builds
// them (conv weights and Linear sizes), by the project's convention: Conv and Gemm
// multiply-accumulates, biases and BatchNorm not counted.
std::uint64_t small_convnet_macs(std::uint64_t n, std::uint64_t h, std::uint64_t w) {
  const auto conv_out = [](std::uint64_t size, std::uint64_t stride) {
    return (size + 2 * 1 - 3) / stride + 1;  // kernel 3, pad 1
  };
  std::uint64_t macs = 0;
  const std::uint64_t h1 = conv_out(h, 1), w1 = conv_out(w, 1);
  macs += n * 8 * h1 * w1 * (3 * 3 * 3);
  const std::uint64_t h2 = conv_out(h1, 2), w2 = conv_out(w1, 2);
  macs += n * 16 * h2 * w2 * (8 * 3 * 3);
  const std::uint64_t h3 = h2 / 2, w3 = w2 / 2;  // MaxPool 2
  macs += n * 32 * conv_out(h3, 1) * conv_out(w3, 1) * (16 * 3 * 3);
  macs += n * 10 * 32;  // Linear 32 -> 10
  return macs;
}

std::string fmt_shape(std::uint64_t n, std::uint64_t h, std::uint64_t w) {
  return std::to_string(n) + "x3x" + std::to_string(h) + "x" + std::to_string(w);
}

class ModelVariants : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgebench_variants_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  nlohmann::json inspect_json(const std::string& args) {
    const std::string json = path("inspect.json");
    fs::remove(json);
    const CommandResult r = edgebench("inspect " + args + " --json " + json);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    last_output_ = r.output;
    std::ifstream in(json);
    if (!in) return nullptr;
    return nlohmann::json::parse(in);
  }

  fs::path dir_;
  std::string last_output_;
};

TEST_F(ModelVariants, InspectWithoutShapesComputesNothingThatDependsOnSymbolicDims) {
  const nlohmann::json j = inspect_json(model("small_convnet_symbolic"));
  ASSERT_TRUE(j.is_object());
  EXPECT_TRUE(j["macs_total"].is_null()) << j["macs_total"];
  EXPECT_TRUE(j["flops_total"].is_null());
  EXPECT_TRUE(j["activation_peak_bytes"].is_null());
  EXPECT_TRUE(j["activation_naive_bytes"].is_null());
  EXPECT_TRUE(j["layout_conversions"].is_null());  // the lowering needs the shapes too
  EXPECT_EQ(j["needs_input_shape"], nlohmann::json({"input"}));
  ASSERT_EQ(j["nodes"].size(), 13u);
  for (const nlohmann::json& node : j["nodes"]) {
    EXPECT_TRUE(node["macs"].is_null()) << node;
    EXPECT_TRUE(node["flops"].is_null()) << node;
  }
  // What does not depend on the shapes is there: parameters (6474 trainable plus the running
  // mean and variance of 8 + 16 + 32 channels) and op counts.
  EXPECT_EQ(j["params_total"], 6474 + 2 * (8 + 16 + 32));
  EXPECT_EQ(j["op_counts"]["Conv"], 3);
  EXPECT_EQ(j["op_counts"]["BatchNormalization"], 3);
  EXPECT_EQ(j["inputs"][0]["declared_shape"], "[N,3,H,W]");
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json::parse("[null, 3, null, null]"));
  EXPECT_NE(last_output_.find("[N,3,H,W]"), std::string::npos) << last_output_;
  EXPECT_NE(last_output_.find("needs --input-shape input=DIMS"), std::string::npos) << last_output_;
  EXPECT_EQ(last_output_.find("MACs        "), std::string::npos) << last_output_;
}

TEST_F(ModelVariants, InspectCountsMacsForEachGivenShape) {
  for (const auto& [n, h, w] : {std::array<std::uint64_t, 3>{1, 32, 32}, {2, 48, 64}}) {
    const std::string shape = fmt_shape(n, h, w);
    const nlohmann::json j =
        inspect_json(model("small_convnet_symbolic") + " --input-shape input=" + shape);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["macs_total"], small_convnet_macs(n, h, w)) << shape;
    EXPECT_EQ(j["needs_input_shape"], nlohmann::json::array());
    EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({n, 3, h, w}));
    EXPECT_TRUE(j["activation_peak_bytes"].is_number_unsigned());
  }
  // The static twin at 1x3x32x32 gives the same count.
  const nlohmann::json fixed = inspect_json(model("small_convnet"));
  EXPECT_EQ(fixed["macs_total"], small_convnet_macs(1, 32, 32));
}

TEST_F(ModelVariants, ShapeErrorsFromSymbolicDimsNameTheInputAndTheFlag) {
  // 2x2: the MaxPool window (2) spans more than its 1x1 input.
  const CommandResult r =
      edgebench("inspect " + model("small_convnet_symbolic") + " --input-shape input=1x3x2x2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("input 'input' has symbolic dims [N,3,H,W]"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--input-shape"), std::string::npos) << r.output;
}

TEST_F(ModelVariants, RunNeedsShapesAndTakesThemFromInputFiles) {
  const CommandResult guessed = edgebench("run " + model("small_convnet_symbolic"));
  EXPECT_EQ(guessed.exit_code, 2) << guessed.output;
  EXPECT_NE(guessed.output.find("input 'input' has symbolic dims [N,3,H,W]"), std::string::npos)
      << guessed.output;
  EXPECT_NE(guessed.output.find("--input-shape"), std::string::npos) << guessed.output;

  const std::string input = (kVariants / "small_convnet.input.npy").string();
  const CommandResult r = edgebench("run " + model("small_convnet_symbolic") +
                                    " --input input=" + input + " --output-dir " + path("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto got = edgebench::read_npy(path("out/output.npy"));
  auto want = edgebench::read_npy((kVariants / "small_convnet.output.npy").string());
  ASSERT_TRUE(got.is_ok() && want.is_ok());
  ASSERT_EQ(got->shape(), want->shape());
  for (std::int64_t i = 0; i < got->element_count(); ++i) {
    EXPECT_NEAR(got->data<float>()[i], want->data<float>()[i], 1e-5) << i;
  }

  const CommandResult shaped =
      edgebench("run " + model("small_convnet_symbolic") + " --input-shape input=3x3x20x24");
  EXPECT_EQ(shaped.exit_code, 0) << shaped.output;
  EXPECT_NE(shaped.output.find("[3,10]"), std::string::npos) << shaped.output;
}

TEST_F(ModelVariants, EvalCompilesOnePlanPerSampleShape) {
  fs::create_directories(path("mixed"));
  std::uint64_t seed = 7;
  for (const auto& [name, shape] :
       {std::pair<std::string, edgebench::Shape>{"input_0", {1, 3, 16, 16}},
        {"input_1", {1, 3, 24, 20}},
        {"input_2", {2, 3, 16, 16}}}) {
    auto t = edgebench::random_tensor(edgebench::DType::kFloat32, shape, seed++);
    ASSERT_TRUE(t.is_ok());
    ASSERT_TRUE(edgebench::write_npy(path("mixed/" + name + ".npy"), *t).is_ok());
  }
  const std::string dataset = "npy:" + path("mixed");
  const CommandResult eval =
      edgebench("eval " + model("small_convnet_symbolic") + " --dataset " + dataset +
                " --no-db --warmup 1 --reference " + model("small_convnet_symbolic_constants"));
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("3 input shapes, one plan each"), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find("relative error mean 0,"), std::string::npos) << eval.output;

  // bench measures one plan: mixed sizes are refused with the reason; random inputs need shapes.
  const CommandResult bench = edgebench("bench " + model("small_convnet_symbolic") + " --dataset " +
                                        dataset + " --no-db --min-queries 5");
  EXPECT_EQ(bench.exit_code, 2) << bench.output;
  EXPECT_NE(bench.output.find("samples differ in shape"), std::string::npos) << bench.output;
  const CommandResult random = edgebench("bench " + model("small_convnet_symbolic") + " --no-db");
  EXPECT_EQ(random.exit_code, 2) << random.output;
  EXPECT_NE(random.output.find("--input-shape"), std::string::npos) << random.output;
}

TEST_F(ModelVariants, ConstantNodeWeightsCountFoldAndRunLikeInitializers) {
  const nlohmann::json init = inspect_json(model("small_convnet"));
  const nlohmann::json consts = inspect_json(model("small_convnet_constants"));
  ASSERT_TRUE(init.is_object() && consts.is_object());
  EXPECT_EQ(consts["params_total"], init["params_total"]);
  EXPECT_EQ(consts["params_total"], 6474 + 2 * (8 + 16 + 32));
  EXPECT_EQ(consts["params_bytes"], init["params_bytes"]);
  EXPECT_EQ(consts["op_counts"], init["op_counts"]);
  EXPECT_EQ(consts["op_counts"].count("Constant"), 0u);
  EXPECT_EQ(consts["macs_total"], init["macs_total"]);
  // Same plan on the native backend: BatchNorm folded into the Conv before it, fast kernels.
  EXPECT_EQ(consts["kernel_counts"], init["kernel_counts"]);
  std::size_t folded_bn = 0;
  for (const nlohmann::json& node : consts["nodes"]) {
    if (node["op"] == "BatchNormalization" && node["kernel"] == "folded") ++folded_bn;
  }
  EXPECT_EQ(folded_bn, 3u) << consts["kernel_counts"];

  const std::string input = (kVariants / "small_convnet.input.npy").string();
  for (const std::string name : {"small_convnet", "small_convnet_constants"}) {
    const CommandResult r =
        edgebench("run " + model(name) + " --input input=" + input + " --output-dir " + path(name));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  auto a = edgebench::read_npy(path("small_convnet/output.npy"));
  auto b = edgebench::read_npy(path("small_convnet_constants/output.npy"));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ASSERT_EQ(a->shape(), b->shape());
  for (std::int64_t i = 0; i < a->element_count(); ++i) {
    EXPECT_EQ(a->data<float>()[i], b->data<float>()[i]) << i;
  }
}

}  // namespace
