// BatchNormalization, InstanceNormalization, LRN, LpNormalization, DepthToSpace and SpaceToDepth
// against double-precision loops written here, on seeded random inputs, plus ONNX spec examples
// and the error paths.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nn_test_util.h"

namespace edgebench::engine {
namespace {

using nn_test::count_of;
using nn_test::expect_close;
using nn_test::float_tensor;
using nn_test::for_each_index;
using nn_test::make_node;
using nn_test::offset_of;
using nn_test::random_tensor;
using nn_test::run_ok;
using nn_test::run_status;
using nn_test::to_doubles;
using nn_test::tolerance_for;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// BatchNormalization

struct BatchNormCase {
  std::string name = {};
  Shape x = {};
  std::int64_t opset = 15;
  DType dtype = DType::kFloat32;
  DType param_dtype = DType::kFloat32;  // scale, B, mean and var (opset 15 allows another type)
  bool per_activation = false;          // opsets 7-8 with spatial = 0
};

void check_batch_norm_case(const BatchNormCase& c, std::uint32_t seed) {
  const std::string what = c.name + " (seed " + std::to_string(seed) + ")";
  SCOPED_TRACE(what);
  std::mt19937 rng(seed);
  const Shape params = c.per_activation ? Shape(c.x.begin() + 1, c.x.end()) : Shape{c.x[1]};
  const std::vector<Tensor> inputs = {
      random_tensor(rng, c.dtype, c.x, -3, 3), random_tensor(rng, c.param_dtype, params),
      random_tensor(rng, c.param_dtype, params), random_tensor(rng, c.param_dtype, params),
      random_tensor(rng, c.param_dtype, params, 0.1, 2.0)};
  const float epsilon = 0.01f;
  ir::Node node = make_node("BatchNormalization", {"x", "scale", "b", "mean", "var"});
  node.attributes.set("epsilon", epsilon);
  if (c.per_activation) node.attributes.set("spatial", std::int64_t{0});
  const std::vector<double> x = to_doubles(inputs[0]);
  const std::vector<double> scale = to_doubles(inputs[1]);
  const std::vector<double> bias = to_doubles(inputs[2]);
  const std::vector<double> mean = to_doubles(inputs[3]);
  const std::vector<double> var = to_doubles(inputs[4]);
  std::vector<double> want(x.size());
  for_each_index(c.x, [&](const Shape& i) {
    std::size_t p = static_cast<std::size_t>(i[1]);
    if (c.per_activation) {
      const Shape sample(i.begin() + 1, i.end());
      p = static_cast<std::size_t>(offset_of(params, sample));
    }
    const auto at = static_cast<std::size_t>(offset_of(c.x, i));
    want[at] =
        (x[at] - mean[p]) / std::sqrt(var[p] + static_cast<double>(epsilon)) * scale[p] + bias[p];
  });
  const std::vector<Tensor> out = run_ok(node, c.opset, inputs, what);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), c.dtype);
  expect_close(out[0], c.x, want, tolerance_for(c.dtype), what);
}

TEST(NnBatchNormalization, MatchesFormulaOnRandomInputs) {
  const std::vector<BatchNormCase> cases = {
      {.name = "4d_c3", .x = {2, 3, 4, 5}},
      {.name = "2d_c7_opset9", .x = {3, 7}, .opset = 9},
      {.name = "3d_c13_opset14", .x = {1, 13, 5}, .opset = 14},
      {.name = "5d_c1_opset7", .x = {1, 1, 2, 3, 4}, .opset = 7},
      {.name = "float64",
       .x = {2, 3, 3, 3},
       .dtype = DType::kFloat64,
       .param_dtype = DType::kFloat64},
      {.name = "float16",
       .x = {2, 7, 3, 3},
       .dtype = DType::kFloat16,
       .param_dtype = DType::kFloat16},
      {.name = "float16_with_float32_parameters", .x = {1, 3, 4, 5}, .dtype = DType::kFloat16},
      {.name = "opset7_spatial0_per_activation",
       .x = {2, 3, 2, 2},
       .opset = 7,
       .per_activation = true},
  };
  std::uint32_t seed = 8000;
  for (const BatchNormCase& c : cases) check_batch_norm_case(c, seed++);
}

