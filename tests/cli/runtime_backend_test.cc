// The runtimes as backends (--backend onnxruntime|openvino|tflite...): the host starts the Python
// target from the project's environment (.venv), drives it over the protocol and stops it. The
// outputs agree with the native engine's, records say which runtime computed them, bad setups
// exit 2 with the cause, and no target process outlives its host.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_test_util.h"
#include "edgebench/core/npy.h"

namespace edgebench {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(EDGEBENCH_SOURCE_DIR) + "/models/fashion_mnist_cnn.onnx";
const std::string kDataset = "fashion-mnist:/usr/share/datasets/fashion-mnist:test";

// A marker in the environment that the host passes on to its target: the processes that still
// carry it are the ones a command left behind.
std::string new_marker() {
  std::random_device rd;
  return "EB_RUNTIME_TEST_MARK=" + std::to_string(::getpid()) + "_" + std::to_string(rd());
}

std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = ::readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + name + "/environ", std::ios::binary);
    const std::string environ((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (environ.find(marker + '\0') != std::string::npos) found.push_back(std::stoi(name));
  }
  ::closedir(proc);
  return found;
}

// Runs edgebench with the marker set; afterwards no process may carry it.
cli_test::CommandResult run_marked(const std::string& args, const std::string& env = "") {
  const std::string marker = new_marker();
  const std::string command =
      "env " + marker + " " + env + " " + std::string(EDGEBENCH_BINARY) + " " + args + " 2>&1";
  cli_test::CommandResult result{-1, {}};
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe != nullptr) {
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.output += buffer;
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  EXPECT_TRUE(processes_with(marker).empty())
      << "a target process outlived `edgebench " << args << "`";
  return result;
}

