// ConvInteger and QLinearConv against a direct convolution loop written here (exact integers),
// on seeded random inputs: 1-D, 2-D and 3-D; channels 1, 3, 7, 13; groups and depthwise; strides,
// dilations, explicit pads and every auto_pad; per-tensor and per-output-channel weights.
#include "linquant_test_util.h"

namespace edgebench::engine {
namespace {

using linquant_test::count_of;
using linquant_test::make_node;
using linquant_test::Random;
using linquant_test::reference_round;
using linquant_test::reference_saturate;
using linquant_test::run;
using linquant_test::scalar_of;
using linquant_test::tensor_of;
using linquant_test::values_of;

struct ConvCase {
  std::string label;
  std::int64_t n = 1;
  std::int64_t c = 1;
  std::int64_t m = 1;
  std::int64_t group = 1;
  Shape in;                             // spatial dims
  Shape kernel;                         // spatial dims
  std::vector<std::int64_t> strides;    // empty: attribute absent
  std::vector<std::int64_t> dilations;  // empty: attribute absent
  std::vector<std::int64_t> pads;       // empty: attribute absent
  std::string auto_pad;                 // empty: attribute absent
  bool give_kernel_shape = false;

  Shape x_shape() const {
    Shape s = {n, c};
    s.insert(s.end(), in.begin(), in.end());
    return s;
  }
  Shape w_shape() const {
    Shape s = {m, c / group};
    s.insert(s.end(), kernel.begin(), kernel.end());
    return s;
  }
  void set_attributes(ir::Node& node) const {
    if (!strides.empty()) node.attributes.set("strides", strides);
    if (!dilations.empty()) node.attributes.set("dilations", dilations);
    if (!pads.empty()) node.attributes.set("pads", pads);
    if (!auto_pad.empty()) node.attributes.set("auto_pad", auto_pad);
    if (group != 1) node.attributes.set("group", group);
    if (give_kernel_shape) node.attributes.set("kernel_shape", std::vector<std::int64_t>(kernel));
  }
};

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {"2-D defaults", 1, 1, 1, 1, {5, 5}, {3, 3}, {}, {}, {}, ""},
      {"3 -> 7 channels, pads 1", 1, 3, 7, 1, {7, 9}, {3, 3}, {}, {}, {1, 1, 1, 1}, ""},
      {"13 -> 3, strides, dilation, uneven pads",
       1,
       13,
       3,
       1,
       {9, 11},
       {3, 5},
       {2, 3},
       {2, 1},
       {1, 2, 0, 3},
       ""},
      {"depthwise 7, SAME_UPPER stride 2",
       2,
       7,
       7,
       7,
       {13, 13},
       {3, 3},
       {2, 2},
       {},
       {},
       "SAME_UPPER"},
      {"13 groups of 2 -> 1, SAME_LOWER stride 2",
       1,
       26,
       13,
       13,
       {5, 7},
       {2, 2},
       {2, 2},
       {},
       {},
       "SAME_LOWER"},
      {"3 groups, 3 -> 6", 1, 3, 6, 3, {6, 5}, {2, 3}, {1, 2}, {}, {0, 1, 1, 0}, ""},
      {"1-D stride 3 dilation 2", 2, 3, 5, 1, {17}, {4}, {3}, {2}, {2, 1}, ""},
      {"3-D", 2, 2, 3, 1, {5, 6, 7}, {2, 3, 2}, {1, 2, 1}, {}, {1, 0, 1, 0, 1, 1}, ""},
      {"VALID stride 2", 1, 7, 1, 1, {8, 8}, {5, 5}, {2, 2}, {}, {}, "VALID"},
      {"pointwise 13 -> 7, batch 3", 3, 13, 7, 1, {3, 3}, {1, 1}, {}, {}, {}, ""},
      {"kernel larger than the unpadded input",
       1,
       3,
       2,
       1,
       {2, 2},
       {3, 3},
       {},
       {},
       {1, 1, 1, 1},
       ""},
      {"SAME_UPPER dilation 2", 1, 3, 3, 1, {7, 6}, {3, 2}, {}, {2, 2}, {}, "SAME_UPPER"},
      {"SAME_LOWER stride 3", 1, 1, 3, 1, {10, 4}, {4, 3}, {3, 3}, {}, {}, "SAME_LOWER"},
      {"explicit kernel_shape, NOTSET",
       1,
       3,
       3,
       1,
       {5, 4},
       {2, 2},
       {1, 1},
       {1, 1},
       {},
       "NOTSET",
       true},
      {"1-D SAME_UPPER 127 long", 1, 1, 1, 1, {127}, {7}, {5}, {}, {}, "SAME_UPPER"},
  };
  return cases;
}

