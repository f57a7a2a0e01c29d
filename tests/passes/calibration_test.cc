// Range estimators: exact min/max, histogram percentiles, entropy and MSE thresholds that ignore
// rare outliers, batch-order independence of the re-binned histogram, empty collectors.
#include "edgebench/passes/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace edgebench::passes {
namespace {

std::vector<float> gaussian(std::size_t n, std::uint64_t seed, double sigma = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(0.0, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(rng));
  return v;
}

TEST(CalibrationMethodParse, NamesRoundTripAndUnknownIsAnError) {
  for (const char* name : {"minmax", "percentile", "entropy", "mse"}) {
    auto m = parse_calibration_method(name);
    ASSERT_TRUE(m.is_ok()) << name;
    EXPECT_EQ(calibration_method_name(*m), name);
  }
  auto bad = parse_calibration_method("kl");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'kl'"), std::string::npos);
}

TEST(CalibrationRange, MinMaxIsExactAndIgnoresNonFinite) {
  RangeCollector c;
  const float a[] = {0.5f, -3.25f, 2.0f, std::numeric_limits<float>::quiet_NaN()};
  const float b[] = {7.75f, std::numeric_limits<float>::infinity(),
                     -std::numeric_limits<float>::infinity(), 1.0f};
  c.add(a);
  c.add(b);
  EXPECT_EQ(c.count(), 5u);
  const TensorRange r = c.minmax();
  EXPECT_EQ(r.min, -3.25f);
  EXPECT_EQ(r.max, 7.75f);
  const TensorRange same = c.range(CalibrationMethod::kMinMax);
  EXPECT_EQ(same.min, -3.25f);
  EXPECT_EQ(same.max, 7.75f);
}

TEST(CalibrationRange, EmptyCollectorGivesZeroRange) {
  RangeCollector c;
  const float nan_only[] = {std::numeric_limits<float>::quiet_NaN()};
  c.add(nan_only);
  c.add({});
  EXPECT_TRUE(c.empty());
  for (const CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                                    CalibrationMethod::kEntropy, CalibrationMethod::kMse}) {
    const TensorRange r = c.range(m);
    EXPECT_EQ(r.min, 0.0f) << calibration_method_name(m);
    EXPECT_EQ(r.max, 0.0f) << calibration_method_name(m);
  }
}

TEST(CalibrationRange, AllZeroThenLargerBatches) {
  RangeCollector c;
  const std::vector<float> zeros(100, 0.0f);
  c.add(zeros);
  EXPECT_EQ(c.histogram_max(), 0.0);
  EXPECT_EQ(c.range(CalibrationMethod::kEntropy).max, 0.0f);
  const float some[] = {3.0f, -1.0f};
  c.add(some);
  EXPECT_EQ(c.histogram_max(), 4.0);
  EXPECT_EQ(c.histogram()[0], 100u);
  EXPECT_EQ(c.minmax().min, -1.0f);
  EXPECT_EQ(c.minmax().max, 3.0f);
}

