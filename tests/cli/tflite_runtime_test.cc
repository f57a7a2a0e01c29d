// TFLite models on the tflite runtime (--backend tflite): the float twin of the Keras
// Fashion-MNIST CNN gives the same outputs as its ONNX twin on the native engine for the same
// input (NCHW data fitted to the NHWC input), and the full-integer model is evaluated on
// dataset samples quantized with its input's scale and zero point, its int8 outputs dequantized.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "cli/cli_test_util.h"
#include "edgebench/core/npy.h"

namespace edgebench {
namespace {

namespace fs = std::filesystem;

const std::string kModels = std::string(EDGEBENCH_SOURCE_DIR) + "/models/";
const std::string kDataset = "fashion-mnist:/usr/share/datasets/fashion-mnist:test";

TEST(TfliteRuntime, FloatTwinAgreesWithTheOnnxTwinOnNative) {
  const fs::path dir = cli_test::fresh_temp_dir("tflite_twin");
  // One seeded image-like input in [0, 1], NCHW as the ONNX twin takes it.
  const unsigned seed = 20261206;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  Tensor input = Tensor::zeros(DType::kFloat32, {1, 1, 28, 28});
  for (std::int64_t i = 0; i < input.element_count(); ++i) input.data<float>()[i] = pixel(rng);
  ASSERT_TRUE(write_npy(dir / "x.npy", input).is_ok());

  auto onnx = cli_test::edgebench(
      "run " + kModels + "fashion_mnist_cnn_keras.onnx --input input=" + (dir / "x.npy").string() +
      " --output-dir " + (dir / "native").string());
  ASSERT_EQ(onnx.exit_code, 0) << onnx.output;
  auto tflite = cli_test::edgebench(
      "run " + kModels + "fashion_mnist_cnn_keras_float32.tflite --backend tflite --input " +
      "serving_default_input:0=" + (dir / "x.npy").string() + " --output-dir " +
      (dir / "tflite").string());
  ASSERT_EQ(tflite.exit_code, 0) << tflite.output;

  auto expected = read_npy(dir / "native" / "logits.npy");
  ASSERT_TRUE(expected.is_ok()) << expected.status().message();
  std::vector<fs::path> written;
  for (const auto& entry : fs::directory_iterator(dir / "tflite")) written.push_back(entry.path());
  ASSERT_EQ(written.size(), 1u);
  auto got = read_npy(written[0]);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  ASSERT_EQ(got->shape(), expected->shape());
  ASSERT_EQ(got->dtype(), DType::kFloat32);
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < expected->element_count(); ++i) {
    diff = std::max(diff, std::fabs(double(got->data<float>()[i]) - expected->data<float>()[i]));
    scale = std::max(scale, std::fabs(double(expected->data<float>()[i])));
  }
  EXPECT_GT(scale, 0.0);
  EXPECT_LE(diff / scale, 1e-4) << "seed " << seed;
  fs::remove_all(dir);
}

TEST(TfliteRuntime, FullIntegerModelIsEvaluatedOnQuantizedSamples) {
  const fs::path dir = cli_test::fresh_temp_dir("tflite_int8");
  const std::string common = " --backend tflite --dataset " + kDataset + " --limit 500 --no-db";
  auto f32 = cli_test::edgebench("eval " + kModels + "fashion_mnist_cnn_keras_float32.tflite" +
                                 common + " --json " + (dir / "f32.json").string());
  ASSERT_EQ(f32.exit_code, 0) << f32.output;
  auto i8 = cli_test::edgebench("eval " + kModels + "fashion_mnist_cnn_keras_int8.tflite" + common +
                                " --json " + (dir / "i8.json").string());
  ASSERT_EQ(i8.exit_code, 0) << i8.output;
  const nlohmann::json a = cli_test::read_json_file(dir / "f32.json"),
                       b = cli_test::read_json_file(dir / "i8.json");
  ASSERT_TRUE(a["quality"]["top1"].is_number()) << a.dump();
  ASSERT_TRUE(b["quality"]["top1"].is_number()) << b.dump();
  // Unquantized samples would be garbage to an int8 input (pixels in [0, 1] read as -128..-127):
  // the accuracy would collapse. Quantized, int8 stays within a point and a half of float.
  EXPECT_GT(a["quality"]["top1"].get<double>(), 0.85);
  EXPECT_NEAR(b["quality"]["top1"].get<double>(), a["quality"]["top1"].get<double>(), 0.015);
  EXPECT_EQ(b["backend"]["runtime"]["name"], "tflite");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace edgebench
