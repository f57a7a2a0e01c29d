// MaxPool, AveragePool, LpPool, the Global*Pool ops and MaxUnpool against double-precision loops
// written here, on seeded random inputs, plus ONNX spec examples, a small graph and error paths.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nn_test_util.h"

namespace edgebench::engine {
namespace {

using nn_test::count_of;
using nn_test::expect_close;
using nn_test::float_tensor;
using nn_test::for_each_index;
using nn_test::int64_tensor;
using nn_test::make_node;
using nn_test::offset_of;
using nn_test::random_tensor;
using nn_test::run_ok;
using nn_test::run_status;
using nn_test::to_doubles;
using nn_test::tolerance_for;
using ::testing::HasSubstr;

enum class PoolKind { kMax, kAverage, kLp };

struct PoolCase {
  std::string name = {};
  Shape x = {};  // N, C, spatial...
  Shape kernel = {};
  std::vector<std::int64_t> strides = {};    // empty: attribute absent
  std::vector<std::int64_t> dilations = {};  // empty: attribute absent
  std::vector<std::int64_t> pads = {};       // empty: attribute absent
  std::string auto_pad = {};                 // empty: attribute absent
  bool ceil_mode = false;
  bool count_include_pad = false;  // AveragePool
  DType dtype = DType::kFloat32;
  std::int64_t storage_order = 0;  // MaxPool
  bool indices = false;            // MaxPool: ask for the Indices output
  std::int64_t p = 2;              // LpPool
};

std::int64_t value_or_one(const std::vector<std::int64_t>& v, std::size_t i) {
  return v.empty() ? 1 : v[i];
}

struct PoolReferenceWindow {
  Shape out;
  std::vector<std::int64_t> pad_begin;
  std::vector<std::int64_t> pad_end;
};

// Output sizes from the ONNX pooling formulas (with the ceil_mode rule that a window may not
// start in the end padding), written independently of the engine.
PoolReferenceWindow pool_reference_window(const PoolCase& c) {
  PoolReferenceWindow w;
  const std::size_t rank = c.x.size() - 2;
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t in = c.x[2 + i];
    const std::int64_t s = value_or_one(c.strides, i);
    const std::int64_t extent = value_or_one(c.dilations, i) * (c.kernel[i] - 1) + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      const auto out = static_cast<std::int64_t>(std::ceil(static_cast<double>(in) / s));
      const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * s + extent - in);
      const std::int64_t begin = c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      w.out.push_back(out);
      w.pad_begin.push_back(begin);
      w.pad_end.push_back(total - begin);
      continue;
    }
    std::int64_t begin = 0;
    std::int64_t end = 0;
    if (c.auto_pad != "VALID" && !c.pads.empty()) {
      begin = c.pads[i];
      end = c.pads[rank + i];
    }
    const double span = static_cast<double>(in + begin + end - extent) / static_cast<double>(s);
    auto out = static_cast<std::int64_t>(c.ceil_mode ? std::ceil(span) : std::floor(span)) + 1;
    if (c.ceil_mode && (out - 1) * s >= in + begin) --out;
    w.out.push_back(out);
    w.pad_begin.push_back(begin);
    w.pad_end.push_back(end);
  }
  return w;
}

struct PoolReference {
  Shape shape;
  std::vector<double> values;
  std::vector<double> indices;  // MaxPool only
};