TEST(CalibrationRange, PercentileOfKnownDistribution) {
  std::vector<float> v(10000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  RangeCollector c;
  c.add(v);
  const double width = c.histogram_max() / static_cast<double>(c.bins());
  EXPECT_NEAR(c.percentile_threshold(99.0), 9900.0, width);
  EXPECT_NEAR(c.percentile_threshold(50.0), 5000.0, width);
  const TensorRange r = c.range(CalibrationMethod::kPercentile, 99.0);
  EXPECT_EQ(r.min, 0.0f);  // non-negative data keeps min = 0
  EXPECT_NEAR(r.max, 9900.0, width);
  // 100% is the max; percentiles of signed data clip both sides by the same |x| threshold.
  EXPECT_EQ(c.range(CalibrationMethod::kPercentile, 100.0).max, 9999.0f);
  for (float& x : v) x -= 5000.0f;  // [-5000, 4999]
  RangeCollector s;
  s.add(v);
  const TensorRange sr = s.range(CalibrationMethod::kPercentile, 90.0);
  const double swidth = s.histogram_max() / static_cast<double>(s.bins());
  EXPECT_NEAR(sr.min, -4500.0, swidth);
  EXPECT_NEAR(sr.max, 4500.0, swidth);
}

TEST(CalibrationRange, RebinningIsIndependentOfBatchOrder) {
  std::vector<std::vector<float>> batches;
  for (std::uint64_t b = 0; b < 6; ++b) batches.push_back(gaussian(5000, 100 + b, 0.1 * (b + 1)));
  batches[3].push_back(40.0f);
  RangeCollector forward, backward, single;
  std::vector<float> all;
  for (const auto& batch : batches) {
    forward.add(batch);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  for (auto it = batches.rbegin(); it != batches.rend(); ++it) backward.add(*it);
  single.add(all);
  EXPECT_EQ(forward.minmax().min, backward.minmax().min);
  EXPECT_EQ(forward.minmax().max, backward.minmax().max);
  EXPECT_EQ(forward.minmax().max, 40.0f);
  EXPECT_EQ(forward.histogram(), backward.histogram());
  EXPECT_EQ(forward.histogram(), single.histogram());
  EXPECT_EQ(forward.histogram_max(), 64.0);
  for (const double p : {50.0, 99.0, 99.99}) {
    EXPECT_DOUBLE_EQ(forward.percentile_threshold(p), backward.percentile_threshold(p)) << p;
  }
  EXPECT_EQ(forward.range(CalibrationMethod::kEntropy).max,
            backward.range(CalibrationMethod::kEntropy).max);
}

// Gaussian (sigma 1) plus a few huge outliers: both estimators cut well below the outliers and
// keep more than 2.5 sigma. (MSE weighs an outlier's clipping error quadratically, so with 4
// outliers in a million it still settles around 0.4 of their size; entropy goes lower.)
std::vector<float> gaussian_with_outliers(std::uint64_t seed, std::size_t n, float outlier) {
  std::vector<float> v = gaussian(n, seed);
  v.insert(v.end(), {outlier, -outlier, outlier * 0.9f, -outlier * 0.95f});
  return v;
}

TEST(CalibrationRange, EntropyCutsOutliersButKeepsTheBody) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    RangeCollector c;
    const auto v = gaussian_with_outliers(seed, 200000, 100.0f);
    c.add(std::span<const float>(v).first(100000));
    c.add(std::span<const float>(v).subspan(100000));
    const TensorRange r = c.range(CalibrationMethod::kEntropy);
    EXPECT_GT(r.max, 2.5f) << "seed " << seed;
    EXPECT_LT(r.max, 30.0f) << "seed " << seed;
    EXPECT_EQ(r.min, -r.max) << "seed " << seed;
  }
}

TEST(CalibrationRange, MseCutsOutliersButKeepsTheBody) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    RangeCollector c;
    const auto v = gaussian_with_outliers(seed, 1000000, 100.0f);
    c.add(v);
    const TensorRange r = c.range(CalibrationMethod::kMse);
    EXPECT_GT(r.max, 2.5f) << "seed " << seed;
    EXPECT_LT(r.max, 50.0f) << "seed " << seed;
    EXPECT_LT(r.min, -2.5f) << "seed " << seed;
  }
  // Without outliers the optimum for 128 levels of a Gaussian is around 3.5 sigma.
  RangeCollector body;
  body.add(gaussian(1000000, 5));
  const TensorRange r = body.range(CalibrationMethod::kMse);
  EXPECT_GT(r.max, 2.5f);
  EXPECT_LT(r.max, 5.0f);
}

// Clipping a uniform distribution loses mass that no finer resolution makes up for: the
// KL threshold stays near the end of the data.
TEST(CalibrationRange, EntropyKeepsUniformDataWhole) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(100000);
  for (float& x : v) x = dist(rng);
  RangeCollector c;
  c.add(v);
  const TensorRange r = c.range(CalibrationMethod::kEntropy);
  EXPECT_GT(r.max, 0.9f);
  EXPECT_LT(r.min, -0.9f);
}

// Candidate thresholds start at the level count: 128 bins for signed data, 256 for
// non-negative data (asymmetric 8-bit spends all 256 levels on [0, T]).
TEST(CalibrationRange, EntropyCandidatesStartAtTheLevelCount) {
  std::vector<float> body(10000);
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = 0.06f * static_cast<float>(i) / 1e4f;
  body.push_back(0.99f);  // histogram [0, 1), bins of 1/2048; the body fills 123 of them
  RangeCollector non_negative;
  non_negative.add(body);
  EXPECT_GE(non_negative.entropy_threshold(), 256.5 / 2048);
  body.push_back(-0.99f);
  RangeCollector is_signed;
  is_signed.add(body);
  EXPECT_GE(is_signed.entropy_threshold(), 128.5 / 2048);
}

TEST(CalibrationRange, NonNegativeDataKeepsMinZero) {
  std::vector<float> v = gaussian(100000, 7);
  for (float& x : v) x = std::max(x, 0.0f);  // ReLU output
  v.push_back(80.0f);
  RangeCollector c;
  c.add(v);
  for (const CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                                    CalibrationMethod::kEntropy, CalibrationMethod::kMse}) {
    const TensorRange r = c.range(m);
    EXPECT_EQ(r.min, 0.0f) << calibration_method_name(m);
    EXPECT_GT(r.max, 2.0f) << calibration_method_name(m);
    EXPECT_LE(r.max, 80.0f) << calibration_method_name(m);
  }
  EXPECT_LT(c.range(CalibrationMethod::kEntropy).max, 30.0f);
}

