// Resize and Upsample against a double-precision reference written here (the spec's coordinate
// formulas, corner-by-corner N-linear and N-cubic sums), small hand-checked cases for every mode
// and coordinate transformation, and the error paths.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/resample_reduce_test_util.h"

namespace edgebench::engine {
namespace {

using testing::float_vector;
using testing::int64_tensor;
using testing::make_node;
using testing::make_tensor;
using testing::random_float;
using testing::ravel;
using testing::run_ok;
using testing::run_status;
using testing::unravel;

// ---- reference ----

struct RefResize {
  std::string mode = "nearest";
  std::string transform = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
};

// x_original for output position o (ONNX Resize-13 formulas; length_resized = scale * L).
double ref_coordinate(const RefResize& r, double o, double length, double scale, double start,
                      double end) {
  const double resized = scale * length;
  if (r.transform == "half_pixel") return (o + 0.5) / scale - 0.5;
  if (r.transform == "pytorch_half_pixel") return resized > 1 ? (o + 0.5) / scale - 0.5 : 0;
  if (r.transform == "align_corners") return resized > 1 ? o * (length - 1) / (resized - 1) : 0;
  if (r.transform == "asymmetric") return o / scale;
  if (r.transform == "tf_half_pixel_for_nn") return (o + 0.5) / scale;
  if (r.transform == "tf_crop_and_resize") {
    return resized > 1 ? start * (length - 1) + o * (end - start) * (length - 1) / (resized - 1)
                       : 0.5 * (start + end) * (length - 1);
  }
  ADD_FAILURE() << "unknown transform " << r.transform;
  return 0;
}

double ref_cubic(double t, double a) {
  t = std::fabs(t);
  const double t2 = t * t;
  const double t3 = t2 * t;
  if (t <= 1) return (a + 2) * t3 - (a + 3) * t2 + 1;
  if (t < 2) return a * t3 - 5 * a * t2 + 8 * a * t - 4 * a;
  return 0;
}

// Reference resize of a float tensor into out_shape, with per-axis scales and roi.
std::vector<double> reference_resize(const RefResize& r, const Tensor& x, const Shape& out_shape,
                                     const std::vector<double>& scales,
                                     const std::vector<double>& roi) {
  const std::size_t rank = out_shape.size();
  std::vector<double> out(static_cast<std::size_t>(element_count(out_shape)));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::vector<std::int64_t> o = unravel(static_cast<std::int64_t>(i), out_shape);
    // Per axis: candidate input positions and weights.
    std::vector<std::vector<std::pair<std::int64_t, double>>> per_axis(rank);
    bool outside = false;
    for (std::size_t d = 0; d < rank; ++d) {
      const auto length = static_cast<double>(x.shape()[d]);
      const double start = roi.empty() ? 0.0 : roi[d];
      const double end = roi.empty() ? 1.0 : roi[rank + d];
      const double xo = ref_coordinate(r, static_cast<double>(o[d]), length, scales[d], start, end);
      if (r.transform == "tf_crop_and_resize" && (xo < 0 || xo > length - 1)) outside = true;
      if (r.mode == "nearest") {
        double pick = 0;
        const double frac = xo - std::floor(xo);
        if (r.nearest == "floor") {
          pick = std::floor(xo);
        } else if (r.nearest == "ceil") {
          pick = std::ceil(xo);
        } else if (frac == 0.5) {
          pick = r.nearest == "round_prefer_floor" ? std::floor(xo) : std::ceil(xo);
        } else {
          pick = std::round(xo);
        }
        per_axis[d].push_back({static_cast<std::int64_t>(pick), 1.0});
      } else {
        const double base = std::floor(xo);
        const double f = xo - base;
        const auto b = static_cast<std::int64_t>(base);
        if (r.mode == "linear") {
          per_axis[d] = {{b, 1 - f}, {b + 1, f}};
        } else {
          for (std::int64_t k = b - 1; k <= b + 2; ++k) {
            per_axis[d].push_back({k, ref_cubic(xo - static_cast<double>(k), r.a)});
          }
        }
        if (r.exclude_outside) {
          double sum = 0;
          for (auto& [k, w] : per_axis[d]) {
            if (k < 0 || k >= x.shape()[d]) w = 0;
            sum += w;
          }
          for (auto& [k, w] : per_axis[d]) w /= sum;
        }
      }
    }
    if (outside) {
      out[i] = r.extrapolation;
      continue;
    }
    // Sum over every combination of per-axis candidates (mixed-radix counter).
    std::vector<std::size_t> pick(rank, 0);
    double sum = 0;
    while (true) {
      double w = 1;
      std::vector<std::int64_t> index(rank);
      for (std::size_t d = 0; d < rank; ++d) {
        const auto& [k, wk] = per_axis[d][pick[d]];
        w *= wk;
        index[d] = std::clamp<std::int64_t>(k, 0, x.shape()[d] - 1);
      }
      sum += w * x.element_as_double(ravel(index, x.shape()));
      std::size_t d = rank;
      while (d > 0 && ++pick[d - 1] == per_axis[d - 1].size()) pick[--d] = 0;
      if (d == 0) break;
    }
    out[i] = sum;
  }
  return out;
}

ir::Node resize_node(const RefResize& r) {
  ir::Node node = make_node("Resize", {"x", "roi", "scales", "sizes"});
  node.attributes.set("mode", r.mode);
  node.attributes.set("coordinate_transformation_mode", r.transform);
  node.attributes.set("nearest_mode", r.nearest);
  node.attributes.set("cubic_coeff_a", static_cast<float>(r.a));
  node.attributes.set("exclude_outside", std::int64_t{r.exclude_outside ? 1 : 0});
  node.attributes.set("extrapolation_value", static_cast<float>(r.extrapolation));
  return node;
}

void expect_near_all(const Tensor& got, const std::vector<double>& want, double tolerance,
                     const std::string& what) {
  ASSERT_EQ(static_cast<std::size_t>(got.element_count()), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got.element_as_double(static_cast<std::int64_t>(i)), want[i],
                tolerance * std::max(1.0, std::fabs(want[i])))
        << what << " element " << i;
  }
}

