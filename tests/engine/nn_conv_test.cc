// Conv and ConvTranspose against double-precision direct loops written here, on seeded random
// inputs with awkward shapes, plus the ONNX spec examples and the error paths.
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

struct WindowCase {
  std::string name = {};
  Shape x = {};  // N, C, spatial...
  std::int64_t out_channels = 1;
  Shape kernel = {};
  std::int64_t group = 1;
  std::vector<std::int64_t> strides = {};    // empty: attribute absent
  std::vector<std::int64_t> dilations = {};  // empty: attribute absent
  std::vector<std::int64_t> pads = {};       // empty: attribute absent
  std::string auto_pad = {};                 // empty: attribute absent
  bool bias = true;
  DType dtype = DType::kFloat32;
  bool kernel_shape_attribute = false;
  std::vector<std::int64_t> output_padding = {};  // ConvTranspose only
  std::vector<std::int64_t> output_shape = {};    // ConvTranspose only
};

std::int64_t value_or_one(const std::vector<std::int64_t>& v, std::size_t i) {
  return v.empty() ? 1 : v[i];
}

void set_window_attributes(ir::Node& node, const WindowCase& c) {
  if (c.group != 1) node.attributes.set("group", c.group);
  if (!c.strides.empty()) node.attributes.set("strides", c.strides);
  if (!c.dilations.empty()) node.attributes.set("dilations", c.dilations);
  if (!c.pads.empty()) node.attributes.set("pads", c.pads);
  if (!c.auto_pad.empty()) node.attributes.set("auto_pad", c.auto_pad);
  if (c.kernel_shape_attribute) node.attributes.set("kernel_shape", c.kernel);
  if (!c.output_padding.empty()) node.attributes.set("output_padding", c.output_padding);
  if (!c.output_shape.empty()) node.attributes.set("output_shape", c.output_shape);
}

// ---------------------------------------------------------------------------------------------
// Conv

struct ConvReferenceWindow {
  Shape out;                            // spatial output sizes
  std::vector<std::int64_t> pad_begin;  // per spatial axis
};

// Output sizes and leading pads from the ONNX Conv formulas, written independently of the engine.
ConvReferenceWindow conv_reference_window(const WindowCase& c) {
  ConvReferenceWindow w;
  const std::size_t rank = c.x.size() - 2;
  for (std::size_t i = 0; i < rank; ++i) {
    const double in = static_cast<double>(c.x[2 + i]);
    const double s = static_cast<double>(value_or_one(c.strides, i));
    const double extent = static_cast<double>(value_or_one(c.dilations, i) * (c.kernel[i] - 1) + 1);
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      const double out = std::ceil(in / s);
      const double total = std::max(0.0, (out - 1) * s + extent - in);
      w.out.push_back(static_cast<std::int64_t>(out));
      w.pad_begin.push_back(static_cast<std::int64_t>(
          c.auto_pad == "SAME_UPPER" ? std::floor(total / 2) : std::ceil(total / 2)));
    } else if (c.auto_pad == "VALID") {
      w.out.push_back(static_cast<std::int64_t>(std::floor((in - extent) / s)) + 1);
      w.pad_begin.push_back(0);
    } else {
      const double begin = c.pads.empty() ? 0 : static_cast<double>(c.pads[i]);
      const double end = c.pads.empty() ? 0 : static_cast<double>(c.pads[rank + i]);
      w.out.push_back(static_cast<std::int64_t>(std::floor((in + begin + end - extent) / s)) + 1);
      w.pad_begin.push_back(static_cast<std::int64_t>(begin));
    }
  }
  return w;
}

