// Segmentation and the pipelined runner end to end: exported segments run in turn compute the
// whole model exactly; `edgebench pipeline` on two native workers and on two edgebench-target
// processes matches the whole model and reports per-segment times; a worker that cannot start
// is an error naming its stage; sim:DEVICE records the device model's figures.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "edgebench/core/npy.h"
#include "edgebench/core/random.h"
#include "remote/target_process.h"

namespace edgebench::remote {
namespace {

namespace fs = std::filesystem;
using cli_test::edgebench;

fs::path fresh(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       fmt::format("eb_pipeline_{}_{}", name, static_cast<long>(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

TEST(Segments, ExportedSegmentsRunInTurnEqualTheWholeModel) {
  const fs::path dir = fresh("segments");
  const std::string model = (dir / "conv.onnx").string();
  ASSERT_EQ(edgebench("generate conv --filters 8 --layers 4 --input 12 -o " + model).exit_code, 0);
  for (const std::string strategy : {"parameters", "latency", "exhaustive"}) {
    const fs::path seg_dir = dir / strategy;
    auto r = edgebench("plan " + model + " --device edgetpu-usb3 --segments 3 --strategy " +
                       strategy + " --export-dir " + seg_dir.string() + " --json " +
                       (seg_dir / "plan.json").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const nlohmann::json plan = read_json(seg_dir / "plan.json");
    ASSERT_EQ(plan["segments"].size(), 3u) << strategy;
    EXPECT_EQ(plan["segmentation"]["strategy"], strategy);

    // The whole model and the chain of segments, on the reference kernels.
    auto x = random_tensor(DType::kFloat32, {1, 3, 12, 12}, 7);
    ASSERT_TRUE(x.is_ok());
    ASSERT_TRUE(write_npy(dir / "x.npy", *x).is_ok());
    r = edgebench("run " + model + " --backend native-ref --input input=" +
                  (dir / "x.npy").string() + " --output-dir " + (dir / "whole").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::map<std::string, std::string> values = {{"input", (dir / "x.npy").string()}};
    std::size_t covered = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const nlohmann::json& s = plan["segments"][k];
      covered += s["nodes"].size();
      std::string inputs;
      for (const auto& in : s["inputs"]) {
        ASSERT_TRUE(values.contains(in.get<std::string>())) << strategy << " " << in;
        inputs += " --input " + in.get<std::string>() + "=" + values[in.get<std::string>()];
      }
      const fs::path out = seg_dir / fmt::format("out{}", k);
      r = edgebench("run " + s["path"].get<std::string>() + " --backend native-ref" + inputs +
                    " --output-dir " + out.string());
      ASSERT_EQ(r.exit_code, 0) << strategy << "\n" << r.output;
      for (const auto& o : s["outputs"]) {
        values[o.get<std::string>()] = (out / (o.get<std::string>() + ".npy")).string();
      }
    }
    EXPECT_EQ(covered, plan["segments"][2]["end_node"].get<std::size_t>());
    for (const auto& entry : fs::directory_iterator(dir / "whole")) {
      const std::string name = entry.path().stem().string();
      ASSERT_TRUE(values.contains(name)) << name;
      auto whole = read_npy(entry.path());
      auto chained = read_npy(values[name]);
      ASSERT_TRUE(whole.is_ok() && chained.is_ok());
      ASSERT_EQ(whole->element_count(), chained->element_count());
      for (std::int64_t i = 0; i < whole->element_count(); ++i) {
        ASSERT_EQ(whole->data<float>()[i], chained->data<float>()[i]) << strategy << " at " << i;
      }
    }
  }
}

TEST(Segments, BadRequestsExit2) {
  const fs::path dir = fresh("segments_bad");
  const std::string model = (dir / "d.onnx").string();
  ASSERT_EQ(edgebench("generate dense --neurons 16 --layers 2 -o " + model).exit_code, 0);
  for (const auto& [args, needle] : std::vector<std::pair<std::string, std::string>>{
           {"--segments 99", "only"},
           {"--segments 2 --strategy fastest", "--strategy"},
           {"--segments 3 --cuts 2", "2 segments, not 3"},
           {"--segments 2 --cuts 0", "--cuts"},
       }) {
    auto r = edgebench("plan " + model + " --device edgetpu-usb3 " + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << args << "\n" << r.output;
  }
}

TEST(Pipeline, TwoNativeWorkersMatchTheWholeModelAndReportEachSegment) {
  const fs::path dir = fresh("native");
  const std::string model = (dir / "conv.onnx").string();
  ASSERT_EQ(edgebench("generate conv --filters 16 --layers 6 --input 24 -o " + model).exit_code, 0);
  auto r = edgebench("pipeline " + model +
                     " --workers native,native --queries 40 --warmup 4 "
                     "--in-flight 1,2,4 --json " +
                     (dir / "p.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("max |difference| 0"), std::string::npos) << r.output;
  const nlohmann::json j = read_json(dir / "p.json");
  EXPECT_EQ(j["segments"].size(), 2u);
  ASSERT_EQ(j["runs"].size(), 3u);
  for (const auto& run : j["runs"]) {
    ASSERT_EQ(run["stages"].size(), 2u);
    EXPECT_GT(run["throughput_per_s"].get<double>(), 0);
    EXPECT_GT(run["speedup"].get<double>(), 0);
    for (const auto& s : run["stages"]) EXPECT_GT(s["service_mean_ms"].get<double>(), 0);
  }
  EXPECT_EQ(j["max_abs_difference"], 0.0);
}

TEST(Pipeline, RunsAcrossTwoTargets) {
  const fs::path dir = fresh("remote");
  Target a({}, dir);
  Target b({}, dir);
  ASSERT_NE(a.port(), 0);
  ASSERT_NE(b.port(), 0);
  const std::string model = (dir / "conv.onnx").string();
  ASSERT_EQ(edgebench("generate conv --filters 8 --layers 4 --input 16 -o " + model).exit_code, 0);
  auto r =
      edgebench("pipeline " + model + " --workers " + a.address() + "," + b.address() +
                " --queries 20 --warmup 2 --in-flight 1,2 --json " + (dir / "p.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json(dir / "p.json");
  EXPECT_EQ(j["workers"][0], a.address());
  EXPECT_EQ(j["workers"][1], b.address());
  EXPECT_EQ(j["max_abs_difference"], 0.0);
  EXPECT_TRUE(a.alive());
  EXPECT_TRUE(b.alive());
}

TEST(Pipeline, AWorkerThatCannotStartIsAnErrorNamingItsStage) {
  const fs::path dir = fresh("bad");
  const std::string model = (dir / "conv.onnx").string();
  ASSERT_EQ(edgebench("generate conv --filters 8 --layers 4 --input 16 -o " + model).exit_code, 0);
  auto r = edgebench("pipeline " + model + " --workers native,tcp://127.0.0.1:1 --queries 5");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("pipeline stage 2"), std::string::npos) << r.output;
  r = edgebench("pipeline " + model + " --workers native,native,native --segments 2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("3 workers for 2 segments"), std::string::npos) << r.output;
  r = edgebench("pipeline " + model + " --workers gpu");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown backend"), std::string::npos) << r.output;
}

TEST(SimBackend, BenchRecordsTheDeviceModel) {
  const fs::path dir = fresh("sim");
  // Beyond the thesis's spill point: part of the parameters are streamed.
  const std::string model = (dir / "d.onnx").string();
  ASSERT_EQ(edgebench("generate dense --neurons 1620 -o " + model).exit_code, 0);
  auto r = edgebench("bench " + model +
                     " --backend sim:edgetpu-thesis --min-queries 64 "
                     "--min-duration 0 --no-db --json " +
                     (dir / "r.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json(dir / "r.json");
  EXPECT_EQ(j["backend"]["name"], "sim:edgetpu-thesis");
  EXPECT_EQ(j["timings"]["latency_source"], "model");
  const nlohmann::json& a = j["accelerator"];
  ASSERT_TRUE(a.is_object()) << j.dump(2).substr(0, 400);
  EXPECT_EQ(a["device"], "edgetpu-thesis");
  EXPECT_GT(a["off_chip_bytes"].get<double>(), 2.5 * 1024 * 1024);
  EXPECT_GT(a["on_chip_bytes"].get<double>(), 5.0 * 1024 * 1024);
  // Every later query reports the warm prediction.
  EXPECT_NEAR(j["timings"]["latency_ms"]["p50"].get<double>(), a["warm_ms"].get<double>(), 1e-9);
  r = edgebench("bench " + model + " --backend sim:nope --no-db");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("nope"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace edgebench::remote