// The PyTorch exporter's opset 6 form: is_test and momentum attributes.
TEST(NnBatchNormalization, AcceptsOpset6IsTest) {
  ir::Node node = make_node("BatchNormalization", {"x", "s", "b", "m", "v"});
  node.attributes.set("is_test", std::int64_t{1});
  node.attributes.set("momentum", 0.9f);
  node.attributes.set("epsilon", 0.0f);
  const std::vector<Tensor> out =
      run_ok(node, 6,
             {float_tensor({1, 2, 1, 2}, {1, 2, 3, 4}), float_tensor({2}, {2, 1}),
              float_tensor({2}, {0, 1}), float_tensor({2}, {1, 3}), float_tensor({2}, {4, 1})},
             "opset 6");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 2, 1, 2}, {0, 1, 1, 2}, 1e-6, "opset 6");
}

TEST(NnBatchNormalization, TrainingModeIsUnsupported) {
  const std::vector<Tensor> inputs = {
      Tensor::zeros(DType::kFloat32, {1, 2, 2}), Tensor::zeros(DType::kFloat32, {2}),
      Tensor::zeros(DType::kFloat32, {2}), Tensor::zeros(DType::kFloat32, {2}),
      Tensor::zeros(DType::kFloat32, {2})};
  ir::Node node = make_node("BatchNormalization", {"x", "s", "b", "m", "v"},
                            {"y", "running_mean", "running_var"});
  node.attributes.set("training_mode", std::int64_t{1});
  Status status = run_status(node, 15, inputs);
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  EXPECT_THAT(status.message(), HasSubstr("'training_mode'"));
  // Before opset 14 the statistics outputs themselves mean training mode.
  ir::Node old = make_node("BatchNormalization", {"x", "s", "b", "m", "v"},
                           {"y", "mean", "var", "saved_mean", "saved_var"});
  status = run_status(old, 9, inputs);
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  EXPECT_THAT(status.message(), HasSubstr("training"));
}

TEST(NnBatchNormalization, RejectsBadShapes) {
  ir::Node node = make_node("BatchNormalization", {"x", "s", "b", "m", "v"});
  const Tensor p2 = Tensor::zeros(DType::kFloat32, {2});
  Status status = run_status(node, 15, {Tensor::zeros(DType::kFloat32, {1, 3, 2}), p2, p2, p2, p2});
  EXPECT_FALSE(status.is_ok());
  EXPECT_THAT(status.message(), HasSubstr("scale"));
  status = run_status(node, 15, {Tensor::zeros(DType::kFloat32, {2}), p2, p2, p2, p2});
  EXPECT_THAT(status.message(), HasSubstr("rank"));
  status = run_status(node, 15, {Tensor::zeros(DType::kFloat32, {1, 2}), p2, p2, p2});
  EXPECT_FALSE(status.is_ok());
  status = run_status(
      node, 15,
      {Tensor::zeros(DType::kFloat32, {1, 2}), p2, p2, p2, Tensor::zeros(DType::kFloat32, {1, 2})});
  EXPECT_THAT(status.message(), HasSubstr("input_var"));
  ir::Node negative = node;
  negative.attributes.set("epsilon", -1.0f);
  status = run_status(negative, 15, {Tensor::zeros(DType::kFloat32, {1, 2}), p2, p2, p2, p2});
  EXPECT_THAT(status.message(), HasSubstr("'epsilon'"));
}

// ---------------------------------------------------------------------------------------------
// InstanceNormalization