// The definition of the KL threshold spelt out on a plain histogram of a density over [0, top):
// for each candidate count i of bins, P = the first i bins with the rest added to the last, Q =
// the first i bins merged into `levels` levels and spread over the bins where P is non-zero
// (1e-4 per bin for a level with no mass); the i with the least KL(P || Q), as a threshold.
double brute_force_kl_threshold(std::span<const float> values, double top, std::size_t bins,
                                std::size_t levels) {
  std::vector<double> h(bins, 0.0);
  for (const float v : values) {
    h[std::min(bins - 1, static_cast<std::size_t>(std::fabs(v) / top * bins))] += 1;
  }
  std::size_t used = 0;
  for (std::size_t j = 0; j < bins; ++j) used = h[j] > 0 ? j + 1 : used;
  double best = std::numeric_limits<double>::infinity(), threshold = 0;
  for (std::size_t i = levels; i <= std::max(levels, used); ++i) {
    std::vector<double> p(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(i)), q(i, 0.0);
    for (std::size_t j = i; j < bins; ++j) p[i - 1] += h[j];
    for (std::size_t l = 0; l < levels; ++l) {
      double mass = 0, nonzero = 0;
      for (std::size_t j = l * i / levels; j < (l + 1) * i / levels; ++j) {
        mass += h[j];
        nonzero += p[j] > 0 ? 1 : 0;
      }
      for (std::size_t j = l * i / levels; j < (l + 1) * i / levels; ++j) {
        if (p[j] > 0) q[j] = mass > 0 ? mass / nonzero : 1e-4;
      }
    }
    double p_sum = 0, q_sum = 0, kl = 0;
    for (std::size_t j = 0; j < i; ++j) p_sum += p[j], q_sum += q[j];
    for (std::size_t j = 0; j < i; ++j) {
      if (p[j] > 0) kl += p[j] / p_sum * std::log(p[j] / p_sum * q_sum / q[j]);
    }
    if (kl < best) best = kl, threshold = (static_cast<double>(i) + 0.5) * top / bins;
  }
  return threshold;
}

// A first ReLU on images: a half-normal density, as many exact zeros, and relu(bias) of four
// channels over a blank background, each an exact value holding a tenth as much again. Neither
// the zeros nor the point masses are a density; the threshold is the density's own, within two
// bins, above 3.5 sigma. (Towering point-mass bins pulled it to 2.6 sigma: whether a candidate
// merged them with their neighbours decided the divergence.)
TEST(CalibrationRange, EntropyIgnoresZerosAndPointMassesOfAReluOutput) {
  for (const std::uint64_t seed : {11u, 12u, 13u}) {
    std::vector<float> density = gaussian(400000, seed);
    for (float& x : density) x = std::fabs(x);
    std::vector<float> all = density;
    all.resize(2 * density.size(), 0.0f);
    for (const float bias : {0.11f, 0.2f, 0.38f, 0.64f}) all.resize(all.size() + 40000, bias);
    RangeCollector c;
    c.add(all);
    const double brute = brute_force_kl_threshold(density, c.histogram_max(), c.bins(), 256);
    const double width = c.histogram_max() / static_cast<double>(c.bins());
    const TensorRange r = c.range(CalibrationMethod::kEntropy);
    EXPECT_EQ(r.min, 0.0f) << "seed " << seed;
    EXPECT_NEAR(r.max, brute, 2 * width) << "seed " << seed;
    EXPECT_GT(r.max, 3.5f) << "seed " << seed;
  }
}

// Pixels n / 255: nothing but point masses, each exactly representable with the full range.
TEST(CalibrationRange, EntropyKeepsAnImageInputWhole) {
  std::vector<float> pixels;
  for (int n = 0; n <= 255; ++n) pixels.resize(pixels.size() + 100, static_cast<float>(n) / 255);
  RangeCollector c;
  c.add(pixels);
  const TensorRange r = c.range(CalibrationMethod::kEntropy);
  EXPECT_EQ(r.min, 0.0f);
  EXPECT_EQ(r.max, 1.0f);
}

TEST(CalibrationRange, ThresholdBelowDataAwayFromZeroNeverInverts) {
  std::vector<float> v;
  for (int i = 0; i < 1000; ++i) v.push_back(5.0f + static_cast<float>(i) * 0.005f);
  RangeCollector c;
  c.add(v);
  const TensorRange r = c.range(CalibrationMethod::kPercentile, 0.0);
  EXPECT_LE(r.min, r.max);
  EXPECT_EQ(r.min, 5.0f);
}

}  // namespace
}  // namespace edgebench::passes
