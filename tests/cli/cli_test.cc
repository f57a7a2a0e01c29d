// End-to-end tests of the edgebench binary: exit codes, messages and files written.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_test_util.h"
#include "edgebench/core/npy.h"
#include "kernels/dnnl_conv.h"

namespace {

namespace fs = std::filesystem;

using edgebench::cli_test::CommandResult;
using edgebench::cli_test::edgebench;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgebench_cli_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(Cli, HelpAndUnknownFlags) {
  EXPECT_EQ(edgebench("--help").exit_code, 0);
  CommandResult r = edgebench("inspect --no-such-flag x.onnx");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no-such-flag"), std::string::npos) << r.output;
  EXPECT_EQ(edgebench("").exit_code, 2);
  EXPECT_EQ(edgebench("frobnicate").exit_code, 2);
}

TEST_F(Cli, MissingAndGarbageModelsExitTwoNamingTheFile) {
  CommandResult missing = edgebench("inspect " + path("missing.onnx"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("missing.onnx"), std::string::npos) << missing.output;

  std::ofstream(path("garbage.onnx")) << "this is not a protobuf at all \x01\x02\xff";
  CommandResult garbage = edgebench("inspect " + path("garbage.onnx"));
  EXPECT_EQ(garbage.exit_code, 2) << garbage.output;
  EXPECT_NE(garbage.output.find("garbage.onnx"), std::string::npos) << garbage.output;
}

TEST_F(Cli, TruncatedModelExitsTwo) {
  ASSERT_EQ(
      edgebench("generate conv --filters 8 --layers 2 --input 16 -o " + path("m.onnx")).exit_code,
      0);
  const auto size = fs::file_size(path("m.onnx"));
  for (double fraction : {0.1, 0.5, 0.9}) {
    std::ifstream in(path("m.onnx"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    bytes.resize(static_cast<std::size_t>(static_cast<double>(size) * fraction));
    std::ofstream(path("cut.onnx"), std::ios::binary) << bytes;
    CommandResult r = edgebench("inspect " + path("cut.onnx"));
    EXPECT_EQ(r.exit_code, 2) << "cut at " << fraction << ": " << r.output;
    EXPECT_NE(r.output.find("cut.onnx"), std::string::npos) << r.output;
  }
}

TEST_F(Cli, GenerateInspectJsonHasTheContractFields) {
  ASSERT_EQ(
      edgebench("generate conv --filters 16 --layers 3 --input 32 -o " + path("c.onnx")).exit_code,
      0);
  CommandResult r = edgebench("inspect " + path("c.onnx") + " --json " + path("c.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(path("c.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  for (const char* key :
       {"macs_total", "flops_total", "params_total", "params_bytes", "activation_peak_bytes",
        "activation_naive_bytes", "inputs", "outputs", "op_counts", "nodes", "unsupported_ops"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  // 32^2 * 3^2 * (3*16 + 2*16^2), biases not counted.
  EXPECT_EQ(j["macs_total"].get<std::uint64_t>(), 32u * 32 * 9 * (3 * 16 + 2 * 16 * 16));
  EXPECT_EQ(j["op_counts"]["Conv"].get<int>(), 3);
  // Three Convs in a row run in NHWC: one conversion in, one out.
  EXPECT_EQ(j["layout_conversions"], 2);
  EXPECT_LT(j["activation_peak_bytes"].get<std::uint64_t>(),
            j["activation_naive_bytes"].get<std::uint64_t>());
  EXPECT_TRUE(j["unsupported_ops"].empty());
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({1, 3, 32, 32}));
  // Every node says which kernel runs it on the native backend.
  for (const auto& node : j["nodes"]) {
    if (node["op"] == "Conv") {
      EXPECT_EQ(node["kernel"], edgebench::kernels::dnnl_conv_enabled() ? "onednn" : "xnnpack")
          << node.dump();
      EXPECT_TRUE(node["fast"].get<bool>());
    }
  }
}

TEST_F(Cli, InspectSaysWhichNodesFallBackAndWhy) {
  ASSERT_EQ(
      edgebench("generate dense --neurons 8 --layers 2 --activation tanh -o " + path("d.onnx"))
          .exit_code,
      0);
  CommandResult r = edgebench("inspect " + path("d.onnx") + " --json " + path("d.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(path("d.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  int fast = 0, fallback = 0;
  for (const auto& node : j["nodes"]) {
    if (node["op"] == "Tanh") {
      ++fallback;
      EXPECT_EQ(node["kernel"], "reference");
      EXPECT_FALSE(node["fast"].get<bool>());
      EXPECT_EQ(node["fallback_reason"], "no fast kernel for this op");
    } else if (node["op"] == "Gemm" || node["op"] == "MatMul") {
      ++fast;
      EXPECT_EQ(node["kernel"], "xnnpack") << node.dump();
    }
  }
  EXPECT_GT(fast, 0);
  EXPECT_GT(fallback, 0);
  EXPECT_NE(r.output.find("kernels on the native backend"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Tanh: no fast kernel for this op"), std::string::npos) << r.output;
}

TEST_F(Cli, RunWritesOneNpyPerOutputAndIsSeeded) {
  ASSERT_EQ(edgebench("generate dense --neurons 20 --layers 2 -o " + path("d.onnx")).exit_code, 0);
  CommandResult a =
      edgebench("run " + path("d.onnx") + " --random-seed 3 --output-dir " + path("a"));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  CommandResult b =
      edgebench("run " + path("d.onnx") + " --random-seed 3 --output-dir " + path("b"));
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto ta = edgebench::read_npy(path("a/output.npy"));
  auto tb = edgebench::read_npy(path("b/output.npy"));
  ASSERT_TRUE(ta.is_ok()) << ta.status().to_string();
  ASSERT_TRUE(tb.is_ok());
  EXPECT_EQ(ta->shape(), (edgebench::Shape{1, 10}));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ta->data<float>()[i], tb->data<float>()[i]);
}

TEST_F(Cli, RunRejectsBadInputsWithExitTwo) {
  ASSERT_EQ(
      edgebench("generate dense --neurons 8 --layers 1 --inputs 4 -o " + path("d.onnx")).exit_code,
      0);
  // Wrong input name.
  CommandResult r1 = edgebench("run " + path("d.onnx") + " --input nope=" + path("x.npy"));
  EXPECT_EQ(r1.exit_code, 2) << r1.output;
  EXPECT_NE(r1.output.find("nope"), std::string::npos);
  // Wrong shape.
  edgebench::Tensor x = edgebench::Tensor::zeros(edgebench::DType::kFloat32, {1, 5});
  ASSERT_TRUE(edgebench::write_npy(path("x.npy"), x).is_ok());
  CommandResult r2 = edgebench("run " + path("d.onnx") + " --input input=" + path("x.npy"));
  EXPECT_EQ(r2.exit_code, 2) << r2.output;
  EXPECT_NE(r2.output.find("input"), std::string::npos) << r2.output;
  // Corrupt .npy.
  std::ofstream(path("bad.npy")) << "\x93NUMPY garbage";
  CommandResult r3 = edgebench("run " + path("d.onnx") + " --input input=" + path("bad.npy"));
  EXPECT_EQ(r3.exit_code, 2) << r3.output;
  EXPECT_NE(r3.output.find("bad.npy"), std::string::npos) << r3.output;
  // Unknown backend.
  CommandResult r4 = edgebench("run " + path("d.onnx") + " --backend tpu9000");
  EXPECT_EQ(r4.exit_code, 2) << r4.output;
}

TEST_F(Cli, GenerateRejectsBadSizes) {
  CommandResult r = edgebench("generate conv --filters 0 -o " + path("x.onnx"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--filters"), std::string::npos) << r.output;
  EXPECT_EQ(edgebench("generate conv --kernel 4 -o " + path("x.onnx")).exit_code, 2);
}

TEST_F(Cli, ConformanceOnOneNodeTestAndRegressionGuard) {
  const std::string data = "/usr/share/libonnx-testdata/data/node";
  CommandResult r = edgebench("conformance " + data + "/test_relu " + data + "/test_add --json " +
                              path("c.json") + " --markdown " + path("c.md"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(path("c.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["summary"]["total"].get<int>(), 2);
  EXPECT_EQ(j["summary"]["pass"].get<int>(), 2) << r.output;
  EXPECT_TRUE(fs::exists(path("c.md")));
  // A test the list says must pass, but that fails, makes the command exit 1.
  std::ofstream(path("expect.txt")) << "test_relu\ntest_no_such_op_here\n";
  fs::create_directories(path("fake/test_no_such_op_here/test_data_set_0"));
  fs::copy_file(data + "/test_relu/model.onnx", path("fake/test_no_such_op_here/model.onnx"));
  CommandResult bad = edgebench("conformance " + path("fake") + " " + data +
                                "/test_relu --expect " + path("expect.txt"));
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("test_no_such_op_here"), std::string::npos) << bad.output;
}

}  // namespace