// The spec's output sizes and begin pads, written out per auto_pad mode.
struct Spatial {
  Shape out;
  std::vector<std::int64_t> pad_begin;
};
Spatial reference_spatial(const ConvCase& c) {
  Spatial s;
  for (std::size_t d = 0; d < c.in.size(); ++d) {
    const std::int64_t in = c.in[d];
    const std::int64_t k = c.kernel[d];
    const std::int64_t stride = c.strides.empty() ? 1 : c.strides[d];
    const std::int64_t dilation = c.dilations.empty() ? 1 : c.dilations[d];
    const std::int64_t effective = (k - 1) * dilation + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      const auto out = static_cast<std::int64_t>(std::ceil(static_cast<double>(in) / stride));
      const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * stride + effective - in);
      s.out.push_back(out);
      s.pad_begin.push_back(c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2);
    } else if (c.auto_pad == "VALID") {
      s.out.push_back(
          static_cast<std::int64_t>(std::ceil(static_cast<double>(in - effective + 1) / stride)));
      s.pad_begin.push_back(0);
    } else {
      const std::int64_t begin = c.pads.empty() ? 0 : c.pads[d];
      const std::int64_t end = c.pads.empty() ? 0 : c.pads[d + c.in.size()];
      s.out.push_back((in + begin + end - effective) / stride + 1);
      s.pad_begin.push_back(begin);
    }
  }
  return s;
}

// Exact conv of (x - x_zp) and (w - w_zp[m]) in int64, by direct loops over (up to) three spatial
// dims; lower ranks are padded with unit dims in front.
std::vector<std::int64_t> reference_conv(const ConvCase& c, const std::vector<double>& x,
                                         double x_zp, const std::vector<double>& w,
                                         const std::vector<double>& w_zp, Shape* out_shape) {
  const Spatial sp = reference_spatial(c);
  const std::size_t lead = 3 - c.in.size();
  auto widen = [&](const std::vector<std::int64_t>& v, std::int64_t fill) {
    std::vector<std::int64_t> out(lead, fill);
    out.insert(out.end(), v.begin(), v.end());
    return out;
  };
  const auto in = widen(c.in, 1);
  const auto kernel = widen(c.kernel, 1);
  const auto out = widen(sp.out, 1);
  const auto pad = widen(sp.pad_begin, 0);
  const auto stride =
      widen(c.strides.empty() ? std::vector<std::int64_t>(c.in.size(), 1) : c.strides, 1);
  const auto dilation =
      widen(c.dilations.empty() ? std::vector<std::int64_t>(c.in.size(), 1) : c.dilations, 1);
  const std::int64_t cg = c.c / c.group;
  const std::int64_t mg = c.m / c.group;
  std::vector<std::int64_t> y;
  for (std::int64_t n = 0; n < c.n; ++n) {
    for (std::int64_t m = 0; m < c.m; ++m) {
      const double wz = w_zp.size() > 1 ? w_zp[static_cast<std::size_t>(m)] : w_zp[0];
      for (std::int64_t o0 = 0; o0 < out[0]; ++o0) {
        for (std::int64_t o1 = 0; o1 < out[1]; ++o1) {
          for (std::int64_t o2 = 0; o2 < out[2]; ++o2) {
            std::int64_t sum = 0;
            for (std::int64_t ci = 0; ci < cg; ++ci) {
              const std::int64_t channel = (m / mg) * cg + ci;
              for (std::int64_t k0 = 0; k0 < kernel[0]; ++k0) {
                for (std::int64_t k1 = 0; k1 < kernel[1]; ++k1) {
                  for (std::int64_t k2 = 0; k2 < kernel[2]; ++k2) {
                    const std::int64_t i0 = o0 * stride[0] - pad[0] + k0 * dilation[0];
                    const std::int64_t i1 = o1 * stride[1] - pad[1] + k1 * dilation[1];
                    const std::int64_t i2 = o2 * stride[2] - pad[2] + k2 * dilation[2];
                    if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2]) {
                      continue;  // padding: the zero point, i.e. 0 after centering
                    }
                    const std::int64_t xi =
                        (((n * c.c + channel) * in[0] + i0) * in[1] + i1) * in[2] + i2;
                    const std::int64_t wi =
                        (((m * cg + ci) * kernel[0] + k0) * kernel[1] + k1) * kernel[2] + k2;
                    sum += static_cast<std::int64_t>(x[static_cast<std::size_t>(xi)] - x_zp) *
                           static_cast<std::int64_t>(w[static_cast<std::size_t>(wi)] - wz);
                  }
                }
              }
            }
            y.push_back(sum);
          }
        }
      }
    }
  }
  *out_shape = {c.n, c.m};
  out_shape->insert(out_shape->end(), sp.out.begin(), sp.out.end());
  return y;
}