// ---- random cases against the reference ----

TEST(ResampleResize, RandomScalesMatchReference) {
  const std::vector<std::pair<Shape, std::vector<std::vector<float>>>> cases = {
      {{7}, {{2.0f}, {0.6f}, {1.0f}, {3.0f}}},
      {{1, 3, 7, 5}, {{1, 1, 2, 2}, {1, 1, 0.5f, 1.5f}, {1, 1, 2.3f, 0.6f}, {1, 1, 1, 3}}},
      {{2, 1, 13}, {{1, 1, 0.5f}, {1, 1, 1.7f}, {1, 2, 1}}},
      {{1, 2, 3, 5, 7}, {{1, 1, 2, 1.5f, 0.6f}}},  // trilinear / tricubic
  };
  const std::vector<std::string> transforms = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                               "asymmetric"};
  std::uint32_t seed = 2000;
  for (const std::string mode : {"nearest", "linear", "cubic"}) {
    for (const std::string& transform : transforms) {
      for (const auto& [shape, scale_list] : cases) {
        for (const auto& scales : scale_list) {
          ++seed;
          std::mt19937 rng(seed);
          RefResize r;
          r.mode = mode;
          r.transform = transform;
          const char* const nearest_modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                               "ceil"};
          r.nearest = nearest_modes[seed % 4];
          r.a = seed % 2 ? -0.75 : -0.5;
          r.exclude_outside = mode == "cubic" && seed % 3 == 0;
          const Tensor x = random_float(shape, rng);
          Shape out_shape;
          std::vector<double> scales_d;
          for (std::size_t d = 0; d < shape.size(); ++d) {
            out_shape.push_back(static_cast<std::int64_t>(
                std::floor(static_cast<double>(shape[d]) * static_cast<double>(scales[d]))));
            scales_d.push_back(scales[d]);
          }
          const std::vector<double> want = reference_resize(r, x, out_shape, scales_d, {});
          auto got = run_ok(resize_node(r), 13, {x, Tensor(), float_vector(scales), Tensor()});
          ASSERT_EQ(got.size(), 1u) << "seed " << seed;
          ASSERT_EQ(got[0].shape(), out_shape) << "seed " << seed;
          expect_near_all(got[0], want, 1e-5,
                          fmt::format("{} {} {} shape {} seed {}", mode, transform, r.nearest,
                                      shape_to_string(shape), seed));
        }
      }
    }
  }
}

