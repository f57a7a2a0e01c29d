// Differential check against ONNX Runtime (the external oracle): models the project generates
// run through `edgebench run` and through tests/ort/run_ort.js (onnxruntime-node) on the same
// .npy inputs; outputs must agree within a max relative error of 1e-4, defined as
// max_i |edgebench_i - ort_i| / max_i |ort_i|.
//
// Needs Node.js and `npm ci --ignore-scripts` at the repository root (scripts/test.sh does it).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "edgebench/core/npy.h"
#include "edgebench/core/random.h"

namespace {

namespace fs = std::filesystem;

int shell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) *output += buffer.data();
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Case {
  std::string name;
  std::string generate_args;
  edgebench::Shape input_shape;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class OrtDifferential : public ::testing::TestWithParam<Case> {};

TEST_P(OrtDifferential, OutputsMatchOnnxRuntime) {
  const Case& c = GetParam();
  const fs::path dir = fs::temp_directory_path() / ("edgebench_ort_" + c.name);
  fs::remove_all(dir);
  fs::create_directories(dir / "eb");
  fs::create_directories(dir / "ort");
  const std::string eb = EDGEBENCH_BINARY;
  const std::string model = (dir / "model.onnx").string();
  std::string log;
  ASSERT_EQ(shell(eb + " generate " + c.generate_args + " -o " + model, &log), 0) << log;

  const std::uint64_t seed = 1234;
  auto x = edgebench::random_tensor(edgebench::DType::kFloat32, c.input_shape, seed,
                                    {.low = -1.0, .high = 1.0});
  ASSERT_TRUE(x.is_ok());
  const std::string input = (dir / "input.npy").string();
  ASSERT_TRUE(edgebench::write_npy(input, *x).is_ok());

  ASSERT_EQ(shell(eb + " run " + model + " --input input=" + input + " --output-dir " +
                      (dir / "eb").string(),
                  &log),
            0)
      << log;
  const std::string ort_script = std::string(EDGEBENCH_SOURCE_DIR) + "/tests/ort/run_ort.js";
  ASSERT_EQ(shell("node " + ort_script + " " + model + " " + (dir / "ort").string() +
                      " input=" + input + " --threads 1",
                  &log),
            0)
      << "ONNX Runtime failed (did `npm ci --ignore-scripts` run?): " << log;

  auto ours = edgebench::read_npy(dir / "eb" / "output.npy");
  auto theirs = edgebench::read_npy(dir / "ort" / "output.npy");
  ASSERT_TRUE(ours.is_ok()) << ours.status().to_string();
  ASSERT_TRUE(theirs.is_ok()) << theirs.status().to_string();
  ASSERT_EQ(ours->shape(), theirs->shape());
  double max_diff = 0, max_ref = 0;
  for (std::int64_t i = 0; i < theirs->element_count(); ++i) {
    const double a = ours->element_as_double(i), b = theirs->element_as_double(i);
    max_diff = std::max(max_diff, std::fabs(a - b));
    max_ref = std::max(max_ref, std::fabs(b));
  }
  ASSERT_GT(max_ref, 0.0) << "reference output is all zeros; the check would be vacuous";
  const double rel = max_diff / max_ref;
  EXPECT_LE(rel, 1e-4) << c.name << ": max relative error " << rel << " (input seed " << seed
                       << ")";
  std::printf("%s: max relative error vs ONNX Runtime %.3g\n", c.name.c_str(), rel);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    GeneratedModels, OrtDifferential,
    ::testing::Values(
        Case{"conv_f8_l2_s16", "conv --filters 8 --layers 2 --input 16", {1, 3, 16, 16}},
        Case{"conv_f13_l3_s17_k5_relu6",
             "conv --filters 13 --layers 3 --input 17 --kernel 5 --activation relu6",
             {1, 3, 17, 17}},
        Case{"conv_f32_l5_s64", "conv --filters 32 --layers 5 --input 64", {1, 3, 64, 64}},
        Case{"conv_f7_l2_s9_k1_tanh",
             "conv --filters 7 --layers 2 --input 9 --kernel 1 --activation tanh",
             {1, 3, 9, 9}},
        Case{"dense_n100_l4", "dense --neurons 100 --layers 4", {1, 64}},
        Case{"dense_n127_l3_sigmoid",
             "dense --neurons 127 --layers 3 --inputs 13 --outputs 7 --activation sigmoid",
             {1, 13}}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

}  // namespace