TEST(LinQuantConvInteger, MatchesExactIntegerReference) {
  std::uint32_t seed = 8000;
  for (const ConvCase& c : conv_cases()) {
    for (DType x_dtype : {DType::kUInt8, DType::kInt8}) {
      for (DType w_dtype : {DType::kUInt8, DType::kInt8}) {
        for (int zero_points = 0; zero_points < 4; ++zero_points) {
          // 0: none; 1: x only; 2: both per tensor; 3: x per tensor, w per output channel.
          ++seed;
          Random random(seed);
          const std::vector<double> x = random.quantized(x_dtype, count_of(c.x_shape()));
          const std::vector<double> w = random.quantized(w_dtype, count_of(c.w_shape()));
          const double x_zp = zero_points >= 1 ? random.quantized(x_dtype, 1)[0] : 0.0;
          const std::vector<double> w_zp = zero_points == 3   ? random.quantized(w_dtype, c.m)
                                           : zero_points == 2 ? random.quantized(w_dtype, 1)
                                                              : std::vector<double>{0.0};
          std::vector<Tensor> inputs = {tensor_of(x_dtype, c.x_shape(), x),
                                        tensor_of(w_dtype, c.w_shape(), w)};
          if (zero_points >= 1) inputs.push_back(scalar_of(x_dtype, x_zp));
          if (zero_points == 2) inputs.push_back(scalar_of(w_dtype, w_zp[0]));
          if (zero_points == 3) inputs.push_back(tensor_of(w_dtype, {c.m}, w_zp));
          ir::Node node = make_node("ConvInteger", 4);
          c.set_attributes(node);
          auto out = run(node, 10, inputs);
          ASSERT_TRUE(out.is_ok())
              << c.label << ": " << out.status().to_string() << " seed " << seed;
          Shape want_shape;
          const std::vector<std::int64_t> want = reference_conv(c, x, x_zp, w, w_zp, &want_shape);
          const Tensor& y = (*out)[0];
          ASSERT_EQ(y.dtype(), DType::kInt32);
          ASSERT_EQ(y.shape(), want_shape) << c.label << " seed " << seed;
          for (std::int64_t i = 0; i < y.element_count(); ++i) {
            ASSERT_EQ(y.data<std::int32_t>()[i], want[static_cast<std::size_t>(i)])
                << c.label << " element " << i << " seed " << seed;
          }
        }
      }
    }
  }
}