TEST(ResampleResize, RandomSizesAndCropMatchReference) {
  std::uint32_t seed = 3000;
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{1, 1, 4, 4}, {1, 1, 3, 3}}, {{1, 3, 7, 5}, {1, 3, 13, 1}}, {{2, 13}, {2, 7}},
      {{1, 1, 5, 6}, {1, 1, 1, 9}}, {{3, 1, 1}, {3, 4, 1}},
  };
  for (const std::string mode : {"nearest", "linear", "cubic"}) {
    for (const std::string transform : {"half_pixel", "pytorch_half_pixel", "align_corners",
                                        "asymmetric", "tf_crop_and_resize"}) {
      for (const auto& [shape, sizes] : cases) {
        ++seed;
        std::mt19937 rng(seed);
        RefResize r;
        r.mode = mode;
        r.transform = transform;
        r.extrapolation = -7.5;
        const Tensor x = random_float(shape, rng);
        std::vector<double> scales;
        for (std::size_t d = 0; d < shape.size(); ++d) {
          scales.push_back(static_cast<double>(sizes[d]) / static_cast<double>(shape[d]));
        }
        std::vector<double> roi;
        Tensor roi_tensor;
        if (transform == "tf_crop_and_resize") {
          std::uniform_real_distribution<float> start(-0.3f, 0.5f);
          std::uniform_real_distribution<float> end(0.6f, 1.3f);
          std::vector<float> roi_f(2 * shape.size());
          for (std::size_t d = 0; d < shape.size(); ++d) {
            roi_f[d] = start(rng);
            roi_f[shape.size() + d] = end(rng);
          }
          roi.assign(roi_f.begin(), roi_f.end());
          roi_tensor = float_vector(roi_f);
        }
        const std::vector<double> want = reference_resize(r, x, sizes, scales, roi);
        auto got = run_ok(resize_node(r), 13, {x, roi_tensor, Tensor(), int64_tensor(sizes)});
        ASSERT_EQ(got.size(), 1u) << "seed " << seed;
        ASSERT_EQ(got[0].shape(), sizes) << "seed " << seed;
        expect_near_all(
            got[0], want, 1e-5,
            fmt::format("{} {} shape {} seed {}", mode, transform, shape_to_string(shape), seed));
      }
    }
  }
}

// ---- hand-checked cases ----

std::vector<double> resize_1d(const std::string& mode, const std::string& transform,
                              const std::vector<float>& values, const Tensor& scales,
                              const Tensor& sizes, const std::string& nearest = "",
                              const Tensor& roi = Tensor(), std::int64_t opset = 13) {
  ir::Node node = make_node("Resize", {"x", "roi", "scales", "sizes"});
  node.attributes.set("mode", mode);
  node.attributes.set("coordinate_transformation_mode", transform);
  if (!nearest.empty()) node.attributes.set("nearest_mode", nearest);
  node.attributes.set("extrapolation_value", 9.0f);
  auto got = run_ok(node, opset, {float_vector(values), roi, scales, sizes});
  std::vector<double> out;
  if (got.empty()) return out;
  for (std::int64_t i = 0; i < got[0].element_count(); ++i) out.push_back(got[0].data<float>()[i]);
  return out;
}