TEST(NnInstanceNormalization, MatchesFormulaOnRandomInputs) {
  const std::vector<Shape> shapes = {{2, 3, 4, 5}, {1, 13, 7}, {1, 1, 3, 2, 2}, {3, 7, 1, 9}};
  std::uint32_t seed = 8100;
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    for (const Shape& shape : shapes) {
      const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(shape) +
                               " seed " + std::to_string(seed);
      SCOPED_TRACE(what);
      std::mt19937 rng(seed++);
      const std::vector<Tensor> inputs = {random_tensor(rng, dtype, shape, -2, 3),
                                          random_tensor(rng, dtype, {shape[1]}),
                                          random_tensor(rng, dtype, {shape[1]})};
      ir::Node node = make_node("InstanceNormalization", {"x", "s", "b"});
      node.attributes.set("epsilon", 1e-3f);
      const std::vector<double> x = to_doubles(inputs[0]);
      const std::int64_t planes = shape[0] * shape[1];
      const std::int64_t size = count_of(shape) / planes;
      std::vector<double> want(x.size());
      for (std::int64_t p = 0; p < planes; ++p) {
        double sum = 0;
        double squares = 0;
        for (std::int64_t i = 0; i < size; ++i) {
          sum += x[static_cast<std::size_t>(p * size + i)];
          squares +=
              x[static_cast<std::size_t>(p * size + i)] * x[static_cast<std::size_t>(p * size + i)];
        }
        const double mean = sum / static_cast<double>(size);
        const double var = squares / static_cast<double>(size) - mean * mean;
        const std::int64_t c = p % shape[1];
        for (std::int64_t i = 0; i < size; ++i) {
          const auto at = static_cast<std::size_t>(p * size + i);
          want[at] = inputs[1].element_as_double(c) * (x[at] - mean) / std::sqrt(var + 1e-3) +
                     inputs[2].element_as_double(c);
        }
      }
      const std::vector<Tensor> out = run_ok(node, 6, inputs, what);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0], shape, want, dtype == DType::kFloat32 ? 1e-4 : tolerance_for(dtype) * 2,
                   what);
    }
  }
}

// test_instancenorm_example from the ONNX backend tests.
TEST(NnInstanceNormalization, SpecExample) {
  const std::vector<Tensor> out = run_ok(make_node("InstanceNormalization", {"x", "s", "b"}), 6,
                                         {float_tensor({1, 2, 1, 3}, {-1, 0, 1, 2, 3, 4}),
                                          float_tensor({2}, {1, 1.5}), float_tensor({2}, {0, 1})},
                                         "example");
  ASSERT_EQ(out.size(), 1u);
  expect_close(
      out[0], {1, 2, 1, 3},
      {-1.2247356176376343, 0.0, 1.2247356176376343, -0.8371034860610962, 1.0, 2.8371033668518066},
      1e-6, "example");
}

TEST(NnInstanceNormalization, RejectsBadShapes) {
  ir::Node node = make_node("InstanceNormalization", {"x", "s", "b"});
  const Tensor p3 = Tensor::zeros(DType::kFloat32, {3});
  EXPECT_THAT(run_status(node, 6, {Tensor::zeros(DType::kFloat32, {1, 2, 4}), p3, p3}).message(),
              HasSubstr("scale"));
  EXPECT_THAT(run_status(node, 6, {Tensor::zeros(DType::kFloat32, {1, 3}), p3, p3}).message(),
              HasSubstr("rank"));
  EXPECT_FALSE(run_status(node, 6,
                          {Tensor::zeros(DType::kFloat32, {1, 3, 4}), p3,
                           Tensor::zeros(DType::kFloat64, {3})})
                   .is_ok());
}

// ---------------------------------------------------------------------------------------------
// LRN

TEST(NnLrn, MatchesFormulaOnRandomInputs) {
  struct Case {
    Shape x;
    std::int64_t size;
  };
  const std::vector<Case> cases = {{{2, 7, 3, 4}, 3}, {{1, 13, 5}, 5},   {{1, 13, 5}, 4},
                                   {{1, 1, 3, 3}, 1}, {{2, 3, 2, 2}, 2}, {{1, 3, 2, 2}, 7}};
  std::uint32_t seed = 8200;
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    for (const Case& c : cases) {
      const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(c.x) +
                               " size " + std::to_string(c.size) + " seed " + std::to_string(seed);
      SCOPED_TRACE(what);
      std::mt19937 rng(seed++);
      const Tensor x = random_tensor(rng, dtype, c.x, -3, 3);
      ir::Node node = make_node("LRN", {"x"});
      node.attributes.set("size", c.size);
      node.attributes.set("alpha", 0.3f);
      node.attributes.set("beta", 0.6f);
      node.attributes.set("bias", 1.5f);
      const std::vector<double> xv = to_doubles(x);
      std::vector<double> want(xv.size());
      const std::int64_t channels = c.x[1];
      for_each_index(c.x, [&](const Shape& i) {
        double squares = 0;
        // Channels from c - floor((size - 1) / 2) to c + ceil((size - 1) / 2).
        const auto low = i[1] - static_cast<std::int64_t>(std::floor((c.size - 1) / 2.0));
        const auto high = i[1] + static_cast<std::int64_t>(std::ceil((c.size - 1) / 2.0));
        for (std::int64_t k = std::max<std::int64_t>(low, 0);
             k <= std::min<std::int64_t>(high, channels - 1); ++k) {
          Shape j = i;
          j[1] = k;
          const double v = xv[static_cast<std::size_t>(offset_of(c.x, j))];
          squares += v * v;
        }
        const auto at = static_cast<std::size_t>(offset_of(c.x, i));
        // The attributes are float32, so the reference uses their float32 values.
        const double alpha = 0.3f;
        const double beta = 0.6f;
        want[at] = xv[at] / std::pow(1.5 + alpha / static_cast<double>(c.size) * squares, beta);
      });
      const std::vector<Tensor> out = run_ok(node, 13, {x}, what);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0], c.x, want, tolerance_for(dtype), what);
    }
  }
}