// y[n, m, o] = b[m] + sum_{c in m's group, k} x[n, c, o * s - pad + k * d] * w[m, c, k].
std::vector<double> conv_reference(const WindowCase& c, const Tensor& x, const Tensor& w,
                                   const Tensor* b, const ConvReferenceWindow& win,
                                   Shape& out_shape) {
  const std::vector<double> xv = to_doubles(x);
  const std::vector<double> wv = to_doubles(w);
  const std::size_t rank = c.x.size() - 2;
  const Shape x_spatial(c.x.begin() + 2, c.x.end());
  const std::int64_t channels = c.x[1];
  const std::int64_t group_in = channels / c.group;
  const std::int64_t group_out = c.out_channels / c.group;
  out_shape = {c.x[0], c.out_channels};
  out_shape.insert(out_shape.end(), win.out.begin(), win.out.end());
  std::vector<double> y(static_cast<std::size_t>(count_of(out_shape)), 0.0);
  for_each_index(out_shape, [&](const Shape& yi) {
    const std::int64_t n = yi[0];
    const std::int64_t m = yi[1];
    double sum = b != nullptr ? b->element_as_double(m) : 0.0;
    for (std::int64_t ci = 0; ci < group_in; ++ci) {
      const std::int64_t c_in = (m / group_out) * group_in + ci;
      for_each_index(c.kernel, [&](const Shape& k) {
        Shape pos(rank);
        for (std::size_t i = 0; i < rank; ++i) {
          pos[i] = yi[2 + i] * value_or_one(c.strides, i) - win.pad_begin[i] +
                   k[i] * value_or_one(c.dilations, i);
          if (pos[i] < 0 || pos[i] >= x_spatial[i]) return;
        }
        const std::int64_t x_off =
            (n * channels + c_in) * count_of(x_spatial) + offset_of(x_spatial, pos);
        const std::int64_t w_off =
            (m * group_in + ci) * count_of(c.kernel) + offset_of(c.kernel, k);
        sum += xv[static_cast<std::size_t>(x_off)] * wv[static_cast<std::size_t>(w_off)];
      });
    }
    y[static_cast<std::size_t>(offset_of(out_shape, yi))] = sum;
  });
  return y;
}

void check_conv_case(const WindowCase& c, std::uint32_t seed) {
  SCOPED_TRACE(c.name + ", seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  Shape w_shape = {c.out_channels, c.x[1] / c.group};
  w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
  std::vector<Tensor> inputs = {random_tensor(rng, c.dtype, c.x),
                                random_tensor(rng, c.dtype, w_shape)};
  if (c.bias) inputs.push_back(random_tensor(rng, c.dtype, {c.out_channels}));
  ir::Node node = make_node("Conv", c.bias ? std::vector<std::string>{"x", "w", "b"}
                                           : std::vector<std::string>{"x", "w"});
  set_window_attributes(node, c);
  const ConvReferenceWindow win = conv_reference_window(c);
  Shape want_shape;
  const std::vector<double> want =
      conv_reference(c, inputs[0], inputs[1], c.bias ? &inputs[2] : nullptr, win, want_shape);
  const std::vector<Tensor> out = run_ok(node, 11, inputs, c.name);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), c.dtype);
  expect_close(out[0], want_shape, want, tolerance_for(c.dtype),
               c.name + " (seed " + std::to_string(seed) + ")");
}