PoolReference pool_reference(PoolKind kind, const PoolCase& c, const Tensor& x) {
  const PoolReferenceWindow win = pool_reference_window(c);
  const std::vector<double> xv = to_doubles(x);
  const std::size_t rank = c.x.size() - 2;
  const Shape x_spatial(c.x.begin() + 2, c.x.end());
  PoolReference ref;
  ref.shape = {c.x[0], c.x[1]};
  ref.shape.insert(ref.shape.end(), win.out.begin(), win.out.end());
  ref.values.resize(static_cast<std::size_t>(count_of(ref.shape)));
  ref.indices.resize(ref.values.size());
  for_each_index(ref.shape, [&](const Shape& yi) {
    const std::int64_t plane = yi[0] * c.x[1] + yi[1];
    double best = -std::numeric_limits<double>::infinity();
    std::int64_t best_index = -1;
    double sum = 0;
    std::int64_t inside = 0;
    std::int64_t inside_padded = 0;
    for_each_index(c.kernel, [&](const Shape& k) {
      Shape pos(rank);
      bool in_input = true;
      bool in_padded = true;
      for (std::size_t i = 0; i < rank; ++i) {
        pos[i] = yi[2 + i] * value_or_one(c.strides, i) - win.pad_begin[i] +
                 k[i] * value_or_one(c.dilations, i);
        in_input = in_input && pos[i] >= 0 && pos[i] < x_spatial[i];
        in_padded =
            in_padded && pos[i] >= -win.pad_begin[i] && pos[i] < x_spatial[i] + win.pad_end[i];
      }
      if (in_padded) ++inside_padded;
      if (!in_input) return;
      ++inside;
      const double v =
          xv[static_cast<std::size_t>(plane * count_of(x_spatial) + offset_of(x_spatial, pos))];
      sum += kind == PoolKind::kLp ? std::pow(std::abs(v), static_cast<double>(c.p)) : v;
      if (v > best) {
        best = v;
        // Column-major over the spatial axes when storage_order is 1.
        std::int64_t spatial_index = 0;
        if (c.storage_order == 1) {
          for (std::size_t i = rank; i > 0; --i)
            spatial_index = spatial_index * x_spatial[i - 1] + pos[i - 1];
        } else {
          spatial_index = offset_of(x_spatial, pos);
        }
        best_index = plane * count_of(x_spatial) + spatial_index;
      }
    });
    const auto at = static_cast<std::size_t>(offset_of(ref.shape, yi));
    switch (kind) {
      case PoolKind::kMax: ref.values[at] = best; break;
      case PoolKind::kAverage:
        ref.values[at] = sum / static_cast<double>(c.count_include_pad ? inside_padded : inside);
        break;
      case PoolKind::kLp: ref.values[at] = std::pow(sum, 1.0 / static_cast<double>(c.p)); break;
    }
    ref.indices[at] = static_cast<double>(best_index);
  });
  return ref;
}

const char* op_name(PoolKind kind) {
  switch (kind) {
    case PoolKind::kMax: return "MaxPool";
    case PoolKind::kAverage: return "AveragePool";
    case PoolKind::kLp: return "LpPool";
  }
  return "";
}

void check_pool_case(PoolKind kind, const PoolCase& c, std::uint32_t seed) {
  const std::string what =
      std::string(op_name(kind)) + " " + c.name + " (seed " + std::to_string(seed) + ")";
  SCOPED_TRACE(what);
  std::mt19937 rng(seed);
  const bool integer = c.dtype == DType::kInt8 || c.dtype == DType::kUInt8;
  const Tensor x = integer ? random_tensor(rng, c.dtype, c.x, c.dtype == DType::kInt8 ? -128 : 0,
                                           c.dtype == DType::kInt8 ? 127 : 255)
                           : random_tensor(rng, c.dtype, c.x);
  ir::Node node =
      make_node(op_name(kind), {"x"},
                c.indices ? std::vector<std::string>{"y", "i"} : std::vector<std::string>{"y"});
  node.attributes.set("kernel_shape", c.kernel);
  if (!c.strides.empty()) node.attributes.set("strides", c.strides);
  if (!c.dilations.empty()) node.attributes.set("dilations", c.dilations);
  if (!c.pads.empty()) node.attributes.set("pads", c.pads);
  if (!c.auto_pad.empty()) node.attributes.set("auto_pad", c.auto_pad);
  if (c.ceil_mode) node.attributes.set("ceil_mode", std::int64_t{1});
  if (c.count_include_pad) node.attributes.set("count_include_pad", std::int64_t{1});
  if (c.storage_order != 0) node.attributes.set("storage_order", c.storage_order);
  if (kind == PoolKind::kLp) node.attributes.set("p", c.p);
  const PoolReference ref = pool_reference(kind, c, x);
  const std::vector<Tensor> out = run_ok(node, kind == PoolKind::kLp ? 18 : 12, {x}, what);
  ASSERT_EQ(out.size(), c.indices ? 2u : 1u);
  EXPECT_EQ(out[0].dtype(), c.dtype);
  expect_close(out[0], ref.shape, ref.values, integer ? 0.0 : tolerance_for(c.dtype), what);
  if (c.indices) {
    EXPECT_EQ(out[1].dtype(), DType::kInt64);
    expect_close(out[1], ref.shape, ref.indices, 0.0, what + " indices");
  }
}

