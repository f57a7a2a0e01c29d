// quantize_tensor / dequantize_tensor / fit_to_input against a double-precision loop written
// from the definition real = scale * (q - zero_point), on seeded random values.
#include "edgebench/core/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace edgebench {
namespace {

TEST(Quantize, RoundsHalfToEvenAndSaturates) {
  const float values[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000.0f, -1000.0f};
  Tensor real = Tensor::vector<float>(DType::kFloat32, values);
  QuantParams p{{1.0f}, {0}, std::nullopt};
  auto q = quantize_tensor(real, DType::kInt8, p);
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ(q->to_int64_vector(), (std::vector<std::int64_t>{0, 2, 2, 0, -2, 127, -128}));
  ASSERT_TRUE(q->quant().has_value());
}

TEST(Quantize, MatchesTheDefinitionPerTensorAndPerAxis) {
  const unsigned seed = 2024;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  Tensor real = Tensor::zeros(DType::kFloat32, {2, 3, 5});
  for (std::int64_t i = 0; i < real.element_count(); ++i) real.data<float>()[i] = dist(rng);
  const QuantParams per_tensor{{0.02f}, {-7}, std::nullopt};
  const QuantParams per_axis{{0.01f, 0.03f, 0.05f}, {3, 0, -4}, 1};
  for (const QuantParams& p : {per_tensor, per_axis}) {
    for (DType dtype : {DType::kInt8, DType::kUInt8, DType::kInt16}) {
      auto q = quantize_tensor(real, dtype, p);
      ASSERT_TRUE(q.is_ok()) << q.status().to_string();
      auto back = dequantize_tensor(*q, p);
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      const double lo = dtype == DType::kInt8 ? -128 : dtype == DType::kUInt8 ? 0 : -32768;
      const double hi = dtype == DType::kInt8 ? 127 : dtype == DType::kUInt8 ? 255 : 32767;
      for (std::int64_t i = 0; i < real.element_count(); ++i) {
        const std::size_t k = p.axis ? static_cast<std::size_t>((i / 5) % 3) : 0;
        const double scaled = static_cast<double>(real.data<float>()[i]) / p.scales[k];
        const double expect = std::clamp(std::nearbyint(scaled) + p.zero_points[k], lo, hi);
        ASSERT_EQ(q->element_as_double(i), expect) << "seed " << seed << " element " << i;
        ASSERT_FLOAT_EQ(back->data<float>()[i],
                        static_cast<float>(p.scales[k] * (expect - p.zero_points[k])))
            << "seed " << seed;
      }
    }
  }
}

TEST(Quantize, RefusesBadParameters) {
  Tensor real = Tensor::zeros(DType::kFloat32, {2, 3});
  EXPECT_FALSE(quantize_tensor(real, DType::kInt8, {{0.0f}, {0}, std::nullopt}).is_ok());
  EXPECT_FALSE(quantize_tensor(real, DType::kInt8, {{1.0f, 1.0f}, {0, 0}, 1}).is_ok());
  EXPECT_FALSE(quantize_tensor(real, DType::kInt8, {{1.0f}, {0}, 5}).is_ok());
  EXPECT_FALSE(quantize_tensor(real, DType::kFloat32, {{1.0f}, {0}, std::nullopt}).is_ok());
  Tensor ints = Tensor::zeros(DType::kInt8, {2});
  EXPECT_FALSE(quantize_tensor(ints, DType::kInt8, {{1.0f}, {0}, std::nullopt}).is_ok());
}

TEST(FitToInput, NchwBecomesNhwc) {
  Tensor nchw = Tensor::zeros(DType::kFloat32, {1, 3, 2, 4});
  for (std::int64_t i = 0; i < nchw.element_count(); ++i) {
    nchw.data<float>()[i] = static_cast<float>(i);
  }
  auto nhwc = fit_to_input(nchw, DType::kFloat32, {1, 2, 4, 3}, std::nullopt);
  ASSERT_TRUE(nhwc.is_ok()) << nhwc.status().to_string();
  for (std::int64_t c = 0; c < 3; ++c) {
    for (std::int64_t y = 0; y < 2; ++y) {
      for (std::int64_t x = 0; x < 4; ++x) {
        EXPECT_EQ(nhwc->data<float>()[(y * 4 + x) * 3 + c],
                  nchw.data<float>()[(c * 2 + y) * 4 + x]);
      }
    }
  }
  // One channel: a reshape of the same values.
  Tensor gray = Tensor::zeros(DType::kFloat32, {1, 1, 28, 28});
  gray.data<float>()[30] = 0.5f;
  auto fitted = fit_to_input(gray, DType::kFloat32, {1, 28, 28, 1}, std::nullopt);
  ASSERT_TRUE(fitted.is_ok());
  EXPECT_EQ(fitted->shape(), (Shape{1, 28, 28, 1}));
  EXPECT_EQ(fitted->data<float>()[30], 0.5f);
}

TEST(FitToInput, FloatPixelsIntoAQuantizedInput) {
  Tensor pixels = Tensor::zeros(DType::kFloat32, {1, 1, 2, 2});
  const float v[] = {0.0f, 1.0f, 128.0f / 255, 0.2f};
  for (int i = 0; i < 4; ++i) pixels.data<float>()[i] = v[i];
  const QuantParams p{{1.0f / 255}, {-128}, std::nullopt};
  auto q = fit_to_input(pixels, DType::kInt8, {1, 2, 2, 1}, p);
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ(q->dtype(), DType::kInt8);
  EXPECT_EQ(q->to_int64_vector(), (std::vector<std::int64_t>{-128, 127, 0, -77}));
  // Without quantization parameters an integer input takes no floats, and the message says why.
  auto refused = fit_to_input(pixels, DType::kInt8, {1, 1, 2, 2}, std::nullopt);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("not quantized"), std::string::npos);
  auto wrong_shape = fit_to_input(pixels, DType::kFloat32, {1, 4}, std::nullopt);
  ASSERT_FALSE(wrong_shape.is_ok());
  EXPECT_NE(wrong_shape.status().message().find("float32[1,1,2,2]"), std::string::npos)
      << wrong_shape.status().message();
}

}  // namespace
}  // namespace edgebench