std::vector<WindowCase> conv_cases() {
  std::vector<WindowCase> cases;
  cases.push_back({.name = "2d_c3_m7_7x9", .x = {1, 3, 7, 9}, .out_channels = 7, .kernel = {3, 3}});
  cases.push_back({.name = "2d_c1_m1_batch2_no_bias",
                   .x = {2, 1, 7, 9},
                   .out_channels = 1,
                   .kernel = {3, 2},
                   .bias = false});
  cases.push_back({.name = "2d_c13_depthwise_stride2_pad1",
                   .x = {1, 13, 7, 9},
                   .out_channels = 13,
                   .kernel = {3, 3},
                   .group = 13,
                   .strides = {2, 2},
                   .pads = {1, 1, 1, 1}});
  cases.push_back({.name = "2d_depthwise_multiplier2",
                   .x = {1, 3, 8, 5},
                   .out_channels = 6,
                   .kernel = {3, 3},
                   .group = 3});
  cases.push_back({.name = "2d_group2_c6_m4",
                   .x = {2, 6, 7, 9},
                   .out_channels = 4,
                   .kernel = {3, 3},
                   .group = 2,
                   .pads = {1, 0, 1, 2}});
  cases.push_back({.name = "2d_dilation2_stride2_pads_one_side",
                   .x = {1, 7, 9, 11},
                   .out_channels = 3,
                   .kernel = {3, 3},
                   .strides = {2, 2},
                   .dilations = {2, 2},
                   .pads = {0, 2, 2, 0}});
  cases.push_back({.name = "2d_mixed_strides_dilations",
                   .x = {1, 3, 13, 7},
                   .out_channels = 7,
                   .kernel = {2, 3},
                   .strides = {3, 1},
                   .dilations = {1, 2},
                   .pads = {1, 0, 0, 1}});
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"}) {
    cases.push_back({.name = std::string("2d_auto_pad_") + mode + "_stride2",
                     .x = {1, 3, 7, 9},
                     .out_channels = 7,
                     .kernel = {3, 4},
                     .strides = {2, 2},
                     .auto_pad = mode});
    cases.push_back({.name = std::string("2d_auto_pad_") + mode + "_dilation2",
                     .x = {1, 1, 8, 9},
                     .out_channels = 3,
                     .kernel = {2, 3},
                     .dilations = {2, 2},
                     .auto_pad = mode});
  }
  cases.push_back({.name = "2d_kernel_shape_attribute",
                   .x = {1, 3, 7, 9},
                   .out_channels = 2,
                   .kernel = {3, 3},
                   .pads = {1, 1, 1, 1},
                   .kernel_shape_attribute = true});
  cases.push_back({.name = "2d_kernel_larger_than_input_with_pads",
                   .x = {1, 2, 2, 3},
                   .out_channels = 2,
                   .kernel = {4, 4},
                   .pads = {1, 1, 2, 1}});
  cases.push_back({.name = "1d_c7_m3_stride2_dilation2",
                   .x = {2, 7, 13},
                   .out_channels = 3,
                   .kernel = {5},
                   .strides = {2},
                   .dilations = {2},
                   .pads = {2, 1}});
  cases.push_back({.name = "1d_same_lower",
                   .x = {1, 3, 9},
                   .out_channels = 1,
                   .kernel = {4},
                   .strides = {2},
                   .auto_pad = "SAME_LOWER"});
  cases.push_back({.name = "3d_c3_m2",
                   .x = {1, 3, 5, 6, 7},
                   .out_channels = 2,
                   .kernel = {3, 2, 3},
                   .strides = {2, 1, 2},
                   .dilations = {1, 2, 1},
                   .pads = {1, 0, 1, 0, 1, 1}});
  cases.push_back({.name = "3d_group2_same_upper",
                   .x = {2, 4, 5, 5, 3},
                   .out_channels = 6,
                   .kernel = {2, 3, 2},
                   .group = 2,
                   .strides = {2, 2, 1},
                   .auto_pad = "SAME_UPPER"});
  cases.push_back({.name = "2d_float64",
                   .x = {1, 3, 7, 9},
                   .out_channels = 5,
                   .kernel = {3, 3},
                   .strides = {2, 1},
                   .pads = {1, 1, 0, 0},
                   .dtype = DType::kFloat64});
  cases.push_back({.name = "2d_float16_depthwise",
                   .x = {1, 7, 7, 9},
                   .out_channels = 7,
                   .kernel = {3, 3},
                   .group = 7,
                   .pads = {1, 1, 1, 1},
                   .dtype = DType::kFloat16});
  cases.push_back({.name = "1d_float16",
                   .x = {1, 3, 11},
                   .out_channels = 2,
                   .kernel = {3},
                   .dilations = {2},
                   .dtype = DType::kFloat16});
  return cases;
}

TEST(NnConv, MatchesDirectLoopOnRandomInputs) {
  std::uint32_t seed = 1000;
  for (const WindowCase& c : conv_cases()) check_conv_case(c, seed++);
}

// ONNX spec example (test_conv_with_strides_and_asymmetric_padding): x = 0..34 as 7x5, W all ones.
TEST(NnConv, SpecExampleStridesAsymmetricPadding) {
  std::vector<float> xv(35);
  for (int i = 0; i < 35; ++i) xv[static_cast<std::size_t>(i)] = static_cast<float>(i);
  const std::vector<Tensor> inputs = {float_tensor({1, 1, 7, 5}, xv),
                                      float_tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f))};
  ir::Node node = make_node("Conv", {"x", "w"});
  node.attributes.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  node.attributes.set("pads", std::vector<std::int64_t>{1, 0, 1, 0});
  node.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  const std::vector<Tensor> out = run_ok(node, 11, inputs, "spec example");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 1, 4, 2}, {21, 33, 99, 117, 189, 207, 171, 183}, 0, "spec example");
}

