// edgebench optimize and analyze end to end on the reference model (models/fashion_mnist_cnn.onnx)
// and Debian's Fashion-MNIST files: every variant must load in ONNX Runtime and agree with the
// native backend within one quantization step of the output on at least 99.9% of the output
// elements (tests/ort/agreement.js, onnxruntime-node), keep its accuracy close to the float
// model's, and analyze must report its per-tensor errors.
//
// The step: for a QDQ model the scale of the DequantizeLinear that writes the output; for a model
// with float outputs (dynamic, fp16, pruned) the step int8 would have over the observed output
// range, (max - min) / 255.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/npy.h"
#include "edgebench/data/dataset.h"
#include "edgebench/onnx/model_io.h"

namespace {

namespace fs = std::filesystem;
using edgebench::DType;
using edgebench::Shape;
using edgebench::Tensor;
using edgebench::cli_test::edgebench;

const std::string kModel = std::string(EDGEBENCH_SOURCE_DIR) + "/models/fashion_mnist_cnn.onnx";
const std::string kData = "fashion-mnist:/usr/share/datasets/fashion-mnist";
constexpr std::int64_t kSamples = 1000;

fs::path work_dir() {
  const fs::path dir = fs::path(::testing::TempDir()) / "edgebench_optimize";
  fs::create_directories(dir);
  return dir;
}

// The first kSamples test images stacked as [N, 1, 28, 28], and the model's outputs [N, 10].
struct Stacked {
  Tensor inputs;
  Tensor outputs;
};

Stacked run_native(const std::string& model_path) {
  auto graph = edgebench::onnx::load_model(model_path);
  EXPECT_TRUE(graph.is_ok()) << graph.status().to_string();
  auto backend = edgebench::backends::make_backend("native");
  auto exe = (*backend)->compile(*graph, {});
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  auto dataset =
      edgebench::data::open_dataset(kData + ":test", {{"input", DType::kFloat32, {1, 1, 28, 28}}});
  EXPECT_TRUE(dataset.is_ok()) << dataset.status().to_string();
  Stacked s{Tensor::zeros(DType::kFloat32, {kSamples, 1, 28, 28}),
            Tensor::zeros(DType::kFloat32, {kSamples, 10})};
  std::vector<Tensor> outputs(1);
  for (std::int64_t i = 0; i < kSamples; ++i) {
    auto sample = (*dataset)->sample(static_cast<std::size_t>(i));
    EXPECT_TRUE(sample.is_ok());
    EXPECT_TRUE((*exe)->run(*sample, outputs).is_ok());
    std::copy_n((*sample)[0].data<float>(), 784, s.inputs.data<float>() + i * 784);
    std::copy_n(outputs[0].data<float>(), 10, s.outputs.data<float>() + i * 10);
  }
  return s;
}

double output_step(const std::string& model_path, const Tensor& outputs) {
  auto graph = edgebench::onnx::load_model(model_path);
  auto scale = graph->initializers.find(graph->outputs[0] + "_scale");
  if (scale != graph->initializers.end()) return scale->second.data<float>()[0];
  float lo = INFINITY, hi = -INFINITY;
  for (std::int64_t i = 0; i < outputs.element_count(); ++i) {
    lo = std::min(lo, outputs.data<float>()[i]);
    hi = std::max(hi, outputs.data<float>()[i]);
  }
  return (hi - lo) / 255.0;
}

// Whether ONNX Runtime's integer kernels are exact on this CPU. On x86-64 without VNNI its
// u8 x s8 kernels (VPMADDUBSW) saturate 16-bit pair sums, which its quantization documentation
// states; there the QDQ models are compared with ONNX Runtime running the graph as written
// (DequantizeLinear, float op, QuantizeLinear: the ONNX semantics), and the dynamic model, whose
// ConvInteger/MatMulInteger always take those kernels, with a looser share.
bool ort_integer_kernels_exact() {
#if defined(__x86_64__)
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (!line.starts_with("flags")) continue;
    return line.find(" avx512_vnni") != std::string::npos ||
           line.find(" avx_vnni") != std::string::npos ||
           line.find(" amx_int8") != std::string::npos;
  }
  return false;
#else
  return true;
#endif
}