// Window shapes shared by the three pooling ops.
std::vector<PoolCase> window_cases() {
  std::vector<PoolCase> cases;
  cases.push_back({.name = "2d_c3_7x9_k3_s2_pads_one_side",
                   .x = {1, 3, 7, 9},
                   .kernel = {3, 3},
                   .strides = {2, 2},
                   .pads = {0, 1, 2, 0}});
  cases.push_back({.name = "2d_c13_k2x3_default_strides", .x = {2, 13, 5, 7}, .kernel = {2, 3}});
  cases.push_back({.name = "2d_c1_ceil_mode",
                   .x = {1, 1, 7, 9},
                   .kernel = {3, 2},
                   .strides = {2, 2},
                   .ceil_mode = true});
  cases.push_back({.name = "2d_ceil_mode_drops_window_in_end_padding",
                   .x = {1, 7, 5, 5},
                   .kernel = {2, 2},
                   .strides = {2, 2},
                   .pads = {1, 1, 1, 1},
                   .ceil_mode = true});
  cases.push_back({.name = "2d_dilation2_pads",
                   .x = {1, 3, 9, 7},
                   .kernel = {3, 2},
                   .strides = {1, 2},
                   .dilations = {2, 2},
                   .pads = {2, 1, 1, 0}});
  cases.push_back({.name = "2d_dilation2_ceil_mode",
                   .x = {1, 3, 8, 9},
                   .kernel = {2, 3},
                   .strides = {3, 2},
                   .dilations = {2, 2},
                   .ceil_mode = true});
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    cases.push_back({.name = std::string("2d_auto_pad_") + mode,
                     .x = {1, 3, 7, 9},
                     .kernel = {3, 4},
                     .strides = {2, 2},
                     .auto_pad = mode});
    cases.push_back({.name = std::string("2d_auto_pad_stride1_") + mode,
                     .x = {1, 7, 6, 5},
                     .kernel = {2, 3},
                     .auto_pad = mode});
  }
  cases.push_back(
      {.name = "1d_c7_k4_s3", .x = {2, 7, 13}, .kernel = {4}, .strides = {3}, .pads = {1, 2}});
  cases.push_back({.name = "3d_c3",
                   .x = {1, 3, 5, 6, 7},
                   .kernel = {2, 3, 2},
                   .strides = {2, 1, 2},
                   .pads = {1, 0, 0, 0, 1, 1}});
  cases.push_back({.name = "3d_ceil_same_upper",
                   .x = {1, 2, 5, 4, 3},
                   .kernel = {3, 2, 2},
                   .strides = {2, 2, 2},
                   .auto_pad = "SAME_UPPER"});
  cases.push_back({.name = "2d_float64",
                   .x = {1, 3, 7, 9},
                   .kernel = {3, 3},
                   .strides = {2, 2},
                   .pads = {1, 1, 1, 1},
                   .dtype = DType::kFloat64});
  cases.push_back({.name = "2d_float16",
                   .x = {1, 3, 7, 9},
                   .kernel = {3, 3},
                   .strides = {2, 1},
                   .pads = {1, 0, 1, 1},
                   .dtype = DType::kFloat16});
  return cases;
}

TEST(NnMaxPool, MatchesDirectLoopOnRandomInputs) {
  std::uint32_t seed = 3000;
  for (const PoolCase& c : window_cases()) check_pool_case(PoolKind::kMax, c, seed++);
}

TEST(NnMaxPool, IndicesRowAndColumnMajor) {
  std::uint32_t seed = 3100;
  for (std::int64_t order : {0, 1}) {
    for (PoolCase c : window_cases()) {
      if (c.dtype != DType::kFloat32) continue;
      c.indices = true;
      c.storage_order = order;
      c.name += order == 1 ? "_indices_column_major" : "_indices";
      check_pool_case(PoolKind::kMax, c, seed++);
    }
  }
}

TEST(NnMaxPool, Int8AndUInt8) {
  std::uint32_t seed = 3200;
  for (DType dtype : {DType::kInt8, DType::kUInt8}) {
    check_pool_case(PoolKind::kMax,
                    {.name = "2d_integer",
                     .x = {1, 3, 7, 9},
                     .kernel = {3, 3},
                     .strides = {2, 2},
                     .pads = {1, 1, 1, 0},
                     .dtype = dtype},
                    seed++);
  }
}