TEST(ResampleResize, HandCheckedLinearTransforms) {
  using V = std::vector<double>;
  // half_pixel: x = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 (clamped at the ends).
  EXPECT_EQ(resize_1d("linear", "half_pixel", {1, 2}, float_vector({2}), Tensor()),
            (V{1, 1.25, 1.75, 2}));
  // asymmetric: x = o / 2 = 0, 0.5, 1, 1.5.
  EXPECT_EQ(resize_1d("linear", "asymmetric", {1, 2}, float_vector({2}), Tensor()),
            (V{1, 1.5, 2, 2}));
  // align_corners: x = o * 2 / 4.
  EXPECT_EQ(resize_1d("linear", "align_corners", {1, 2, 3}, Tensor(), int64_tensor({5})),
            (V{1, 1.5, 2, 2.5, 3}));
  // pytorch_half_pixel maps a length-1 output to 0; half_pixel to the middle.
  EXPECT_EQ(resize_1d("linear", "pytorch_half_pixel", {1, 2, 3, 4}, Tensor(), int64_tensor({1})),
            (V{1}));
  EXPECT_EQ(resize_1d("linear", "half_pixel", {1, 2, 3, 4}, Tensor(), int64_tensor({1})), (V{2.5}));
  // tf_crop_and_resize: x = 0.25 * 4 + o * 4 / 2 = 1, 3, 5; 5 is outside, so extrapolated.
  EXPECT_EQ(resize_1d("linear", "tf_crop_and_resize", {1, 2, 3, 4, 5}, Tensor(), int64_tensor({3}),
                      "", float_vector({0.25f, 1.25f})),
            (V{2, 4, 9}));
}

TEST(ResampleResize, HandCheckedNearestModes) {
  using V = std::vector<double>;
  // asymmetric x = o / 2 hits every half: 0, .5, 1, 1.5, 2, 2.5, 3, 3.5.
  const std::vector<float> x = {10, 20, 30, 40};
  const Tensor two = float_vector({2});
  EXPECT_EQ(resize_1d("nearest", "asymmetric", x, two, Tensor(), "round_prefer_floor"),
            (V{10, 10, 20, 20, 30, 30, 40, 40}));
  EXPECT_EQ(resize_1d("nearest", "asymmetric", x, two, Tensor(), "round_prefer_ceil"),
            (V{10, 20, 20, 30, 30, 40, 40, 40}));
  EXPECT_EQ(resize_1d("nearest", "asymmetric", x, two, Tensor(), "floor"),
            (V{10, 10, 20, 20, 30, 30, 40, 40}));
  EXPECT_EQ(resize_1d("nearest", "asymmetric", x, two, Tensor(), "ceil"),
            (V{10, 20, 20, 30, 30, 40, 40, 40}));
  // tf_half_pixel_for_nn (opset 11 only): x = (o + 0.5) / 0.5 = 1, 3.
  EXPECT_EQ(
      resize_1d("nearest", "tf_half_pixel_for_nn", x, float_vector({0.5f}), Tensor(), "", {}, 11),
      (V{20, 40}));
}

TEST(ResampleResize, HandCheckedCubic) {
  // Keys' kernel reproduces constants whatever a, and its weights sum to one.
  const std::vector<float> flat(7, 3.25f);
  for (double v : resize_1d("cubic", "half_pixel", flat, float_vector({1.7f}), Tensor())) {
    EXPECT_NEAR(v, 3.25, 1e-6);
  }
  // At x = 1.5 (asymmetric, scale 2, o = 3) the taps 0..3 weigh W(1.5), W(.5), W(.5), W(1.5):
  // with a = -0.75, W(.5) = 0.59375 and W(1.5) = -0.09375.
  const std::vector<double> got =
      resize_1d("cubic", "asymmetric", {1, 2, 4, 8}, float_vector({2}), Tensor());
  ASSERT_EQ(got.size(), 8u);
  EXPECT_NEAR(got[3], -0.09375 * 1 + 0.59375 * 2 + 0.59375 * 4 - 0.09375 * 8, 1e-6);
}