// {"fraction": ..., ...} from tests/ort/agreement.js.
nlohmann::json ort_agreement(const std::string& model_path, const std::string& name,
                             const std::string& optimization) {
  const Stacked s = run_native(model_path);
  const fs::path dir = work_dir();
  const std::string inputs = (dir / (name + "_inputs.npy")).string();
  const std::string outputs = (dir / (name + "_native.npy")).string();
  EXPECT_TRUE(edgebench::write_npy(inputs, s.inputs).is_ok());
  EXPECT_TRUE(edgebench::write_npy(outputs, s.outputs).is_ok());
  const double step = output_step(model_path, s.outputs);
  const std::string command = "node " + std::string(EDGEBENCH_SOURCE_DIR) +
                              "/tests/ort/agreement.js " + model_path + " " + inputs + " " +
                              outputs + " --step " + std::to_string(step) + " --optimization " +
                              optimization + " 2>&1";
  std::string text;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  while (pipe && fgets(buffer, sizeof buffer, pipe)) text += buffer;
  const int status = pipe ? pclose(pipe) : -1;
  EXPECT_EQ(status, 0) << "ONNX Runtime failed (did `npm ci --ignore-scripts` run?): " << text;
  try {
    return nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "agreement.js printed: " << text;
    return {};
  }
}