TEST(NnLrn, RejectsBadAttributes) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {1, 3, 2, 2});
  EXPECT_THAT(run_status(make_node("LRN", {"x"}), 13, {x}).message(), HasSubstr("'size'"));
  ir::Node zero = make_node("LRN", {"x"});
  zero.attributes.set("size", std::int64_t{0});
  EXPECT_THAT(run_status(zero, 13, {x}).message(), HasSubstr("'size'"));
  ir::Node ok = make_node("LRN", {"x"});
  ok.attributes.set("size", std::int64_t{3});
  EXPECT_THAT(run_status(ok, 13, {Tensor::zeros(DType::kFloat32, {3, 2})}).message(),
              HasSubstr("rank"));
}

// ---------------------------------------------------------------------------------------------
// LpNormalization

TEST(NnLpNormalization, MatchesFormulaOnRandomInputs) {
  struct Case {
    Shape x;
    std::int64_t axis;
  };
  const std::vector<Case> cases = {{{3, 5}, 0},     {{3, 5}, -1}, {{2, 3, 4}, 1},
                                   {{2, 3, 4}, -3}, {{7}, 0},     {{1, 13, 3, 3}, 1}};
  std::uint32_t seed = 8300;
  for (std::int64_t p : {1, 2}) {
    for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
      for (const Case& c : cases) {
        const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(c.x) +
                                 " axis " + std::to_string(c.axis) + " p " + std::to_string(p) +
                                 " seed " + std::to_string(seed);
        SCOPED_TRACE(what);
        std::mt19937 rng(seed++);
        const Tensor x = random_tensor(rng, dtype, c.x);
        ir::Node node = make_node("LpNormalization", {"x"});
        node.attributes.set("axis", c.axis);
        node.attributes.set("p", p);
        const std::vector<double> xv = to_doubles(x);
        const auto rank = static_cast<std::int64_t>(c.x.size());
        const auto axis = static_cast<std::size_t>(c.axis < 0 ? c.axis + rank : c.axis);
        std::vector<double> want(xv.size());
        for_each_index(c.x, [&](const Shape& i) {
          double norm = 0;
          Shape j = i;
          for (j[axis] = 0; j[axis] < c.x[axis]; ++j[axis]) {
            const double v = xv[static_cast<std::size_t>(offset_of(c.x, j))];
            norm += p == 1 ? std::abs(v) : v * v;
          }
          if (p == 2) norm = std::sqrt(norm);
          const auto at = static_cast<std::size_t>(offset_of(c.x, i));
          want[at] = xv[at] / norm;
        });
        const std::vector<Tensor> out = run_ok(node, 1, {x}, what);
        ASSERT_EQ(out.size(), 1u);
        expect_close(out[0], c.x, want, tolerance_for(dtype), what);
      }
    }
  }
}

TEST(NnLpNormalization, ZeroVectorStaysZeroAndBadAttributesFail) {
  ir::Node node = make_node("LpNormalization", {"x"});
  const std::vector<Tensor> out =
      run_ok(node, 1, {float_tensor({2, 2}, {0, 0, 3, 4})}, "zero vector");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {2, 2}, {0, 0, 0.6, 0.8}, 1e-6, "zero vector");
  ir::Node p3 = make_node("LpNormalization", {"x"});
  p3.attributes.set("p", std::int64_t{3});
  EXPECT_THAT(run_status(p3, 1, {Tensor::zeros(DType::kFloat32, {2, 2})}).message(),
              HasSubstr("'p'"));
  ir::Node axis = make_node("LpNormalization", {"x"});
  axis.attributes.set("axis", std::int64_t{2});
  EXPECT_THAT(run_status(axis, 1, {Tensor::zeros(DType::kFloat32, {2, 2})}).message(),
              HasSubstr("'axis'"));
}