// test_conv_with_autopad_same: SAME_LOWER, stride 2 on 5x5 (pads 1 at the beginning).
TEST(NnConv, SpecExampleAutoPadSameLower) {
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[static_cast<std::size_t>(i)] = static_cast<float>(i);
  const std::vector<Tensor> inputs = {float_tensor({1, 1, 5, 5}, xv),
                                      float_tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f))};
  ir::Node node = make_node("Conv", {"x", "w"});
  node.attributes.set("auto_pad", std::string("SAME_LOWER"));
  node.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  const std::vector<Tensor> out = run_ok(node, 11, inputs, "spec example");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 1, 3, 3}, {12, 27, 24, 63, 108, 81, 72, 117, 84}, 0, "spec example");
}

struct ConvError {
  std::string name;
  Shape x;
  Shape w;
  std::vector<std::pair<std::string, ir::AttributeValue>> attributes;
  std::string expected_text;
  Shape b = {};
};

TEST(NnConv, RejectsBadAttributesAndShapes) {
  const std::vector<ConvError> cases = {
      {"group does not divide channels",
       {1, 3, 5, 5},
       {2, 1, 3, 3},
       {{"group", std::int64_t{2}}},
       "'group'"},
      {"group zero", {1, 4, 5, 5}, {2, 2, 3, 3}, {{"group", std::int64_t{0}}}, "'group'"},
      {"output channels not divisible by group",
       {1, 4, 5, 5},
       {3, 2, 3, 3},
       {{"group", std::int64_t{2}}},
       "'group'"},
      {"weights rank", {1, 3, 5, 5}, {2, 3, 3}, {}, "rank"},
      {"input rank 2", {3, 5}, {2, 3}, {}, "rank"},
      {"zero stride",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"strides", std::vector<std::int64_t>{1, 0}}},
       "'strides'"},
      {"negative dilation",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"dilations", std::vector<std::int64_t>{-1, 1}}},
       "'dilations'"},
      {"negative pads",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"pads", std::vector<std::int64_t>{0, 0, -1, 0}}},
       "'pads'"},
      {"pads length",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"pads", std::vector<std::int64_t>{1, 1}}},
       "'pads'"},
      {"strides length",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"strides", std::vector<std::int64_t>{1, 1, 1}}},
       "'strides'"},
      {"kernel_shape mismatch",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"kernel_shape", std::vector<std::int64_t>{3, 2}}},
       "'kernel_shape'"},
      {"kernel larger than input", {1, 3, 2, 5}, {2, 3, 3, 3}, {}, "padded input"},
      {"dilated kernel larger than input",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"dilations", std::vector<std::int64_t>{3, 1}}},
       "'dilations'"},
      {"bad auto_pad",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"auto_pad", std::string("SAME")}},
       "'auto_pad'"},
      {"strides wrong type", {1, 3, 5, 5}, {2, 3, 3, 3}, {{"strides", std::int64_t{2}}}, "strides"},
      {"huge dilation overflows",
       {1, 3, 5, 5},
       {2, 3, 3, 3},
       {{"dilations", std::vector<std::int64_t>{std::int64_t{1} << 62, 1}}},
       "overflow"},
      {"bias shape", {1, 3, 5, 5}, {2, 3, 3, 3}, {}, "bias", {3}},
  };
  for (const ConvError& c : cases) {
    SCOPED_TRACE(c.name);
    ir::Node node = make_node("Conv", c.b.empty() ? std::vector<std::string>{"x", "w"}
                                                  : std::vector<std::string>{"x", "w", "b"});
    for (const auto& [name, value] : c.attributes) node.attributes.set(name, value);
    std::vector<Tensor> inputs = {Tensor::zeros(DType::kFloat32, c.x),
                                  Tensor::zeros(DType::kFloat32, c.w)};
    if (!c.b.empty()) inputs.push_back(Tensor::zeros(DType::kFloat32, c.b));
    const Status status = run_status(node, 11, inputs);
    EXPECT_FALSE(status.is_ok());
    EXPECT_THAT(status.message(), HasSubstr(c.expected_text));
    EXPECT_THAT(status.message(), HasSubstr("Conv"));
  }
}