TEST(ResampleResize, Opset18AxesAndAspectRatio) {
  std::mt19937 rng(4000);
  const Tensor x = random_float({1, 3, 4, 6}, rng);
  // axes restricts scales to the listed axes; equals the full-rank form.
  ir::Node full = make_node("Resize", {"x", "", "scales"});
  full.attributes.set("mode", std::string("linear"));
  auto want = run_ok(full, 13, {x, Tensor(), float_vector({1, 1, 1.5f, 0.5f})});
  ir::Node with_axes = full;
  with_axes.attributes.set("axes", std::vector<std::int64_t>{-1, 2});
  auto got = run_ok(with_axes, 18, {x, Tensor(), float_vector({0.5f, 1.5f})});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(want.size(), 1u);
  ASSERT_EQ(got[0].shape(), (Shape{1, 3, 6, 3}));
  expect_near_all(
      got[0],
      std::vector<double>(want[0].data<float>(), want[0].data<float>() + want[0].element_count()),
      0, "axes");

  // keep_aspect_ratio_policy: sizes 2x2 of a 4x6 image. not_larger: scale min(1/2, 1/3) = 1/3,
  // lengths round(4/3) = 1 and round(2) = 2; not_smaller: scale 1/2, lengths 2 and 3.
  ir::Node policy = make_node("Resize", {"x", "", "", "sizes"});
  policy.attributes.set("axes", std::vector<std::int64_t>{2, 3});
  policy.attributes.set("keep_aspect_ratio_policy", std::string("not_larger"));
  got = run_ok(policy, 18, {x, Tensor(), Tensor(), int64_tensor({2, 2})});
  EXPECT_EQ(got[0].shape(), (Shape{1, 3, 1, 2}));
  policy.attributes.set("keep_aspect_ratio_policy", std::string("not_smaller"));
  got = run_ok(policy, 18, {x, Tensor(), Tensor(), int64_tensor({2, 2})});
  EXPECT_EQ(got[0].shape(), (Shape{1, 3, 2, 3}));
  // With not_smaller, scale 1/2 on both axes: nearest half_pixel picks x = 2o + 0.5 -> 2o.
  for (std::int64_t c = 0; c < 3; ++c) {
    for (std::int64_t h = 0; h < 2; ++h) {
      for (std::int64_t w = 0; w < 3; ++w) {
        EXPECT_EQ(got[0].data<float>()[(c * 2 + h) * 3 + w],
                  x.data<float>()[(c * 4 + 2 * h) * 6 + 2 * w]);
      }
    }
  }
}

TEST(ResampleResize, Opset18Antialias) {
  // Linear, scale 1/2, half_pixel: x = 2o + 0.5; the stretched triangle (radius 2) weighs
  // taps 2o-1 .. 2o+2 by 0.25, 0.75, 0.75, 0.25, normalized to 1/8, 3/8, 3/8, 1/8.
  const std::vector<float> v = {1, 2, 4, 8, 16, 32};
  ir::Node node = make_node("Resize", {"x", "", "scales"});
  node.attributes.set("mode", std::string("linear"));
  node.attributes.set("antialias", std::int64_t{1});
  auto got = run_ok(node, 18, {float_vector(v), Tensor(), float_vector({0.5f})});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].shape(), Shape{3});
  auto at = [&](std::int64_t i) {
    return static_cast<double>(v[std::clamp<std::int64_t>(i, 0, 5)]);
  };
  for (std::int64_t o = 0; o < 3; ++o) {
    const double want = (at(2 * o - 1) + 3 * at(2 * o) + 3 * at(2 * o + 1) + at(2 * o + 2)) / 8;
    EXPECT_NEAR(got[0].data<float>()[o], want, 1e-5) << o;
  }
  // Upsampling is not affected.
  auto up = run_ok(node, 18, {float_vector({1, 2}), Tensor(), float_vector({2})});
  expect_near_all(up[0], {1, 1.25, 1.75, 2}, 1e-6, "antialias upsample");
}