TEST(LinQuantConvInteger, RejectsBadInputsAndAttributes) {
  const ConvCase base{"base", 1, 4, 2, 1, {5, 5}, {3, 3}, {}, {}, {}, ""};
  const Tensor x = tensor_of(DType::kUInt8, base.x_shape(), std::vector<double>(100, 1.0));
  const Tensor w = tensor_of(DType::kUInt8, base.w_shape(), std::vector<double>(72, 1.0));
  struct Case {
    std::string what;
    std::vector<Tensor> inputs;
    std::vector<std::pair<std::string, ir::AttributeValue>> attributes;
  };
  const Case cases[] = {
      {"x zero point per channel", {x, w, tensor_of(DType::kUInt8, {4}, {0, 0, 0, 0})}, {}},
      {"x zero point dtype differs from x", {x, w, scalar_of(DType::kInt8, 0)}, {}},
      {"w zero point dtype differs from w",
       {x, w, scalar_of(DType::kUInt8, 0), scalar_of(DType::kInt8, 0)},
       {}},
      {"w zero point count is not M",
       {x, w, Tensor{}, tensor_of(DType::kUInt8, {3}, {0, 0, 0})},
       {}},
      {"group does not divide C", {x, w}, {{"group", std::int64_t{3}}}},
      {"w has the wrong channels per group", {x, w}, {{"group", std::int64_t{2}}}},
      {"group 0", {x, w}, {{"group", std::int64_t{0}}}},
      {"unknown auto_pad", {x, w}, {{"auto_pad", std::string("SAME")}}},
      {"negative pad", {x, w}, {{"pads", std::vector<std::int64_t>{0, -1, 0, 0}}}},
      {"pads of the wrong length", {x, w}, {{"pads", std::vector<std::int64_t>{1, 1}}}},
      {"zero stride", {x, w}, {{"strides", std::vector<std::int64_t>{1, 0}}}},
      {"strides of the wrong length", {x, w}, {{"strides", std::vector<std::int64_t>{1, 1, 1}}}},
      {"zero dilation", {x, w}, {{"dilations", std::vector<std::int64_t>{0, 1}}}},
      {"kernel_shape differs from w", {x, w}, {{"kernel_shape", std::vector<std::int64_t>{2, 2}}}},
      {"kernel larger than the input", {x, w}, {{"dilations", std::vector<std::int64_t>{3, 1}}}},
      {"huge dilation", {x, w}, {{"dilations", std::vector<std::int64_t>{INT64_MAX / 2, 1}}}},
      {"huge pads", {x, w}, {{"pads", std::vector<std::int64_t>{INT64_MAX, 0, INT64_MAX, 0}}}},
      {"rank-2 x", {tensor_of(DType::kUInt8, {4, 25}, std::vector<double>(100)), w}, {}},
      {"w rank differs from x",
       {x, tensor_of(DType::kUInt8, {2, 4, 9}, std::vector<double>(72))},
       {}},
      {"float x", {tensor_of(DType::kFloat32, base.x_shape(), std::vector<double>(100)), w}, {}},
  };
  for (const Case& c : cases) {
    ir::Node node = make_node("ConvInteger", 4);
    for (const auto& [name, value] : c.attributes) node.attributes.set(name, value);
    auto out = run(node, 10, c.inputs);
    EXPECT_FALSE(out.is_ok()) << c.what;
  }
}

