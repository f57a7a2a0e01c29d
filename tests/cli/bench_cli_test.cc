// End-to-end tests of `edgebench bench`, `results` and `compare` through the binary.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/cli_test_util.h"

namespace {

namespace fs = std::filesystem;

using edgebench::cli_test::CommandResult;
using edgebench::cli_test::edgebench;

class BenchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgebench_bench_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(edgebench("generate dense --neurons 16 --layers 2 -o " + path("m.onnx")).exit_code,
              0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  nlohmann::json read_json(const std::string& name) const {
    std::ifstream in(path(name));
    return nlohmann::json::parse(in);
  }

  fs::path dir_;
};

TEST_F(BenchCli, EveryScenarioOnEveryBackendWritesTheResultSchema) {
  for (const std::string& backend : std::vector<std::string>{"native", "native-ref", "null"}) {
    for (const std::string& scenario :
         std::vector<std::string>{"single-stream", "multi-stream", "server", "offline"}) {
      const std::string json = backend + "_" + scenario + ".json";
      std::string args = "bench " + path("m.onnx") + " --backend " + backend + " --scenario " +
                         scenario + " --min-duration 0.2 --min-queries 50 --quiet --db " +
                         path("r.db") + " --json " + path(json);
      if (scenario == "server") args += " --target-qps 500";
      const CommandResult r = edgebench(args);
      // Exit 1 is allowed: a short run may be marked invalid (too few queries for an
      // early-stopping estimate), which is what the validity flag is for.
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << backend << " " << scenario << "\n"
                                                        << r.output;
      const nlohmann::json j = read_json(json);
      EXPECT_EQ(j["schema"], "edgebench.result/1");
      EXPECT_EQ(j["backend"]["name"], backend);
      EXPECT_EQ(j["scenario"]["name"], scenario);
      EXPECT_GT(j["timings"]["latency_ms"]["count"].get<std::uint64_t>(), 0u);
      EXPECT_GE(j["timings"]["init_ms"].get<double>(), 0.0);
      EXPECT_TRUE(j["timings"].contains("first_inference_ms"));
      EXPECT_EQ(j["valid"].get<bool>(), r.exit_code == 0) << r.output;
      EXPECT_GT(j["memory"]["peak_rss_bytes"].get<std::uint64_t>(), 0u);
    }
  }
  const CommandResult list = edgebench("results list --limit 0 --db " + path("r.db"));
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(static_cast<int>(std::count(list.output.begin(), list.output.end(), '\n')), 13)
      << list.output;  // header + 12 results
}

TEST_F(BenchCli, ProfileOpsAddsAPerOpTable) {
  const CommandResult r =
      edgebench("bench " + path("m.onnx") +
                " --profile-ops --min-duration 0.1 --no-db --quiet --json " + path("p.json"));
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.output;
  const nlohmann::json j = read_json("p.json");
  ASSERT_TRUE(j["profile"].is_object()) << j.dump();
  EXPECT_FALSE(j["profile"]["by_op_type"].empty());
  EXPECT_NE(r.output.find("Gemm"), std::string::npos) << r.output;
}

TEST_F(BenchCli, BadFlagsAndInputsExitTwo) {
  const std::string m = path("m.onnx");
  for (const std::string& args :
       {"bench " + m + " --scenario sideways", "bench " + m + " --threads 0",
        "bench " + m + " --backend tpu9000", "bench " + m + " --scenario server",
        "bench " + m + " --input input=" + path("missing.npy"), "bench " + path("nope.onnx"),
        "bench " + m + " --min-queries lots"}) {
    const CommandResult r = edgebench(args + " --no-db --quiet");
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_FALSE(r.output.empty()) << args;
  }
  // A results store that is not one (here: the model file) is refused before measuring.
  const CommandResult r = edgebench("bench " + m + " --quiet --db " + m);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("m.onnx"), std::string::npos) << r.output;
}

TEST_F(BenchCli, EnergyComesFromThePowercapTreeOrIsAbsent) {
  // A fake powercap tree with one package zone.
  const fs::path zone = dir_ / "powercap" / "intel-rapl:0";
  fs::create_directories(zone);
  std::ofstream(zone / "name") << "package-0\n";
  std::ofstream(zone / "energy_uj") << "123456789\n";
  std::ofstream(zone / "max_energy_range_uj") << "262143328850\n";
  CommandResult r = edgebench("bench " + path("m.onnx") +
                              " --backend null --min-duration 0.05 --no-db --quiet --json " +
                              path("e.json") + " --powercap-root " + (dir_ / "powercap").string());
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.output;
  nlohmann::json j = read_json("e.json");
  EXPECT_TRUE(j["energy"]["available"].get<bool>()) << j["energy"].dump();
  EXPECT_GE(j["energy"]["joules"].get<double>(), 0.0);
  // No counters: energy is reported as absent, not as zero.
  r = edgebench("bench " + path("m.onnx") +
                " --backend null --min-duration 0.05 --no-db --quiet --json " + path("n.json") +
                " --powercap-root " + path("no-such-folder"));
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.output;
  j = read_json("n.json");
  EXPECT_FALSE(j["energy"]["available"].get<bool>()) << j["energy"].dump();
}

TEST_F(BenchCli, DatasetSpecsFeedTheSamples) {
  const std::string test = "/usr/share/libonnx-testdata/data/node/test_relu";
  CommandResult r = edgebench("bench " + test + "/model.onnx --dataset onnx-test:" + test +
                              " --min-duration 0.05 --no-db --quiet --json " + path("d.json"));
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.output;
  EXPECT_EQ(read_json("d.json")["scenario"]["inputs"], "onnx-test:" + test + " (1 samples)");
  r = edgebench("bench " + path("m.onnx") + " --dataset npy:" + path("none") + " --no-db");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("none"), std::string::npos) << r.output;
}

TEST_F(BenchCli, StoreSurvivesAKilledRun) {
  for (int i = 0; i < 2; ++i) {
    const CommandResult r =
        edgebench("bench " + path("m.onnx") + " --backend null --min-duration 0.05 --quiet --db " +
                  path("s.db") + " --label run" + std::to_string(i));
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.output;
  }
  // A long run, killed while it measures.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string db = path("s.db"), model = path("m.onnx");
    execl(EDGEBENCH_BINARY, EDGEBENCH_BINARY, "bench", model.c_str(), "--min-duration", "30",
          "--quiet", "--db", db.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const CommandResult list = edgebench("results list --db " + path("s.db"));
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("null"), std::string::npos) << list.output;
  EXPECT_EQ(static_cast<int>(std::count(list.output.begin(), list.output.end(), '\n')), 3)
      << list.output;
  const CommandResult compare = edgebench("compare --db " + path("s.db"));
  EXPECT_EQ(compare.exit_code, 0) << compare.output;
  EXPECT_NE(compare.output.find("1.00x"), std::string::npos) << compare.output;
}

}  // namespace