TEST(ResampleResize, Opset10AndUpsample) {
  const Tensor x = make_tensor<float>(DType::kFloat32, {1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  ir::Node node = make_node("Resize", {"x", "scales"});
  auto down = run_ok(node, 10, {x, float_vector({1, 1, 0.6f, 0.6f})});
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].shape(), (Shape{1, 1, 1, 2}));
  expect_near_all(down[0], {1, 3}, 0, "resize-10 downsample");

  const Tensor small = make_tensor<float>(DType::kFloat32, {1, 1, 2, 2}, {1, 2, 3, 4});
  const std::vector<double> repeated = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                        3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
  auto up10 = run_ok(node, 10, {small, float_vector({1, 1, 2, 3})});
  expect_near_all(up10[0], repeated, 0, "resize-10 upsample");

  ir::Node up9 = make_node("Upsample", {"x", "scales"});
  auto got9 = run_ok(up9, 9, {small, float_vector({1, 1, 2, 3})});
  expect_near_all(got9[0], repeated, 0, "upsample-9");

  ir::Node up7 = make_node("Upsample", {"x"});
  up7.attributes.set("scales", std::vector<float>{1, 1, 2, 3});
  auto got7 = run_ok(up7, 7, {small});
  expect_near_all(got7[0], repeated, 0, "upsample-7");

  // Linear upsampling uses asymmetric coordinates: x = o / 2.
  up7.attributes.set("mode", std::string("linear"));
  up7.attributes.set("scales", std::vector<float>{2});
  auto linear = run_ok(up7, 8, {float_vector({1, 2})});
  expect_near_all(linear[0], {1, 1.5, 2, 2}, 0, "upsample linear");

  // Upsample needs scales >= 1 and is gone in opset 10.
  EXPECT_EQ(run_status(up9, 9, {small, float_vector({1, 1, 0.5f, 1})}).code(),
            StatusCode::kInvalidModel);
  EXPECT_EQ(run_status(up9, 10, {small, float_vector({1, 1, 2, 2})}).code(),
            StatusCode::kInvalidModel);
  ir::Node no_scales = make_node("Upsample", {"x"});
  EXPECT_EQ(run_status(no_scales, 7, {small}).code(), StatusCode::kInvalidModel);
}

TEST(ResampleResize, OtherDtypes) {
  // uint8 linear rounds to nearest: [0, 255] upsampled by 4 (asymmetric): 0, 63.75, 127.5, ...
  ir::Node node = make_node("Resize", {"x", "", "scales"});
  node.attributes.set("mode", std::string("linear"));
  node.attributes.set("coordinate_transformation_mode", std::string("asymmetric"));
  const Tensor u8 = make_tensor<std::uint8_t>(DType::kUInt8, {2}, {0, 255});
  auto got = run_ok(node, 13, {u8, Tensor(), float_vector({4})});
  ASSERT_EQ(got.size(), 1u);
  const std::uint8_t want_u8[] = {0, 64, 128, 191, 255, 255, 255, 255};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(got[0].data<std::uint8_t>()[i], want_u8[i]) << i;

  // Nearest copies int64 exactly, even beyond double's 53 bits.
  node.attributes.set("mode", std::string("nearest"));
  const std::int64_t big = (std::int64_t{1} << 60) + 1;
  const Tensor i64 = make_tensor<std::int64_t>(DType::kInt64, {2}, {big, -big});
  got = run_ok(node, 13, {i64, Tensor(), float_vector({2})});
  EXPECT_EQ(got[0].data<std::int64_t>()[1], big);
  EXPECT_EQ(got[0].data<std::int64_t>()[2], -big);

  const Tensor b = make_tensor<bool>(DType::kBool, {2}, {true, false});
  got = run_ok(node, 13, {b, Tensor(), float_vector({1.5f})});
  EXPECT_EQ(got[0].shape(), Shape{3});

  // float16 and float64 linear.
  node.attributes.set("mode", std::string("linear"));
  const Tensor h =
      make_tensor<std::uint16_t>(DType::kFloat16, {2}, {float_to_half(1.0f), float_to_half(2.0f)});
  got = run_ok(node, 13, {h, Tensor(), float_vector({2})});
  EXPECT_EQ(got[0].dtype(), DType::kFloat16);
  EXPECT_EQ(half_to_float(got[0].data<std::uint16_t>()[1]), 1.5f);
  const Tensor f64 = make_tensor<double>(DType::kFloat64, {2}, {1.0, 2.0});
  got = run_ok(node, 13, {f64, Tensor(), float_vector({2})});
  EXPECT_EQ(got[0].data<double>()[1], 1.5);

  // Interpolating bool makes no sense.
  EXPECT_EQ(run_status(node, 13, {b, Tensor(), float_vector({2})}).code(),
            StatusCode::kUnsupported);
}