TEST(NnConv, RejectsMismatchedAndUnsupportedDtypes) {
  ir::Node node = make_node("Conv", {"x", "w"});
  Status status = run_status(
      node, 11,
      {Tensor::zeros(DType::kFloat32, {1, 1, 3, 3}), Tensor::zeros(DType::kFloat64, {1, 1, 3, 3})});
  EXPECT_FALSE(status.is_ok());
  status = run_status(
      node, 11,
      {Tensor::zeros(DType::kInt32, {1, 1, 3, 3}), Tensor::zeros(DType::kInt32, {1, 1, 3, 3})});
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  status = run_status(node, 11, {Tensor::zeros(DType::kFloat32, {1, 1, 3, 3})});
  EXPECT_FALSE(status.is_ok());
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose

struct TransposeReferenceWindow {
  Shape out;
  std::vector<std::int64_t> pad_begin;
};

// The ONNX ConvTranspose output rule, written independently of the engine.
TransposeReferenceWindow conv_transpose_reference_window(const WindowCase& c) {
  TransposeReferenceWindow w;
  const std::size_t rank = c.x.size() - 2;
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t in = c.x[2 + i];
    const std::int64_t s = value_or_one(c.strides, i);
    const std::int64_t d = value_or_one(c.dilations, i);
    const std::int64_t extra = c.output_padding.empty() ? 0 : c.output_padding[i];
    const std::int64_t full = s * (in - 1) + extra + (c.kernel[i] - 1) * d + 1;
    std::int64_t requested = -1;
    if (!c.output_shape.empty()) {
      requested = c.output_shape[c.output_shape.size() - rank + i];
    } else if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      requested = in * s;
    }
    if (requested >= 0) {
      const std::int64_t total = std::max<std::int64_t>(full - requested, 0);
      w.out.push_back(requested);
      w.pad_begin.push_back(c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2);
    } else if (c.auto_pad == "VALID") {
      w.out.push_back(full);
      w.pad_begin.push_back(0);
    } else {
      const std::int64_t begin = c.pads.empty() ? 0 : c.pads[i];
      const std::int64_t end = c.pads.empty() ? 0 : c.pads[rank + i];
      w.out.push_back(full - begin - end);
      w.pad_begin.push_back(begin);
    }
  }
  return w;
}

// Scatter form: every x[n, c, i] * w[c, m', k] lands on y[n, g * M/group + m', i * s + k * d -
// pad].
std::vector<double> conv_transpose_reference(const WindowCase& c, const Tensor& x, const Tensor& w,
                                             const Tensor* b, const TransposeReferenceWindow& win,
                                             Shape& out_shape) {
  const std::vector<double> xv = to_doubles(x);
  const std::vector<double> wv = to_doubles(w);
  const std::size_t rank = c.x.size() - 2;
  const Shape x_spatial(c.x.begin() + 2, c.x.end());
  const std::int64_t channels = c.x[1];
  const std::int64_t group_in = channels / c.group;
  const std::int64_t group_out = c.out_channels / c.group;
  out_shape = {c.x[0], c.out_channels};
  out_shape.insert(out_shape.end(), win.out.begin(), win.out.end());
  const std::int64_t out_spatial = count_of(win.out);
  std::vector<double> y(static_cast<std::size_t>(count_of(out_shape)), 0.0);
  for (std::int64_t n = 0; n < c.x[0]; ++n) {
    for (std::int64_t m = 0; m < c.out_channels; ++m) {
      for (std::int64_t o = 0; o < out_spatial; ++o) {
        y[static_cast<std::size_t>((n * c.out_channels + m) * out_spatial + o)] =
            b != nullptr ? b->element_as_double(m) : 0.0;
      }
    }
  }
  for_each_index(c.x, [&](const Shape& xi) {
    const std::int64_t n = xi[0];
    const std::int64_t ch = xi[1];
    const std::int64_t group = ch / group_in;
    const double xval = xv[static_cast<std::size_t>(offset_of(c.x, xi))];
    for (std::int64_t mg = 0; mg < group_out; ++mg) {
      const std::int64_t m = group * group_out + mg;
      for_each_index(c.kernel, [&](const Shape& k) {
        Shape pos(rank);
        for (std::size_t i = 0; i < rank; ++i) {
          pos[i] = xi[2 + i] * value_or_one(c.strides, i) + k[i] * value_or_one(c.dilations, i) -
                   win.pad_begin[i];
          if (pos[i] < 0 || pos[i] >= win.out[i]) return;
        }
        const std::int64_t w_off =
            (ch * group_out + mg) * count_of(c.kernel) + offset_of(c.kernel, k);
        const std::int64_t y_off = (n * c.out_channels + m) * out_spatial + offset_of(win.out, pos);
        y[static_cast<std::size_t>(y_off)] += xval * wv[static_cast<std::size_t>(w_off)];
      });
    }
  });
  return y;
}