// test_maxpool_with_argmax_2d_precomputed_strides: storage_order 1 on x = 1..25 as 5x5.
TEST(NnMaxPool, SpecExampleIndicesColumnMajor) {
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
  ir::Node node = make_node("MaxPool", {"x"}, {"y", "z"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  node.attributes.set("storage_order", std::int64_t{1});
  const std::vector<Tensor> out = run_ok(node, 12, {float_tensor({1, 1, 5, 5}, xv)}, "example");
  ASSERT_EQ(out.size(), 2u);
  expect_close(out[0], {1, 1, 2, 2}, {7, 9, 17, 19}, 0, "values");
  expect_close(out[1], {1, 1, 2, 2}, {6, 16, 8, 18}, 0, "indices");
}

TEST(NnMaxPool, FirstMaximumWinsAndNanPropagates) {
  ir::Node node = make_node("MaxPool", {"x"}, {"y", "i"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{2});
  node.attributes.set("strides", std::vector<std::int64_t>{2});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<Tensor> out =
      run_ok(node, 12, {float_tensor({1, 1, 6}, {3, 3, 1, nan, nan, 2})}, "ties");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data<float>()[0], 3.0f);
  EXPECT_EQ(out[1].data<std::int64_t>()[0], 0);
  EXPECT_TRUE(std::isnan(out[0].data<float>()[1]));
  EXPECT_TRUE(std::isnan(out[0].data<float>()[2]));
}

TEST(NnAveragePool, MatchesDirectLoopOnRandomInputs) {
  std::uint32_t seed = 4000;
  for (bool include_pad : {false, true}) {
    for (PoolCase c : window_cases()) {
      c.count_include_pad = include_pad;
      if (include_pad) c.name += "_count_include_pad";
      check_pool_case(PoolKind::kAverage, c, seed++);
    }
  }
}

// test_averagepool_2d_precomputed_pads_count_include_pad on x = 1..25 as 5x5, kernel 5, pads 2.
TEST(NnAveragePool, SpecExampleCountIncludePad) {
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
  ir::Node node = make_node("AveragePool", {"x"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{5, 5});
  node.attributes.set("pads", std::vector<std::int64_t>{2, 2, 2, 2});
  node.attributes.set("count_include_pad", std::int64_t{1});
  const std::vector<Tensor> out = run_ok(node, 11, {float_tensor({1, 1, 5, 5}, xv)}, "example");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 1, 5, 5},
               {2.52, 3.6, 4.8,  4.08, 3.24, 4.56,  6.4,  8.4,  7.04, 5.52, 7.2,  10.0, 13.0,
                10.8, 8.4, 6.96, 9.6,  12.4, 10.24, 7.92, 6.12, 8.4,  10.8, 8.88, 6.84},
               1e-6, "example");
}

TEST(NnLpPool, MatchesDirectLoopOnRandomInputs) {
  std::uint32_t seed = 5000;
  for (std::int64_t p : {1, 2, 3}) {
    for (PoolCase c : window_cases()) {
      c.p = p;
      c.name += "_p" + std::to_string(p);
      check_pool_case(PoolKind::kLp, c, seed++);
    }
  }
}

TEST(NnLpPool, AcceptsOpset1FloatP) {
  ir::Node node = make_node("LpPool", {"x"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{2});
  node.attributes.set("p", 1.0f);
  const std::vector<Tensor> out = run_ok(node, 1, {float_tensor({1, 1, 3}, {1, -2, 4})}, "p");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 1, 2}, {3, 6}, 1e-6, "p = 1");
}