double top1(const std::string& model_path) {
  const auto r = edgebench("eval " + model_path + " --dataset " + kData +
                           ":test --limit 1000 --no-db --quiet --warmup 0 --json " +
                           (work_dir() / "eval.json").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ifstream file(work_dir() / "eval.json");
  const auto j = nlohmann::json::parse(file);
  return j["quality"]["top1"].get<double>();
}

struct Variant {
  std::string name;
  std::string flags;
  double max_top1_loss;  // on the first 1000 test images, against float32
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

class OptimizeVariant : public ::testing::TestWithParam<Variant> {};

TEST_P(OptimizeVariant, RunsInOnnxRuntimeAndKeepsAccuracy) {
  const Variant& v = GetParam();
  const std::string out = (work_dir() / (v.name + ".onnx")).string();
  const auto r = edgebench("optimize " + kModel + " -o " + out + " " + v.flags);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("size "), std::string::npos) << r.output;
  const bool exact = ort_integer_kernels_exact();
  const nlohmann::json agreement = ort_agreement(out, v.name, exact ? "all" : "disabled");
  ASSERT_TRUE(agreement.contains("fraction")) << agreement.dump();
  const double want = exact || v.name != "dynamic" ? 0.999 : 0.99;
  EXPECT_GE(agreement["fraction"].get<double>(), want)
      << agreement.dump() << (exact ? "" : " (ONNX Runtime without VNNI: see above)");
  std::printf("%s vs ONNX Runtime: %s\n", v.name.c_str(), agreement.dump().c_str());
  const double base = top1(kModel);
  const double optimized = top1(out);
  EXPECT_GE(optimized, base - v.max_top1_loss) << v.name << ": " << optimized << " vs " << base;
  std::printf("%s: top-1 %.4f (float32 %.4f)\n", v.name.c_str(), optimized, base);
}

const std::string kCalibration = "--calibration " + kData + ":train --calibration-limit 200 ";

INSTANTIATE_TEST_SUITE_P(
    ReferenceModel, OptimizeVariant,
    ::testing::Values(
        Variant{"int8_per_channel_percentile", "--quantize int8 --per-channel " + kCalibration,
                0.01},
        Variant{"int8_per_tensor_minmax",
                "--quantize int8 --calibration-method minmax " + kCalibration, 0.015},
        Variant{"int8_per_channel_entropy",
                "--quantize int8 --per-channel --calibration-method entropy " + kCalibration, 0.01},
        Variant{"int8_per_channel_mse",
                "--quantize int8 --per-channel --calibration-method mse " + kCalibration, 0.01},
        Variant{"int8_fallback",
                "--quantize int8-fallback --per-channel --sensitivity-samples 50 " + kCalibration,
                0.01},
        Variant{"dynamic", "--quantize dynamic --per-channel", 0.005},
        Variant{"fp16", "--quantize fp16", 0.001},
        // Pruning without retraining has no accuracy promise; a loose bound catches breakage.
        Variant{"prune50_unstructured", "--prune 0.5", 0.3},
        Variant{"prune50_2of4", "--prune 0.5 --prune-pattern 2:4", 0.3},
        Variant{"prune50_int8", "--prune 0.5 --quantize int8 --per-channel " + kCalibration, 0.3}),
    [](const ::testing::TestParamInfo<Variant>& param_info) { return param_info.param.name; });

TEST(OptimizeCli, BadInputIsRejected) {
  const std::string out = (work_dir() / "bad.onnx").string();
  auto r = edgebench("optimize " + kModel + " -o " + out + " --quantize int9");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("int9"), std::string::npos) << r.output;
  r = edgebench("optimize " + kModel + " -o " + out + " --quantize int8");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--calibration"), std::string::npos) << r.output;
  r = edgebench("optimize " + kModel + " -o " + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = edgebench("optimize " + kModel + " -o " + out +
                " --quantize int8 --calibration-method median --calibration random:1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = edgebench("optimize " + kModel + " -o " + out + " --quantize int8 --calibration nope:1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = edgebench("optimize /nonexistent.onnx -o " + out + " --quantize dynamic");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(OptimizeCli, FallbackReportsSensitivityAndKeepsTheWorstNodeFloat) {
  const std::string out = (work_dir() / "fallback.onnx").string();
  const auto r = edgebench("optimize " + kModel + " -o " + out +
                           " --quantize int8-fallback --fallback-count 1 "
                           "--sensitivity-samples 20 --calibration random:3 "
                           "--calibration-limit 20");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("sensitivity"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("falling back to float32: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("left in float32:"), std::string::npos) << r.output;
}

TEST(AnalyzeCli, ReportsPerTensorErrorsAndDispersion) {
  const std::string out = (work_dir() / "analyze_int8.onnx").string();
  auto r = edgebench("optimize " + kModel + " -o " + out + " --quantize int8 --per-channel " +
                     kCalibration);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string json = (work_dir() / "analyze.json").string();
  r = edgebench("analyze " + out + " --reference " + kModel + " --dataset " + kData +
                ":test --limit 100 --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream file(json);
  const auto j = nlohmann::json::parse(file);
  EXPECT_EQ(j["samples"], 100);
  EXPECT_GT(j["output_relative_error"].get<double>(), 0.0);
  EXPECT_LT(j["output_relative_error"].get<double>(), 0.05);
  EXPECT_LE(j["argmax_changed"].get<double>(), 0.05);
  int weights = 0, activations = 0;
  for (const auto& t : j["tensors"]) {
    if (t["kind"] == "weight") ++weights;
    if (t["kind"] == "activation") ++activations;
    // int8 keeps every tensor well above 20 dB here; a broken pairing shows as ~0 dB.
    ASSERT_TRUE(t["sqnr_db"].is_number()) << t.dump();
    EXPECT_GT(t["sqnr_db"].get<double>(), 20.0) << t.dump();
  }
  EXPECT_EQ(weights, 8);  // weights and biases of 2 Conv and 2 Gemm
  EXPECT_GE(activations, 4);
  ASSERT_EQ(j["width_dispersion"].size(), 4u);
  for (const auto& d : j["width_dispersion"]) EXPECT_GT(d["ratio"].get<double>(), 1.0);

  // The float model against itself: no error anywhere.
  r = edgebench("analyze " + kModel + " --reference " + kModel + " --dataset " + kData +
                ":test --limit 10 --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream same(json);
  const auto k = nlohmann::json::parse(same);
  EXPECT_EQ(k["output_relative_error"].get<double>(), 0.0);
  EXPECT_EQ(k["argmax_changed"].get<double>(), 0.0);

  r = edgebench("analyze " + out + " --reference /nonexistent.onnx --dataset random:1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