// ---------------------------------------------------------------------------------------------
// DepthToSpace and SpaceToDepth

// DepthToSpace as the spec defines it: reshape x to [N, b, b, C', H, W] (DCR) or [N, C', b, b, H,
// W] (CRD), transpose, reshape to [N, C', H * b, W * b].
std::vector<double> depth_to_space_reference(const Tensor& x, std::int64_t b, bool crd) {
  const std::vector<double> xv = to_doubles(x);
  const std::int64_t n = x.dim(0);
  const std::int64_t c = x.dim(1) / (b * b);
  const std::int64_t h = x.dim(2);
  const std::int64_t w = x.dim(3);
  std::vector<double> y(xv.size());
  const Shape six = crd ? Shape{n, c, b, b, h, w} : Shape{n, b, b, c, h, w};
  for_each_index(six, [&](const Shape& i) {
    // Position of this element in the transposed [N, C', H, b, W, b] tensor.
    const Shape t =
        crd ? Shape{i[0], i[1], i[4], i[2], i[5], i[3]} : Shape{i[0], i[3], i[4], i[1], i[5], i[2]};
    y[static_cast<std::size_t>(offset_of({n, c, h, b, w, b}, t))] =
        xv[static_cast<std::size_t>(offset_of(six, i))];
  });
  return y;
}

TEST(NnDepthToSpace, MatchesReshapeTransposeOnRandomInputs) {
  struct Case {
    Shape x;
    std::int64_t block;
  };
  const std::vector<Case> cases = {{{1, 8, 2, 3}, 2},
                                   {{2, 27, 3, 1}, 3},
                                   {{1, 4, 1, 1}, 2},
                                   {{1, 7, 3, 5}, 1},
                                   {{2, 18, 2, 3}, 3}};
  std::uint32_t seed = 8400;
  for (bool crd : {false, true}) {
    for (const Case& c : cases) {
      const std::string what =
          shape_to_string(c.x) + (crd ? " CRD" : " DCR") + " seed " + std::to_string(seed);
      SCOPED_TRACE(what);
      std::mt19937 rng(seed++);
      const Tensor x = random_tensor(rng, DType::kFloat32, c.x);
      ir::Node node = make_node("DepthToSpace", {"x"});
      node.attributes.set("blocksize", c.block);
      if (crd) node.attributes.set("mode", std::string("CRD"));
      const std::vector<Tensor> out = run_ok(node, 13, {x}, what);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0],
                   {c.x[0], c.x[1] / (c.block * c.block), c.x[2] * c.block, c.x[3] * c.block},
                   depth_to_space_reference(x, c.block, crd), 0.0, what);
      // SpaceToDepth undoes DCR DepthToSpace.
      if (!crd) {
        ir::Node back = make_node("SpaceToDepth", {"y"});
        back.attributes.set("blocksize", c.block);
        const std::vector<Tensor> round_trip = run_ok(back, 13, out, what);
        ASSERT_EQ(round_trip.size(), 1u);
        expect_close(round_trip[0], c.x, to_doubles(x), 0.0, what + " round trip");
      }
    }
  }
}