// Global pools against plain loops over each (n, c) plane.
TEST(NnGlobalPool, MatchesPlaneLoopsOnRandomInputs) {
  std::uint32_t seed = 6000;
  const std::vector<Shape> shapes = {{1, 3, 7, 9}, {2, 13, 5}, {1, 1, 3, 4, 5}, {2, 7, 1, 1}};
  for (const DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    for (const Shape& shape : shapes) {
      const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(shape) +
                               " seed " + std::to_string(seed);
      SCOPED_TRACE(what);
      std::mt19937 rng(seed++);
      const Tensor x = random_tensor(rng, dtype, shape);
      const std::vector<double> xv = to_doubles(x);
      const std::int64_t planes = shape[0] * shape[1];
      const std::int64_t size = count_of(shape) / planes;
      std::vector<double> mean(static_cast<std::size_t>(planes));
      std::vector<double> max(static_cast<std::size_t>(planes));
      std::vector<double> l3(static_cast<std::size_t>(planes));
      for (std::int64_t p = 0; p < planes; ++p) {
        double sum = 0;
        double cubes = 0;
        double best = -INFINITY;
        for (std::int64_t i = 0; i < size; ++i) {
          const double v = xv[static_cast<std::size_t>(p * size + i)];
          sum += v;
          cubes += std::pow(std::abs(v), 3.0);
          best = std::max(best, v);
        }
        mean[static_cast<std::size_t>(p)] = sum / static_cast<double>(size);
        max[static_cast<std::size_t>(p)] = best;
        l3[static_cast<std::size_t>(p)] = std::cbrt(cubes);
      }
      Shape y_shape(shape.size(), 1);
      y_shape[0] = shape[0];
      y_shape[1] = shape[1];
      auto out = run_ok(make_node("GlobalAveragePool", {"x"}), 1, {x}, what);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0], y_shape, mean, tolerance_for(dtype), what + " average");
      out = run_ok(make_node("GlobalMaxPool", {"x"}), 1, {x}, what);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0], y_shape, max, 0.0, what + " max");
      ir::Node lp = make_node("GlobalLpPool", {"x"});
      lp.attributes.set("p", std::int64_t{3});
      out = run_ok(lp, 2, {x}, what);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0], y_shape, l3, tolerance_for(dtype), what + " lp");
    }
  }
}

TEST(NnGlobalPool, RejectsRankBelowThreeAndIntegers) {
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}) {
    SCOPED_TRACE(op);
    EXPECT_FALSE(
        run_status(make_node(op, {"x"}), 2, {Tensor::zeros(DType::kFloat32, {2, 3})}).is_ok());
    EXPECT_EQ(run_status(make_node(op, {"x"}), 2, {Tensor::zeros(DType::kInt32, {1, 2, 3})}).code(),
              StatusCode::kUnsupported);
  }
}

TEST(NnPool, RejectsBadAttributesAndShapes) {
  struct Case {
    std::string op;
    Shape x;
    std::vector<std::pair<std::string, ir::AttributeValue>> attributes;
    std::string expected_text;
  };
  const std::vector<std::int64_t> k2 = {2, 2};
  const std::vector<Case> cases = {
      {"MaxPool", {1, 1, 5, 5}, {}, "'kernel_shape'"},
      {"AveragePool", {1, 1, 5, 5}, {}, "'kernel_shape'"},
      {"LpPool", {1, 1, 5, 5}, {}, "'kernel_shape'"},
      {"MaxPool",
       {1, 1, 5, 5},
       {{"kernel_shape", std::vector<std::int64_t>{0, 2}}},
       "'kernel_shape'"},
      {"MaxPool", {1, 1, 5, 5}, {{"kernel_shape", std::vector<std::int64_t>{2}}}, "kernel"},
      {"MaxPool",
       {1, 1, 5, 5},
       {{"kernel_shape", k2}, {"storage_order", std::int64_t{2}}},
       "'storage_order'"},
      {"MaxPool",
       {1, 1, 5, 5},
       {{"kernel_shape", k2}, {"ceil_mode", std::int64_t{2}}},
       "'ceil_mode'"},
      {"MaxPool",
       {1, 1, 5, 5},
       {{"kernel_shape", k2}, {"pads", std::vector<std::int64_t>{0, -1, 0, 0}}},
       "'pads'"},
      {"MaxPool",
       {1, 1, 5, 5},
       {{"kernel_shape", k2}, {"strides", std::vector<std::int64_t>{0, 1}}},
       "'strides'"},
      {"MaxPool",
       {1, 1, 5, 5},
       {{"kernel_shape", k2}, {"dilations", std::vector<std::int64_t>{1}}},
       "'dilations'"},
      {"MaxPool", {1, 5}, {{"kernel_shape", std::vector<std::int64_t>{2}}}, "rank"},
      {"MaxPool", {1, 1, 1, 5}, {{"kernel_shape", k2}}, "padded input"},
      {"AveragePool",
       {1, 1, 5, 5},
       {{"kernel_shape", k2}, {"count_include_pad", std::int64_t{3}}},
       "'count_include_pad'"},
      {"AveragePool",
       {1, 1, 5, 5},
       {{"kernel_shape", k2}, {"auto_pad", std::string("FULL")}},
       "'auto_pad'"},
      {"LpPool", {1, 1, 5, 5}, {{"kernel_shape", k2}, {"p", std::int64_t{0}}}, "'p'"},
      {"MaxPool",
       {1, 1, 5, 5},
       {{"kernel_shape", std::vector<std::int64_t>{std::int64_t{1} << 40, std::int64_t{1} << 40}},
        {"pads", std::vector<std::int64_t>{std::int64_t{1} << 40, std::int64_t{1} << 40,
                                           std::int64_t{1} << 40, std::int64_t{1} << 40}}},
       "too many elements"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op + " expecting " + c.expected_text);
    ir::Node node = make_node(c.op, {"x"});
    for (const auto& [name, value] : c.attributes) node.attributes.set(name, value);
    const Status status = run_status(node, 12, {Tensor::zeros(DType::kFloat32, c.x)});
    EXPECT_FALSE(status.is_ok());
    EXPECT_THAT(status.message(), HasSubstr(c.expected_text));
    EXPECT_THAT(status.message(), HasSubstr(c.op));
  }
}