TEST(ResampleResize, RunTimeSizesMakeTheShapeDynamic) {
  ir::Graph graph;
  graph.opset_imports = {{"", 13}};
  graph.inputs = {"x", "sizes"};
  graph.outputs = {"y0"};
  graph.value_info["x"] = {DType::kFloat32, Shape{1, 1, 2, 2}, {"", "", "", ""}};
  graph.value_info["sizes"] = {DType::kInt64, Shape{4}, {""}};
  ir::Node node = make_node("Resize", {"x", "", "", "sizes"});
  graph.nodes.push_back(node);
  auto plan = Plan::compile(graph, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  EXPECT_TRUE((*plan)->dynamic());
  const Tensor x = make_tensor<float>(DType::kFloat32, {1, 1, 2, 2}, {1, 2, 3, 4});
  for (std::int64_t n : {1, 3, 7}) {
    std::vector<Tensor> outputs(1);
    const Tensor inputs[] = {x, int64_tensor({1, 1, n, 2 * n})};
    const Status s = (*plan)->run(inputs, outputs);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    EXPECT_EQ(outputs[0].shape(), (Shape{1, 1, n, 2 * n}));
  }
}

TEST(ResampleResize, RunTimeRoiIsCheckedAtRunTime) {
  ir::Graph graph;
  graph.opset_imports = {{"", 13}};
  graph.inputs = {"x", "roi"};
  graph.outputs = {"y0"};
  graph.value_info["x"] = {DType::kFloat32, Shape{5}, {""}};
  graph.value_info["roi"] = {DType::kFloat32, Shape{-1}, {"n"}};
  graph.initializers["sizes"] = int64_tensor({3});
  ir::Node node = make_node("Resize", {"x", "roi", "", "sizes"});
  node.attributes.set("mode", std::string("linear"));
  node.attributes.set("coordinate_transformation_mode", std::string("tf_crop_and_resize"));
  graph.nodes.push_back(node);
  PlanOptions options;
  options.input_shapes["roi"] = Shape{2};
  auto plan = Plan::compile(graph, builtin_registry(), options);
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  std::vector<Tensor> outputs(1);
  // x = 0.25 * 4 + o * 4 / 2 = 1, 3, 5 (outside: extrapolation_value 0).
  const Tensor good[] = {float_vector({1, 2, 3, 4, 5}), float_vector({0.25f, 1.25f})};
  ASSERT_TRUE((*plan)->run(good, outputs).is_ok());
  expect_near_all(outputs[0], {2, 4, 0}, 0, "run-time roi");
}

TEST(ResampleResize, ErrorsAreStatuses) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {1, 1, 2, 2});
  ir::Node node = make_node("Resize", {"x", "roi", "scales", "sizes"});
  const Tensor scales = float_vector({1, 1, 2, 2});
  const Tensor sizes = int64_tensor({1, 1, 4, 4});
  auto code = [&](const ir::Node& n, std::vector<Tensor> inputs, std::int64_t opset = 13) {
    return run_status(n, opset, inputs).code();
  };
  // Both, or neither, of scales and sizes.
  const Status both = run_status(node, 13, {x, Tensor(), scales, sizes});
  EXPECT_EQ(both.code(), StatusCode::kInvalidModel);
  EXPECT_NE(both.message().find("Resize node 'n'"), std::string::npos) << both.message();
  EXPECT_EQ(code(node, {x, Tensor(), Tensor(), Tensor()}), StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), float_vector({}), int64_tensor({})}),
            StatusCode::kInvalidModel);
  // Wrong counts and bad values.
  EXPECT_EQ(code(node, {x, Tensor(), float_vector({2, 2}), Tensor()}), StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), Tensor(), int64_tensor({4, 4})}), StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), float_vector({1, 1, 0, 2}), Tensor()}),
            StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), float_vector({1, 1, -2, 2}), Tensor()}),
            StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), float_vector({1, 1, NAN, 2}), Tensor()}),
            StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), Tensor(), int64_tensor({1, 1, -1, 2})}),
            StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), float_vector({1, 1, 1e30f, 1e30f}), Tensor()}),
            StatusCode::kOutOfRange);
  EXPECT_FALSE(
      run_status(node, 13, {x, Tensor(), float_vector({1, 1, 1e9f, 1e9f}), Tensor()}).is_ok());
  // sizes must be int64; scales float.
  const Tensor sizes32 = make_tensor<std::int32_t>(DType::kInt32, {4}, {1, 1, 4, 4});
  EXPECT_EQ(code(node, {x, Tensor(), Tensor(), sizes32}), StatusCode::kInvalidModel);
  EXPECT_EQ(code(node, {x, Tensor(), int64_tensor({1, 1, 2, 2}), Tensor()}),
            StatusCode::kInvalidModel);
  // Nothing to sample on an empty axis.
  EXPECT_EQ(
      code(node, {Tensor::zeros(DType::kFloat32, {0}), Tensor(), Tensor(), int64_tensor({2})}),
      StatusCode::kInvalidModel);

  // Attributes.
  ir::Node bad = node;
  bad.attributes.set("mode", std::string("bicubic"));
  EXPECT_EQ(code(bad, {x, Tensor(), scales, Tensor()}), StatusCode::kInvalidModel);
  bad = make_node("Resize", {"x", "scales"});
  bad.attributes.set("mode", std::string("cubic"));
  EXPECT_EQ(code(bad, {x, scales}, 10), StatusCode::kInvalidModel);
  bad = node;
  bad.attributes.set("coordinate_transformation_mode", std::string("tf_half_pixel_for_nn"));
  EXPECT_EQ(code(bad, {x, Tensor(), scales, Tensor()}), StatusCode::kInvalidModel);
  bad.attributes.set("coordinate_transformation_mode", std::string("half_pixel_symmetric"));
  EXPECT_EQ(code(bad, {x, Tensor(), scales, Tensor()}, 18), StatusCode::kUnsupported);
  bad.attributes.set("coordinate_transformation_mode", std::string("tf_crop_and_resize"));
  EXPECT_EQ(code(bad, {x, Tensor(), scales, Tensor()}), StatusCode::kInvalidModel);  // no roi
  EXPECT_EQ(code(bad, {x, float_vector({0, 1}), scales, Tensor()}), StatusCode::kInvalidModel);
  bad = node;
  bad.attributes.set("nearest_mode", std::string("round"));
  EXPECT_EQ(code(bad, {x, Tensor(), scales, Tensor()}), StatusCode::kInvalidModel);
  bad = node;
  bad.attributes.set("exclude_outside", std::int64_t{2});
  EXPECT_EQ(code(bad, {x, Tensor(), scales, Tensor()}), StatusCode::kInvalidModel);
  bad = node;
  bad.attributes.set("keep_aspect_ratio_policy", std::string("fit"));
  EXPECT_EQ(code(bad, {x, Tensor(), Tensor(), sizes}, 18), StatusCode::kInvalidModel);
  bad = node;
  bad.attributes.set("axes", std::vector<std::int64_t>{4});
  EXPECT_EQ(code(bad, {x, Tensor(), float_vector({2}), Tensor()}, 18), StatusCode::kInvalidModel);
  bad.attributes.set("axes", std::vector<std::int64_t>{2, -2});
  EXPECT_EQ(code(bad, {x, Tensor(), float_vector({2, 2}), Tensor()}, 18),
            StatusCode::kInvalidModel);
}

}  // namespace
}  // namespace edgebench::engine