void check_conv_transpose_case(const WindowCase& c, std::uint32_t seed) {
  SCOPED_TRACE(c.name + ", seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  Shape w_shape = {c.x[1], c.out_channels / c.group};
  w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
  std::vector<Tensor> inputs = {random_tensor(rng, c.dtype, c.x),
                                random_tensor(rng, c.dtype, w_shape)};
  if (c.bias) inputs.push_back(random_tensor(rng, c.dtype, {c.out_channels}));
  ir::Node node = make_node("ConvTranspose", c.bias ? std::vector<std::string>{"x", "w", "b"}
                                                    : std::vector<std::string>{"x", "w"});
  set_window_attributes(node, c);
  const TransposeReferenceWindow win = conv_transpose_reference_window(c);
  Shape want_shape;
  const std::vector<double> want = conv_transpose_reference(
      c, inputs[0], inputs[1], c.bias ? &inputs[2] : nullptr, win, want_shape);
  const std::vector<Tensor> out = run_ok(node, 11, inputs, c.name);
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], want_shape, want, tolerance_for(c.dtype),
               c.name + " (seed " + std::to_string(seed) + ")");
}

std::vector<WindowCase> conv_transpose_cases() {
  std::vector<WindowCase> cases;
  cases.push_back({.name = "2d_c3_m2", .x = {1, 3, 5, 4}, .out_channels = 2, .kernel = {3, 3}});
  cases.push_back({.name = "2d_stride2_pads_one_side_output_padding",
                   .x = {2, 3, 7, 9},
                   .out_channels = 7,
                   .kernel = {3, 3},
                   .strides = {2, 2},
                   .pads = {1, 0, 0, 2},
                   .output_padding = {1, 0}});
  cases.push_back({.name = "2d_group2_dilation2_stride3",
                   .x = {1, 4, 5, 3},
                   .out_channels = 6,
                   .kernel = {3, 2},
                   .group = 2,
                   .strides = {3, 2},
                   .dilations = {2, 2},
                   .pads = {1, 1, 2, 0}});
  cases.push_back({.name = "2d_depthwise_c13",
                   .x = {1, 13, 4, 5},
                   .out_channels = 13,
                   .kernel = {3, 3},
                   .group = 13,
                   .strides = {2, 2},
                   .bias = false});
  cases.push_back({.name = "2d_output_shape_odd_total",
                   .x = {1, 3, 4, 5},
                   .out_channels = 2,
                   .kernel = {3, 3},
                   .strides = {2, 2},
                   .output_shape = {8, 9}});
  cases.push_back({.name = "2d_output_shape_larger_than_full",
                   .x = {1, 1, 3, 3},
                   .out_channels = 2,
                   .kernel = {3, 3},
                   .strides = {3, 2},
                   .output_shape = {1, 2, 10, 8}});
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    cases.push_back({.name = std::string("2d_auto_pad_") + mode,
                     .x = {1, 3, 5, 7},
                     .out_channels = 3,
                     .kernel = {4, 3},
                     .strides = {2, 3},
                     .auto_pad = mode});
  }
  cases.push_back({.name = "1d_c7_stride2_dilation2",
                   .x = {2, 7, 9},
                   .out_channels = 3,
                   .kernel = {3},
                   .strides = {2},
                   .dilations = {2},
                   .pads = {1, 2},
                   .output_padding = {1}});
  cases.push_back({.name = "3d_c3",
                   .x = {1, 3, 3, 4, 5},
                   .out_channels = 2,
                   .kernel = {3, 2, 3},
                   .strides = {2, 1, 2},
                   .pads = {0, 1, 1, 1, 0, 0}});
  cases.push_back({.name = "2d_float64",
                   .x = {1, 3, 5, 4},
                   .out_channels = 2,
                   .kernel = {2, 3},
                   .strides = {2, 2},
                   .dtype = DType::kFloat64});
  cases.push_back({.name = "2d_float16",
                   .x = {1, 3, 5, 4},
                   .out_channels = 2,
                   .kernel = {2, 3},
                   .strides = {2, 2},
                   .dtype = DType::kFloat16});
  return cases;
}