// Attribute values near the int64 limit must not overflow the window arithmetic (UBSan checks
// this): kernel 2 with dilation 2^62 and a leading pad of 2^62 + 5 on a one-element input gives
// six windows, of which only the last reaches the input.
TEST(NnPool, HugeDilationAndPadsStayInRange) {
  const std::int64_t big = std::int64_t{1} << 62;
  ir::Node node = make_node("AveragePool", {"x"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{2});
  node.attributes.set("dilations", std::vector<std::int64_t>{big});
  node.attributes.set("pads", std::vector<std::int64_t>{big + 5, 0});
  const std::vector<Tensor> out = run_ok(node, 19, {float_tensor({1, 1, 1}, {4})}, "huge");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 1, 6}, {0, 0, 0, 0, 0, 4}, 0.0, "huge");
}

// ---------------------------------------------------------------------------------------------
// MaxUnpool

// The pooled input is covered exactly by the windows, so the unpooled shape is the input's.
TEST(NnMaxUnpool, InvertsMaxPoolOnRandomInputs) {
  std::uint32_t seed = 7000;
  struct Case {
    Shape x;
    std::vector<std::int64_t> kernel;
    std::vector<std::int64_t> strides;
  };
  const std::vector<Case> cases = {{{1, 3, 8, 6}, {2, 2}, {2, 2}},
                                   {{2, 7, 9, 6}, {3, 2}, {3, 2}},
                                   {{1, 1, 12}, {3}, {3}},
                                   {{1, 2, 4, 6, 4}, {2, 3, 2}, {2, 3, 2}}};
  for (const Case& c : cases) {
    const std::string what = shape_to_string(c.x) + " seed " + std::to_string(seed);
    SCOPED_TRACE(what);
    std::mt19937 rng(seed++);
    const Tensor x = random_tensor(rng, DType::kFloat32, c.x);
    ir::Node pool = make_node("MaxPool", {"x"}, {"y", "i"});
    pool.attributes.set("kernel_shape", c.kernel);
    pool.attributes.set("strides", c.strides);
    const std::vector<Tensor> pooled = run_ok(pool, 12, {x}, what);
    ASSERT_EQ(pooled.size(), 2u);
    ir::Node unpool = make_node("MaxUnpool", {"y", "i"});
    unpool.attributes.set("kernel_shape", c.kernel);
    unpool.attributes.set("strides", c.strides);
    const std::vector<Tensor> out = run_ok(unpool, 11, pooled, what);
    ASSERT_EQ(out.size(), 1u);
    // Each maximum goes back where it came from; everything else is zero.
    std::vector<double> want(static_cast<std::size_t>(x.element_count()), 0.0);
    for (std::int64_t k = 0; k < pooled[0].element_count(); ++k) {
      want[static_cast<std::size_t>(pooled[1].data<std::int64_t>()[k])] =
          pooled[0].data<float>()[k];
    }
    expect_close(out[0], c.x, want, 0.0, what);
  }
}