// test_depthtospace_example and test_depthtospace_crd_mode_example.
TEST(NnDepthToSpace, SpecExamples) {
  const std::vector<float> x = {0,  1,  2,  3,  4,  5,  9,  10, 11, 12, 13, 14, 18, 19, 20, 21,
                                22, 23, 27, 28, 29, 30, 31, 32, 36, 37, 38, 39, 40, 41, 45, 46,
                                47, 48, 49, 50, 54, 55, 56, 57, 58, 59, 63, 64, 65, 66, 67, 68};
  const std::vector<double> dcr = {0,  18, 1,  19, 2,  20, 36, 54, 37, 55, 38, 56, 3,  21, 4,  22,
                                   5,  23, 39, 57, 40, 58, 41, 59, 9,  27, 10, 28, 11, 29, 45, 63,
                                   46, 64, 47, 65, 12, 30, 13, 31, 14, 32, 48, 66, 49, 67, 50, 68};
  const std::vector<double> crd = {0,  9,  1,  10, 2,  11, 18, 27, 19, 28, 20, 29, 3,  12, 4,  13,
                                   5,  14, 21, 30, 22, 31, 23, 32, 36, 45, 37, 46, 38, 47, 54, 63,
                                   55, 64, 56, 65, 39, 48, 40, 49, 41, 50, 57, 66, 58, 67, 59, 68};
  for (const char* mode : {"DCR", "CRD"}) {
    ir::Node node = make_node("DepthToSpace", {"x"});
    node.attributes.set("blocksize", std::int64_t{2});
    node.attributes.set("mode", std::string(mode));
    const std::vector<Tensor> out = run_ok(node, 13, {float_tensor({1, 8, 2, 3}, x)}, mode);
    ASSERT_EQ(out.size(), 1u);
    expect_close(out[0], {1, 2, 4, 6}, std::string(mode) == "DCR" ? dcr : crd, 0.0, mode);
  }
}

TEST(NnSpaceToDepth, SpecExampleAndOtherDtypes) {
  const std::vector<float> x = {0, 6, 1, 7,  2, 8,  12, 18, 13, 19, 14, 20,
                                3, 9, 4, 10, 5, 11, 15, 21, 16, 22, 17, 23};
  ir::Node node = make_node("SpaceToDepth", {"x"});
  node.attributes.set("blocksize", std::int64_t{2});
  std::vector<double> want(24);
  for (int i = 0; i < 24; ++i) want[static_cast<std::size_t>(i)] = i;
  std::vector<Tensor> out = run_ok(node, 13, {float_tensor({1, 1, 4, 6}, x)}, "example");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 4, 2, 3}, want, 0.0, "example");
  // Data movement only: any element type works.
  Tensor x64 = Tensor::zeros(DType::kInt64, {1, 1, 4, 6});
  for (int i = 0; i < 24; ++i)
    x64.data<std::int64_t>()[i] = static_cast<std::int64_t>(x[static_cast<std::size_t>(i)]);
  out = run_ok(node, 13, {x64}, "int64");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), DType::kInt64);
  expect_close(out[0], {1, 4, 2, 3}, want, 0.0, "int64");
}

TEST(NnDepthToSpace, RejectsBadAttributesAndShapes) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {1, 8, 2, 3});
  ir::Node d2s = make_node("DepthToSpace", {"x"});
  EXPECT_THAT(run_status(d2s, 13, {x}).message(), HasSubstr("'blocksize'"));
  d2s.attributes.set("blocksize", std::int64_t{3});
  EXPECT_THAT(run_status(d2s, 13, {x}).message(), HasSubstr("channels"));
  d2s.attributes.set("blocksize", std::int64_t{0});
  EXPECT_THAT(run_status(d2s, 13, {x}).message(), HasSubstr("'blocksize'"));
  d2s.attributes.set("blocksize", std::int64_t{2});
  d2s.attributes.set("mode", std::string("RCD"));
  EXPECT_THAT(run_status(d2s, 13, {x}).message(), HasSubstr("'mode'"));
  d2s.attributes.set("mode", std::string("DCR"));
  EXPECT_THAT(run_status(d2s, 13, {Tensor::zeros(DType::kFloat32, {8, 2, 3})}).message(),
              HasSubstr("rank"));
  d2s.attributes.set("blocksize", std::int64_t{1} << 32);
  EXPECT_FALSE(run_status(d2s, 13, {x}).is_ok());

  ir::Node s2d = make_node("SpaceToDepth", {"x"});
  s2d.attributes.set("blocksize", std::int64_t{2});
  EXPECT_THAT(run_status(s2d, 13, {x}).message(), HasSubstr("divisible"));
  s2d.attributes.set("blocksize", std::int64_t{-2});
  EXPECT_THAT(run_status(s2d, 13, {x}).message(), HasSubstr("'blocksize'"));
  s2d.attributes.set("blocksize", std::int64_t{1} << 32);
  EXPECT_FALSE(run_status(s2d, 13, {x}).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