TEST(NnConvTranspose, MatchesScatterLoopOnRandomInputs) {
  std::uint32_t seed = 2000;
  for (const WindowCase& c : conv_transpose_cases()) check_conv_transpose_case(c, seed++);
}

// test_convtranspose_1d from the ONNX backend tests: x = [0, 1, 2], W = ones(1, 2, 3).
TEST(NnConvTranspose, SpecExample1d) {
  const std::vector<Tensor> inputs = {float_tensor({1, 1, 3}, {0, 1, 2}),
                                      float_tensor({1, 2, 3}, std::vector<float>(6, 1.0f))};
  const std::vector<Tensor> out =
      run_ok(make_node("ConvTranspose", {"x", "w"}), 11, inputs, "spec example");
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {1, 2, 5}, {0, 1, 3, 3, 2, 0, 1, 3, 3, 2}, 0, "spec example");
}

TEST(NnConvTranspose, RejectsBadAttributesAndShapes) {
  struct Case {
    std::string name;
    Shape x;
    Shape w;
    std::vector<std::pair<std::string, ir::AttributeValue>> attributes;
    std::string expected_text;
  };
  const std::vector<Case> cases = {
      {"weights input channels", {1, 3, 3, 3}, {2, 1, 3, 3}, {}, "input channels"},
      {"group does not divide channels",
       {1, 3, 3, 3},
       {3, 1, 3, 3},
       {{"group", std::int64_t{2}}},
       "'group'"},
      {"negative output_padding",
       {1, 1, 3, 3},
       {1, 1, 3, 3},
       {{"output_padding", std::vector<std::int64_t>{-1, 0}}},
       "'output_padding'"},
      {"output_padding length",
       {1, 1, 3, 3},
       {1, 1, 3, 3},
       {{"output_padding", std::vector<std::int64_t>{1}}},
       "'output_padding'"},
      {"output_shape length",
       {1, 1, 3, 3},
       {1, 1, 3, 3},
       {{"output_shape", std::vector<std::int64_t>{5, 5, 5}}},
       "'output_shape'"},
      {"output_shape zero",
       {1, 1, 3, 3},
       {1, 1, 3, 3},
       {{"output_shape", std::vector<std::int64_t>{0, 5}}},
       "'output_shape'"},
      {"pads eat the output",
       {1, 1, 1, 1},
       {1, 1, 1, 1},
       {{"pads", std::vector<std::int64_t>{1, 0, 0, 0}}},
       "positive"},
      {"zero stride",
       {1, 1, 3, 3},
       {1, 1, 3, 3},
       {{"strides", std::vector<std::int64_t>{0, 1}}},
       "'strides'"},
      {"weights rank", {1, 1, 3, 3}, {1, 1, 3}, {}, "rank"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ir::Node node = make_node("ConvTranspose", {"x", "w"});
    for (const auto& [name, value] : c.attributes) node.attributes.set(name, value);
    const Status status = run_status(
        node, 11, {Tensor::zeros(DType::kFloat32, c.x), Tensor::zeros(DType::kFloat32, c.w)});
    EXPECT_FALSE(status.is_ok());
    EXPECT_THAT(status.message(), HasSubstr(c.expected_text));
  }
}

}  // namespace
}  // namespace edgebench::engine