// test_maxunpool_export_with_output_shape: indices address the 4x4 unpooled tensor, which sits
// at the start of the requested 5x5 output.
TEST(NnMaxUnpool, SpecExampleWithOutputShape) {
  ir::Node node = make_node("MaxUnpool", {"x", "i", "shape"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  const std::vector<Tensor> out =
      run_ok(node, 11,
             {float_tensor({1, 1, 2, 2}, {5, 6, 7, 8}), int64_tensor({1, 1, 2, 2}, {5, 7, 13, 15}),
              int64_tensor({4}, {1, 1, 5, 5})},
             "example");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 1, 5, 5},
               {0, 0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0, 0, 0, 0, 0, 0}, 0,
               "example");
}

TEST(NnMaxUnpool, RejectsBadIndicesAndShapes) {
  ir::Node node = make_node("MaxUnpool", {"x", "i"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  const Tensor x = float_tensor({1, 1, 1, 2}, {1, 2});
  // The unpooled tensor is 1x1x2x4: index 8 is one past its end.
  Status status = run_status(node, 11, {x, int64_tensor({1, 1, 1, 2}, {0, 8})});
  EXPECT_FALSE(status.is_ok());
  EXPECT_THAT(status.message(), HasSubstr("outside"));
  status = run_status(node, 11, {x, int64_tensor({1, 1, 1, 2}, {-1, 0})});
  EXPECT_FALSE(status.is_ok());
  status = run_status(node, 11, {x, int64_tensor({1, 1, 2, 1}, {0, 1})});
  EXPECT_THAT(status.message(), HasSubstr("indices"));
  ir::Node with_shape = make_node("MaxUnpool", {"x", "i", "shape"});
  with_shape.attributes = node.attributes;
  status = run_status(with_shape, 11,
                      {x, int64_tensor({1, 1, 1, 2}, {0, 1}), int64_tensor({4}, {1, 1, 1, 3})});
  EXPECT_THAT(status.message(), HasSubstr("output_shape"));
  status = run_status(with_shape, 11,
                      {x, int64_tensor({1, 1, 1, 2}, {0, 1}), int64_tensor({3}, {1, 1, 2})});
  EXPECT_THAT(status.message(), HasSubstr("output_shape"));
  ir::Node no_kernel = make_node("MaxUnpool", {"x", "i"});
  status = run_status(no_kernel, 11, {x, int64_tensor({1, 1, 1, 2}, {0, 1})});
  EXPECT_THAT(status.message(), HasSubstr("'kernel_shape'"));
}

// Conv -> MaxPool (with Indices) -> MaxUnpool as a compiled plan, whose activations share one
// arena (so MaxUnpool must clear its output itself), against the nodes run one by one.
TEST(NnPool, GraphMatchesNodeByNode) {
  std::mt19937 rng(7100);
  const Tensor x = random_tensor(rng, DType::kFloat32, {1, 3, 8, 10});
  const Tensor w = random_tensor(rng, DType::kFloat32, {5, 3, 3, 3});
  ir::Graph graph;
  graph.opset_imports = {{"", 13}};
  graph.inputs = {"x"};
  graph.outputs = {"u"};
  graph.value_info["x"] = ir::ValueInfo{DType::kFloat32, Shape{1, 3, 8, 10}, {"", "", "", ""}};
  graph.initializers["w"] = w;
  ir::Node conv = make_node("Conv", {"x", "w"}, {"c"});
  conv.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  ir::Node pool = make_node("MaxPool", {"c"}, {"p", "i"});
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  pool.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  ir::Node unpool = make_node("MaxUnpool", {"p", "i"}, {"u"});
  unpool.attributes = pool.attributes;
  graph.nodes = {conv, pool, unpool};
  auto plan = Plan::compile(graph, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  std::vector<Tensor> outputs(1);
  for (int run = 0; run < 2; ++run) {
    const Status status = (*plan)->run(std::span<const Tensor>(&x, 1), outputs);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
  }
  const std::vector<Tensor> c = run_ok(conv, 13, {x, w}, "conv");
  ASSERT_EQ(c.size(), 1u);
  const std::vector<Tensor> p = run_ok(pool, 13, c, "pool");
  ASSERT_EQ(p.size(), 2u);
  const std::vector<Tensor> u = run_ok(unpool, 13, p, "unpool");
  ASSERT_EQ(u.size(), 1u);
  expect_close(outputs[0], u[0].shape(), to_doubles(u[0]), 0.0, "graph vs nodes");
}

}  // namespace
}  // namespace edgebench::engine