// max |a - b| over max |b|: agreement relative to the output's scale.
double relative_difference(const Tensor& a, const Tensor& b) {
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < b.element_count(); ++i) {
    diff = std::max(diff, std::fabs(double(a.data<float>()[i]) - double(b.data<float>()[i])));
    scale = std::max(scale, std::fabs(double(b.data<float>()[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

class RuntimeBackendTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RuntimeBackendTest, RunOutputsAgreeWithNative) {
  const std::string runtime = GetParam();
  const fs::path dir = cli_test::fresh_temp_dir("runtime_run_" + runtime);
  auto native =
      run_marked("run " + kModel + " --random-seed 11 --output-dir " + (dir / "native").string());
  ASSERT_EQ(native.exit_code, 0) << native.output;
  auto remote = run_marked("run " + kModel + " --random-seed 11 --backend " + runtime +
                           " --output-dir " + (dir / runtime).string());
  ASSERT_EQ(remote.exit_code, 0) << remote.output;
  std::size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(dir / "native")) {
    auto expected = read_npy(entry.path());
    auto got = read_npy(dir / runtime / entry.path().filename());
    ASSERT_TRUE(expected.is_ok()) << expected.status().message();
    ASSERT_TRUE(got.is_ok()) << got.status().message();
    ASSERT_EQ(got->shape(), expected->shape());
    ASSERT_EQ(got->dtype(), DType::kFloat32);
    EXPECT_LE(relative_difference(*got, *expected), 1e-4) << entry.path().filename();
    ++compared;
  }
  EXPECT_GT(compared, 0u);
  fs::remove_all(dir);
}

TEST_P(RuntimeBackendTest, BenchRecordCarriesTheRuntime) {
  const std::string runtime = GetParam();
  const fs::path dir = cli_test::fresh_temp_dir("runtime_bench_" + runtime);
  auto r = run_marked("bench " + kModel + " --backend " + runtime +
                      " --warmup 2 --min-queries 64 --min-duration 0 --no-db --json " +
                      (dir / "r.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = cli_test::read_json_file(dir / "r.json");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["schema"], "edgebench.result/1");
  EXPECT_EQ(j["backend"]["name"], runtime);
  const nlohmann::json& rt = j["backend"]["runtime"];
  ASSERT_TRUE(rt.is_object()) << j["backend"].dump();
  EXPECT_EQ(rt["name"], runtime);
  ASSERT_TRUE(rt["version"].is_string());
  EXPECT_FALSE(rt["version"].get<std::string>().empty());
  EXPECT_EQ(rt["precision"], "f32");
  EXPECT_EQ(rt["threads"], 1);
  const nlohmann::json& target = j["backend"]["target"];
  ASSERT_TRUE(target.is_object()) << j["backend"].dump();
  EXPECT_TRUE(target["python"].is_string());
  EXPECT_TRUE(target["cores"].is_number_integer());
  // The target times each inference itself; the host's round trip is beside it.
  EXPECT_EQ(j["timings"]["latency_source"], "target");
  EXPECT_TRUE(j["timings"]["round_trip_ms"].is_object());
  fs::remove_all(dir);
}

TEST_P(RuntimeBackendTest, EvalQualityMatchesNative) {
  const std::string runtime = GetParam();
  const fs::path dir = cli_test::fresh_temp_dir("runtime_eval_" + runtime);
  const std::string common = "eval " + kModel + " --dataset " + kDataset + " --limit 200 --no-db";
  auto native = run_marked(common + " --json " + (dir / "native.json").string());
  ASSERT_EQ(native.exit_code, 0) << native.output;
  auto remote =
      run_marked(common + " --backend " + runtime + " --json " + (dir / "remote.json").string());
  ASSERT_EQ(remote.exit_code, 0) << remote.output;
  const nlohmann::json a = cli_test::read_json_file(dir / "native.json"),
                       b = cli_test::read_json_file(dir / "remote.json");
  ASSERT_TRUE(a["quality"]["top1"].is_number());
  ASSERT_TRUE(b["quality"]["top1"].is_number());
  // Outputs agree within 1e-4: at most one of 200 arg-maxes may flip on a near tie.
  EXPECT_NEAR(a["quality"]["top1"].get<double>(), b["quality"]["top1"].get<double>(), 1.0 / 200);
  EXPECT_EQ(b["backend"]["runtime"]["name"], runtime);
  EXPECT_EQ(a["backend"]["runtime"]["name"], "edgebench");
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, RuntimeBackendTest,
                         ::testing::Values("onnxruntime", "openvino"));

TEST(RuntimeBackendErrors, NativeRecordSaysEdgebenchF32) {
  const fs::path dir = cli_test::fresh_temp_dir("runtime_native_record");
  auto r = run_marked("bench " + kModel +
                      " --warmup 1 --min-queries 64 --min-duration 0 --no-db --json " +
                      (dir / "r.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = cli_test::read_json_file(dir / "r.json");
  EXPECT_EQ(j["backend"]["runtime"]["name"], "edgebench");
  EXPECT_EQ(j["backend"]["runtime"]["precision"], "f32");
  EXPECT_TRUE(j["backend"]["target"].is_null());
  fs::remove_all(dir);
}

TEST(RuntimeBackendErrors, MissingPackageSaysWhatToInstall) {
  // Debian's interpreter has NumPy but not onnxruntime: the target exits before it listens.
  ASSERT_NE(::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null"), -1);
  ASSERT_NE(::system("/usr/bin/python3 -c 'import onnxruntime' 2>/dev/null"), 0)
      << "/usr/bin/python3 has onnxruntime; this test needs an interpreter without it";
  auto r =
      run_marked("run " + kModel + " --backend onnxruntime", "EDGEBENCH_PYTHON=/usr/bin/python3");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("pip install onnxruntime"), std::string::npos) << r.output;
}

TEST(RuntimeBackendErrors, NoPythonSaysHowToSetUp) {
  auto r = run_marked("run " + kModel + " --backend onnxruntime",
                      "EDGEBENCH_PYTHON=/nonexistent/python");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/python"), std::string::npos) << r.output;
}

TEST(RuntimeBackendErrors, UnknownRuntimeOptionIsNamed) {
  auto r = run_marked("run " + kModel + " --backend 'onnxruntime?no_such_option=1'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no_such_option"), std::string::npos) << r.output;
}

TEST(RuntimeBackendErrors, ThreadsComeFromTheFlag) {
  auto r = run_marked("run " + kModel + " --backend 'onnxruntime?threads=4'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--threads"), std::string::npos) << r.output;
}

TEST(RuntimeBackendErrors, DelegateThatDoesNotLoadIsNamed) {
  auto r =
      run_marked("run " + kModel + " --backend 'tflite?delegate=/nonexistent/libnodelegate.so'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/libnodelegate.so"), std::string::npos) << r.output;
}

TEST(RuntimeBackendErrors, TargetDiesWithItsHost) {
  // SIGKILL leaves the host no chance to stop its child: PR_SET_PDEATHSIG must.
  const std::string marker = new_marker();
  const pid_t host = ::fork();
  ASSERT_GE(host, 0);
  if (host == 0) {
    ::putenv(const_cast<char*>(marker.c_str()));
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execl(EDGEBENCH_BINARY, EDGEBENCH_BINARY, "bench", kModel.c_str(), "--backend", "onnxruntime",
            "--no-db", "--min-duration", "60", "--warmup", "1", nullptr);
    ::_exit(127);
  }
  // Wait until the target runs (a process that carries the marker other than the host).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  bool target_seen = false;
  while (!target_seen && std::chrono::steady_clock::now() < deadline) {
    for (pid_t p : processes_with(marker)) target_seen = target_seen || p != host;
    if (!target_seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(host, SIGKILL);
  int status = 0;
  ::waitpid(host, &status, 0);
  ASSERT_TRUE(target_seen) << "the host never started its target";
  const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!processes_with(marker).empty() && std::chrono::steady_clock::now() < gone_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(processes_with(marker).empty()) << "the target outlived its killed host";
}

}  // namespace
}  // namespace edgebench
