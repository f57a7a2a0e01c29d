// End-to-end tests of edgebench plan.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace edgebench {
namespace {

using cli_test::edgebench;

class PlanCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One folder per process: ctest runs each test in its own process, in parallel.
    dir_ = std::filesystem::temp_directory_path() /
           ("edgebench_plan_cli_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    // Both sides of the thesis's spill point (N = 1620 on the thesis device).
    ASSERT_EQ(edgebench("generate dense --neurons 1580 -o " + path("d1580.onnx")).exit_code, 0);
    ASSERT_EQ(edgebench("generate dense --neurons 1620 -o " + path("d1620.onnx")).exit_code, 0);
    ASSERT_EQ(edgebench("generate dense --neurons 300 -o " + path("d300.onnx")).exit_code, 0);
    ASSERT_EQ(edgebench("generate dense --neurons 500 -o " + path("d500.onnx")).exit_code, 0);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
  static std::string path(const std::string& name) { return (dir_ / name).string(); }

  static nlohmann::json read_json(const std::string& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
  }

  static std::filesystem::path dir_;
};

std::filesystem::path PlanCli::dir_;

TEST_F(PlanCli, CompileReportAndJsonFields) {
  const auto r =
      edgebench("plan " + path("d1620.onnx") + " --device edgetpu-thesis --json " + path("p.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The vendor compiler reported 5.34 MiB on-chip and 2.57 MiB off-chip for this model.
  EXPECT_NE(r.output.find("On-chip memory used for caching model parameters: 5.34MiB"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Off-chip memory used for streaming uncached model parameters: 2.57MiB"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Planned as int8"), std::string::npos);
  EXPECT_NE(r.output.find("Mapped to edgetpu-thesis"), std::string::npos);
  const nlohmann::json j = read_json(path("p.json"));
  EXPECT_EQ(j["device"]["name"], "edgetpu-thesis");
  ASSERT_EQ(j["models"].size(), 1u);
  const nlohmann::json& m = j["models"][0];
  EXPECT_EQ(m["name"], "d1620");
  EXPECT_EQ(m["on_chip_bytes"].get<std::uint64_t>(), 64u * 1664 + 2 * 1620 * 1664 + 1620 * 64);
  EXPECT_EQ(m["off_chip_bytes"].get<std::uint64_t>(), 1620u * 1664);
  EXPECT_EQ(m["device_subgraphs"], 1);
  EXPECT_EQ(m["mapped_ops"], 9);
  EXPECT_EQ(m["unmapped_ops"], 0);
  EXPECT_GT(m["latency_ms"]["first"].get<double>(), m["latency_ms"]["warm"].get<double>());
  // The thesis measured 7.42 ms here (one 2.57 MiB layer streamed per inference).
  EXPECT_GT(m["latency_ms"]["warm"].get<double>(), 5.0);
  EXPECT_LT(m["latency_ms"]["warm"].get<double>(), 10.0);
}

TEST_F(PlanCli, CoCompilationAndTrace) {
  const auto r =
      edgebench("plan " + path("d500.onnx") + " " + path("d1580.onnx") +
                " --device edgetpu-thesis --trace \"B A B B B A\" --json " + path("t.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("co-compiled in this order"), std::string::npos);
  EXPECT_NE(r.output.find("recommended compile order: d1580 d500"), std::string::npos) << r.output;
  const nlohmann::json j = read_json(path("t.json"));
  ASSERT_EQ(j["models"].size(), 2u);
  // d500 first takes 0.79 MiB; d1580 (7.43 MiB alone) no longer fits whole beside it.
  EXPECT_EQ(j["models"][0]["off_chip_bytes"], 0);
  EXPECT_GT(j["models"][1]["off_chip_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(j["models"][1]["separately_compiled"]["off_chip_bytes"], 0);
  ASSERT_EQ(j["trace"]["requests"].size(), 6u);
  EXPECT_EQ(j["trace"]["requests"][0]["model"], "d1580");
  EXPECT_EQ(j["trace"]["recommended_order"][0], "d1580");
  EXPECT_EQ(j["trace"]["invocations"]["d1580"], 4);

  {
    std::ofstream out(path("trace.txt"));
    out << "A\nB\nA\n";
  }
  const auto f = edgebench("plan " + path("d500.onnx") + " " + path("d1580.onnx") +
                           " --device edgetpu-thesis --trace " + path("trace.txt"));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  EXPECT_NE(f.output.find("trace: 3 requests"), std::string::npos) << f.output;
}

TEST_F(PlanCli, BadDeviceNameOrFileIsExitTwoWithTheReason) {
  const auto unknown = edgebench("plan " + path("d300.onnx") + " --device edgetpu-usb9");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("unknown device 'edgetpu-usb9'"), std::string::npos);
  EXPECT_NE(unknown.output.find("edgetpu-pcie"), std::string::npos) << unknown.output;

  {
    std::ofstream out(path("bad.json"));
    out << R"({"schema": "edgebench.device/1", "name": "x", "memory": {"on_chip_bytes": "8M"}})";
  }
  const auto bad = edgebench("plan " + path("d300.onnx") + " --device " + path("bad.json"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("bad.json"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("memory.on_chip_bytes"), std::string::npos) << bad.output;

  {
    std::ofstream out(path("broken.json"));
    out << "{\"schema\": ";
  }
  const auto broken = edgebench("plan " + path("d300.onnx") + " --device " + path("broken.json"));
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.output.find("not valid JSON"), std::string::npos) << broken.output;

  const auto trace = edgebench("plan " + path("d300.onnx") + " --device edgetpu-usb3 --trace Q");
  EXPECT_EQ(trace.exit_code, 2);
  EXPECT_NE(trace.output.find("--trace: unknown model 'Q'"), std::string::npos) << trace.output;

  const auto no_model = edgebench("plan " + path("missing.onnx") + " --device edgetpu-usb3");
  EXPECT_EQ(no_model.exit_code, 2);
}

}  // namespace
}  // namespace edgebench