// See linquant_qmatmul_test.cc: a long double reference; exact except within 1e-6 of a .5 tie,
// where the kernel's double multiplier may round the other way (at most one unit).
TEST(LinQuantQLinearConv, MatchesIntegerReferencePerTensorAndPerChannel) {
  std::uint32_t seed = 9000;
  int outputs = 0;
  int unsaturated = 0;
  for (const ConvCase& c : conv_cases()) {
    for (DType x_dtype : {DType::kUInt8, DType::kInt8}) {
      for (DType w_dtype : {DType::kUInt8, DType::kInt8}) {
        for (bool per_channel : {false, true}) {
          for (bool with_bias : {false, true}) {
            ++seed;
            Random random(seed);
            const DType y_dtype = seed % 2 == 0 ? DType::kUInt8 : DType::kInt8;
            const std::int64_t params = per_channel ? c.m : 1;
            const Shape param_shape = per_channel ? Shape{c.m} : Shape{};
            const std::vector<double> x = random.quantized(x_dtype, count_of(c.x_shape()));
            const std::vector<double> w = random.quantized(w_dtype, count_of(c.w_shape()));
            const double x_zp = random.quantized(x_dtype, 1)[0];
            const std::vector<double> w_zp = random.quantized(w_dtype, params);
            const double x_scale = random.real(0.001, 0.05);
            const std::vector<double> w_scale = random.floats(params, 0.001, 0.05);
            const std::vector<double> bias = random.ints(c.m, -20000, 20000);
            Shape want_shape;
            const std::vector<std::int64_t> acc = reference_conv(c, x, x_zp, w, w_zp, &want_shape);
            const std::int64_t out_size = count_of(want_shape) / (c.n * c.m);
            auto real_sum = [&](std::size_t i) {  // (acc + bias) * x_scale * w_scale, exact
              const auto m =
                  static_cast<std::size_t>(static_cast<std::int64_t>(i) / out_size % c.m);
              const std::int64_t sum =
                  acc[i] + (with_bias ? static_cast<std::int64_t>(bias[m]) : 0);
              return static_cast<long double>(sum) * x_scale * w_scale[per_channel ? m : 0];
            };
            // A y scale that maps the largest |real value| to 40..160, so that most outputs are
            // in range (rounding is what is tested) and a few saturate.
            long double largest = 0;
            for (std::size_t i = 0; i < acc.size(); ++i)
              largest = std::max(largest, std::fabs(real_sum(i)));
            const double y_scale = static_cast<float>(
                largest > 0 ? static_cast<double>(largest) / random.real(40.0, 160.0) : 1.0);
            const double y_zp = random.quantized(y_dtype, 1)[0];
            std::vector<Tensor> inputs = {tensor_of(x_dtype, c.x_shape(), x),
                                          scalar_of(DType::kFloat32, x_scale),
                                          scalar_of(x_dtype, x_zp),
                                          tensor_of(w_dtype, c.w_shape(), w),
                                          tensor_of(DType::kFloat32, param_shape, w_scale),
                                          tensor_of(w_dtype, param_shape, w_zp),
                                          scalar_of(DType::kFloat32, y_scale),
                                          scalar_of(y_dtype, y_zp)};
            if (with_bias) inputs.push_back(tensor_of(DType::kInt32, {c.m}, bias));
            ir::Node node = make_node("QLinearConv", 9);
            c.set_attributes(node);
            auto out = run(node, 10, inputs);
            ASSERT_TRUE(out.is_ok())
                << c.label << ": " << out.status().to_string() << " seed " << seed;
            const Tensor& y = (*out)[0];
            ASSERT_EQ(y.dtype(), y_dtype);
            ASSERT_EQ(y.shape(), want_shape) << c.label << " seed " << seed;
            const std::vector<double> got = values_of(y);
            for (std::int64_t i = 0; i < y.element_count(); ++i) {
              const long double real = real_sum(static_cast<std::size_t>(i)) / y_scale;
              const double want =
                  reference_saturate(reference_round(static_cast<double>(real)) + y_zp, y_dtype);
              const double fraction = static_cast<double>(real - std::floor(real));
              if (std::fabs(fraction - 0.5) < 1e-6) {
                ASSERT_LE(std::fabs(got[static_cast<std::size_t>(i)] - want), 1.0)
                    << c.label << " element " << i << " seed " << seed;
              } else {
                ASSERT_EQ(got[static_cast<std::size_t>(i)], want)
                    << c.label << " element " << i << " seed " << seed;
              }
              unsaturated +=
                  got[static_cast<std::size_t>(i)] != reference_saturate(-1e9, y_dtype) &&
                  got[static_cast<std::size_t>(i)] != reference_saturate(1e9, y_dtype);
              ++outputs;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(unsaturated, outputs * 3 / 4) << "too many saturated outputs to test rounding";
}

TEST(LinQuantQLinearConv, RoundsTiesToEvenAndSaturates) {
  // A 1x1 conv of one channel: acc = x (+ bias), multiplier 1 * 0.5 / 1.
  const Tensor x = tensor_of(DType::kInt8, {1, 1, 1, 8}, {1, 3, 5, -1, -3, -5, 127, -128});
  auto run_with = [&](double w_scale, const Tensor& bias, DType y_dtype, double y_zp) {
    std::vector<Tensor> inputs = {x,
                                  scalar_of(DType::kFloat32, 1.0),
                                  scalar_of(DType::kInt8, 0),
                                  tensor_of(DType::kInt8, {1, 1, 1, 1}, {1}),
                                  tensor_of(DType::kFloat32, {1}, {w_scale}),
                                  tensor_of(DType::kInt8, {1}, {0}),
                                  scalar_of(DType::kFloat32, 1.0),
                                  scalar_of(y_dtype, y_zp)};
    if (bias.defined()) inputs.push_back(bias);
    return run(make_node("QLinearConv", 9), 10, inputs);
  };
  auto ties = run_with(0.5, Tensor{}, DType::kInt8, 0);
  ASSERT_TRUE(ties.is_ok()) << ties.status().to_string();
  EXPECT_EQ(values_of((*ties)[0]), (std::vector<double>{0, 2, 2, 0, -2, -2, 64, -64}));
  // Bias 2 moves every tie by one: 1.5, 2.5, 3.5, 0.5, -0.5, -1.5.
  auto biased = run_with(0.5, tensor_of(DType::kInt32, {1}, {2}), DType::kInt8, 0);
  ASSERT_TRUE(biased.is_ok()) << biased.status().to_string();
  EXPECT_EQ(values_of((*biased)[0]), (std::vector<double>{2, 2, 4, 0, 0, -2, 64, -63}));
  auto saturated = run_with(4.0, Tensor{}, DType::kUInt8, 10);
  ASSERT_TRUE(saturated.is_ok());
  EXPECT_EQ(values_of((*saturated)[0]), (std::vector<double>{14, 22, 30, 6, 0, 0, 255, 0}));
}

TEST(LinQuantQLinearConv, RejectsBadInputs) {
  const ConvCase base{"base", 1, 2, 3, 1, {4, 4}, {2, 2}, {}, {}, {}, ""};
  const Tensor x = tensor_of(DType::kUInt8, base.x_shape(), std::vector<double>(32, 1.0));
  const Tensor w = tensor_of(DType::kInt8, base.w_shape(), std::vector<double>(24, 1.0));
  const Tensor one = scalar_of(DType::kFloat32, 1.0);
  auto inputs_with = [&](std::size_t i, Tensor t) {
    std::vector<Tensor> inputs = {x,
                                  one,
                                  scalar_of(DType::kUInt8, 0),
                                  w,
                                  one,
                                  scalar_of(DType::kInt8, 0),
                                  one,
                                  scalar_of(DType::kUInt8, 0),
                                  tensor_of(DType::kInt32, {3}, {1, 2, 3})};
    if (i < inputs.size()) inputs[i] = std::move(t);
    return inputs;
  };
  struct Case {
    std::string what;
    std::vector<Tensor> inputs;
  };
  const Case cases[] = {
      {"bias of the wrong length", inputs_with(8, tensor_of(DType::kInt32, {2}, {1, 2}))},
      {"int8 bias", inputs_with(8, tensor_of(DType::kInt8, {3}, {1, 2, 3}))},
      {"w scale count is not M", inputs_with(4, tensor_of(DType::kFloat32, {2}, {1, 1}))},
      {"w zero point count is not M", inputs_with(5, tensor_of(DType::kInt8, {4}, {0, 0, 0, 0}))},
      {"x scale per channel", inputs_with(1, tensor_of(DType::kFloat32, {2}, {1, 1}))},
      {"y zero point per channel", inputs_with(7, tensor_of(DType::kUInt8, {3}, {0, 0, 0}))},
      {"x zero point dtype differs from x", inputs_with(2, scalar_of(DType::kInt8, 0))},
      {"w zero point dtype differs from w", inputs_with(5, scalar_of(DType::kUInt8, 0))},
      {"y zero point int32", inputs_with(7, scalar_of(DType::kInt32, 0))},
      {"float64 y scale", inputs_with(6, scalar_of(DType::kFloat64, 1.0))},
      {"missing y zero point",
       {x, one, scalar_of(DType::kUInt8, 0), w, one, scalar_of(DType::kInt8, 0), one}},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(run(make_node("QLinearConv", 9), 10, c.inputs).is_ok()) << c.what;
  }
  ir::Node bad_pad = make_node("QLinearConv", 9);
  bad_pad.attributes.set("auto_pad", std::string("SAME_MIDDLE"));
  EXPECT_FALSE(run(bad_pad, 10, inputs_with(99, Tensor{})).is_ok());
  EXPECT_TRUE(run(make_node("QLinearConv", 9), 10, inputs_with(99, Tensor{})).is_ok());
}

}  // namespace
}  // namespace edgebench::engine
