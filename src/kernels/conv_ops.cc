// Conv and ConvTranspose on NHWC float32 activations through XNNPACK. The lowering resolves
// auto_pad and ceil-like padding into explicit pads (top, left, bottom, right) and checks the
// weights are constants; the weights are repacked from ONNX's [M, C/g, kh, kw] (ConvTranspose:
// [C, M/g, kh, kw]) into XNNPACK's [g, M/g, kh, kw, C/g] once, in prepare(). On x86 with AVX2 a
// Conv runs on oneDNN instead where oneDNN has a JIT kernel for it (dnnl_conv.h says why). A 1x1
// Conv that the lowering marked "sparse" runs on the block-sparse kernel (sparse_conv.h).
#include <fmt/format.h>

#include <algorithm>

#include "dnnl_conv.h"
#include "dnnl_qconv.h"
#include "fast_ops.h"
#include "sparse_conv.h"
#include "xnn_util.h"

namespace edgebench::kernels {

namespace {

struct Conv2dParams {
  std::int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
  std::int64_t oph = 0, opw = 0;  // ConvTranspose output_padding (XNNPACK's adjustment)
};

Result<Conv2dParams> parse_params(const ir::Node& node, bool transpose) {
  EB_ASSIGN_OR_RETURN(auto k, required_ints(node, "kernel_shape", 2));
  EB_ASSIGN_OR_RETURN(auto s, required_ints(node, "strides", 2));
  EB_ASSIGN_OR_RETURN(auto d, required_ints(node, "dilations", 2));
  EB_ASSIGN_OR_RETURN(auto p, required_ints(node, "pads", 4));
  Conv2dParams c{k[0],
                 k[1],
                 s[0],
                 s[1],
                 d[0],
                 d[1],
                 p[0],
                 p[1],
                 p[2],
                 p[3],
                 node.attributes.get_int("group", 1).value_or(1)};
  if (transpose) {
    EB_ASSIGN_OR_RETURN(auto op, required_ints(node, "output_padding", 2));
    c.oph = op[0];
    c.opw = op[1];
  }
  for (std::int64_t v : {c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.group}) {
    if (v < 1) return internal_error(fmt::format("{}: bad lowered parameters", node.describe()));
  }
  return c;
}

// Shapes of a lowered Conv/ConvTranspose: X [N,H,W,C], W in ONNX layout, optional bias.
Status infer_conv(engine::InferContext& ctx, const Conv2dParams& p, bool transpose,
                  std::initializer_list<DType> types, DType bias_type) {
  EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 3));
  EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, types));
  EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, types));
  if (ctx.input_rank(0) != 4 || ctx.input_rank(1) != 4) {
    return ctx.error("input and weights must have rank 4");
  }
  const Shape& x = ctx.input_shape(0);  // N H W C
  const Shape& w = ctx.input_shape(1);
  const std::int64_t g = p.group;
  std::int64_t out_channels;
  if (!transpose) {
    if (w[0] % g != 0 || x[3] != w[1] * g || w[2] != p.kh || w[3] != p.kw) {
      return ctx.error("weights do not match the input channels, group or kernel");
    }
    out_channels = w[0];
  } else {
    if (w[0] != x[3] || x[3] % g != 0 || w[2] != p.kh || w[3] != p.kw) {
      return ctx.error("weights do not match the input channels, group or kernel");
    }
    out_channels = w[1] * g;
  }
  if (ctx.has_input(2)) {
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(2, {bias_type}));
    if (element_count(ctx.input_shape(2)) != out_channels) {
      return ctx.error("bias size does not match the output channels");
    }
  }
  const std::int64_t ekh = (p.kh - 1) * p.dh + 1;
  const std::int64_t ekw = (p.kw - 1) * p.dw + 1;
  std::int64_t oh, ow;
  if (!transpose) {
    oh = (x[1] + p.pt + p.pb - ekh) / p.sh + 1;
    ow = (x[2] + p.pl + p.pr - ekw) / p.sw + 1;
  } else {
    oh = p.sh * (x[1] - 1) + p.oph + ekh - p.pt - p.pb;
    ow = p.sw * (x[2] - 1) + p.opw + ekw - p.pl - p.pr;
  }
  if (oh < 1 || ow < 1) return ctx.error("output would be empty");
  ctx.set_output(0, ctx.input_dtype(0), {x[0], oh, ow, out_channels});
  return Status::ok();
}

// ONNX: Conv [g*Mg, Cg, kh, kw], ConvTranspose [g*Cg, Mg, kh, kw].
// XNNPACK: [g, Mg, kh, kw, Cg] for both.
template <typename T>
std::vector<T> pack_weights(const T* src, std::int64_t g, std::int64_t cg, std::int64_t mg,
                            std::int64_t khw, bool transpose) {
  std::vector<T> packed(static_cast<std::size_t>(g * mg * khw * cg));
  for (std::int64_t gi = 0; gi < g; ++gi) {
    for (std::int64_t m = 0; m < mg; ++m) {
      for (std::int64_t c = 0; c < cg; ++c) {
        for (std::int64_t k = 0; k < khw; ++k) {
          const std::int64_t from =
              transpose ? ((gi * cg + c) * mg + m) * khw + k : ((gi * mg + m) * cg + c) * khw + k;
          packed[static_cast<std::size_t>(((gi * mg + m) * khw + k) * cg + c)] = src[from];
        }
      }
    }
  }
  return packed;
}

// Kernel taps that read only padding, whatever the output position, multiply zeros: a large
// dilation on a small map (DeepLabV3's ASPP at rates 24 and 36 on a 16x16 map leaves only the
// centre tap of its 3x3 kernels). The live taps along one axis (input size n, output size o) are
// the contiguous range [first, last] of taps t for which some output y reads a row
// y*s - pad_before + t*d inside [0, n).
struct LiveTaps {
  std::int64_t first, last;
};
LiveTaps live_taps(std::int64_t n, std::int64_t o, std::int64_t k, std::int64_t s, std::int64_t d,
                   std::int64_t pad_before) {
  auto live = [&](std::int64_t t) {
    return t * d - pad_before <= n - 1 && (o - 1) * s + t * d - pad_before >= 0;
  };
  LiveTaps r{0, k - 1};
  while (r.first < r.last && !live(r.first)) ++r.first;
  while (r.last > r.first && !live(r.last)) --r.last;
  return r;
}

// Drops the dead taps of a (non-transposed) convolution: the same outputs from a smaller kernel
// with the pads moved. `weights` ([M, C/g, kh, kw]) is replaced by the trimmed copy. Returns
// false (and changes nothing) when no tap is dead or the moved pads would be negative.
bool trim_dead_taps(Conv2dParams& p, std::int64_t h, std::int64_t w, std::int64_t oh,
                    std::int64_t ow, std::int64_t out_channels, std::int64_t cg,
                    std::vector<float>& weights) {
  const LiveTaps rows = live_taps(h, oh, p.kh, p.sh, p.dh, p.pt);
  const LiveTaps cols = live_taps(w, ow, p.kw, p.sw, p.dw, p.pl);
  const std::int64_t kh = rows.last - rows.first + 1, kw = cols.last - cols.first + 1;
  if (kh == p.kh && kw == p.kw) return false;
  Conv2dParams t = p;
  t.kh = kh;
  t.kw = kw;
  t.pt = p.pt - rows.first * p.dh;
  t.pl = p.pl - cols.first * p.dw;
  if (kh == 1) t.dh = 1;
  if (kw == 1) t.dw = 1;
  // The far pads that keep the output size: the least with (o - 1) * s + extent <= n + before +
  // after (a stride leaves rows at the end unread; they need no padding).
  t.pb = std::max<std::int64_t>(0, (oh - 1) * t.sh + (kh - 1) * t.dh + 1 - h - t.pt);
  t.pr = std::max<std::int64_t>(0, (ow - 1) * t.sw + (kw - 1) * t.dw + 1 - w - t.pl);
  auto out_size = [](std::int64_t n, std::int64_t k, std::int64_t s, std::int64_t d,
                     std::int64_t before, std::int64_t after) {
    return (n + before + after - ((k - 1) * d + 1)) / s + 1;
  };
  if (t.pt < 0 || t.pl < 0 || out_size(h, kh, t.sh, t.dh, t.pt, t.pb) != oh ||
      out_size(w, kw, t.sw, t.dw, t.pl, t.pr) != ow) {
    return false;
  }
  std::vector<float> trimmed(static_cast<std::size_t>(out_channels * cg * kh * kw));
  std::size_t i = 0;
  for (std::int64_t mc = 0; mc < out_channels * cg; ++mc) {
    for (std::int64_t r = rows.first; r <= rows.last; ++r) {
      for (std::int64_t c = cols.first; c <= cols.last; ++c) {
        trimmed[i++] = weights[static_cast<std::size_t>((mc * p.kh + r) * p.kw + c)];
      }
    }
  }
  weights = std::move(trimmed);
  p = t;
  return true;
}

class ConvNhwc final : public XnnKernel {
 public:
  ConvNhwc(Conv2dParams p, Clamp clamp, bool transpose, std::int64_t sparse_width = 0)
      : p_(p), clamp_(clamp), transpose_(transpose), sparse_width_(sparse_width) {}

  static Result<std::unique_ptr<engine::OpKernel>> create_conv(
      const engine::KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(auto p, parse_params(ctx.node, false));
    const std::int64_t sparse = ctx.node.attributes.get_int("sparse", 0).value_or(0);
    if (sparse != 0 && (sparse != 8 && sparse != 16)) {
      return internal_error(fmt::format("{}: bad sparse block width", ctx.node.describe()));
    }
    if (sparse != 0 && (p.kh != 1 || p.kw != 1 || p.sh != 1 || p.sw != 1 || p.group != 1 ||
                        p.pt + p.pl + p.pb + p.pr != 0)) {
      return internal_error(
          fmt::format("{}: the sparse kernel takes only 1x1 convolutions", ctx.node.describe()));
    }
    return std::unique_ptr<engine::OpKernel>(
        std::make_unique<ConvNhwc>(p, clamp_of(ctx.node), false, sparse));
  }
  static Result<std::unique_ptr<engine::OpKernel>> create_transpose(
      const engine::KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(auto p, parse_params(ctx.node, true));
    return std::unique_ptr<engine::OpKernel>(
        std::make_unique<ConvNhwc>(p, clamp_of(ctx.node), true));
  }

  Status infer(engine::InferContext& ctx) const override {
    return infer_conv(ctx, p_, transpose_, {DType::kFloat32}, DType::kFloat32);
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    EB_ASSIGN_OR_RETURN(const ConstantWeights constants, constant_weights(ctx));
    const Tensor* w = constants.weights;
    const Tensor* b = constants.bias;
    const Shape& ws = w->shape();
    const std::int64_t g = p_.group;
    const std::int64_t cg = transpose_ ? ws[0] / g : ws[1];
    const std::int64_t mg = transpose_ ? ws[1] : ws[0] / g;
    const Shape& x = ctx.input_types[0]->shape;
    const Shape& y = ctx.output_types[0].shape;
    batch_ = static_cast<std::size_t>(x[0]);
    height_ = static_cast<std::size_t>(x[1]);
    width_ = static_cast<std::size_t>(x[2]);
    // The geometry this input size runs with: p_ less the taps that only read padding.
    Conv2dParams p = p_;
    std::vector<float> weights(w->data<float>(), w->data<float>() + w->element_count());
    if (!transpose_) trim_dead_taps(p, x[1], x[2], y[1], y[2], ws[0], cg, weights);
    const float* bias = b != nullptr ? b->data<float>() : nullptr;
    dnnl_.reset();
    sparse_kernel_.reset();
    if (sparse_width_ != 0) {
      pixels_ = x[0] * x[1] * x[2];
      sparse_kernel_ = std::make_unique<SparseConv1x1>(weights.data(), bias, ws[0], ws[1],
                                                       sparse_width_, clamp_.min, clamp_.max);
      return Status::ok();
    }
    if (!transpose_ && dnnl_conv_enabled()) {
      const DnnlConvGeometry geometry{x[0], x[1], x[2], x[3], y[3], g,    p.kh, p.kw, p.sh,
                                      p.sw, p.dh, p.dw, p.pt, p.pl, p.pb, p.pr, y[1], y[2]};
      EB_ASSIGN_OR_RETURN(dnnl_,
                          DnnlConv::create(geometry, weights.data(), bias, clamp_.min, clamp_.max,
                                           ctx.thread_pool ? ctx.thread_pool->threads() : 1));
      if (dnnl_ != nullptr) return Status::ok();  // else XNNPACK, below
    }
    std::vector<float> packed = pack_weights(weights.data(), g, cg, mg, p.kh * p.kw, transpose_);
    xnn_operator_t op = nullptr;
    xnn_status st;
    auto u = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
    if (!transpose_) {
      st = xnn_create_convolution2d_nhwc_f32(
          u(p.pt), u(p.pr), u(p.pb), u(p.pl), u(p.kh), u(p.kw), u(p.sh), u(p.sw), u(p.dh), u(p.dw),
          u(g), static_cast<std::size_t>(cg), static_cast<std::size_t>(mg),
          static_cast<std::size_t>(g * cg), static_cast<std::size_t>(g * mg), packed.data(), bias,
          clamp_.min, clamp_.max, 0, &op);
    } else {
      st = xnn_create_deconvolution2d_nhwc_f32(
          u(p.pt), u(p.pr), u(p.pb), u(p.pl), u(p.kh), u(p.kw), u(p.sh), u(p.sw), u(p.dh), u(p.dw),
          u(g), static_cast<std::size_t>(cg), static_cast<std::size_t>(mg),
          static_cast<std::size_t>(g * cg), static_cast<std::size_t>(g * mg), packed.data(), bias,
          clamp_.min, clamp_.max, 0, &op);
    }
    return adopt(st, op, transpose_ ? "create deconvolution" : "create convolution");
  }

  Status run(engine::KernelContext& ctx) override {
    const float* in = ctx.input(0).data<float>();
    float* out = ctx.output(0).data<float>();
    if (sparse_kernel_ != nullptr) {
      sparse_kernel_->run(in, out, pixels_, ctx.thread_pool());
      return Status::ok();
    }
    if (dnnl_ != nullptr) return dnnl_->run(in, out, ctx.thread_pool());
    return run_op(in, nullptr, out, "convolution", [&] {
      return transpose_
                 ? xnn_setup_deconvolution2d_nhwc_f32(
                       op_.get(), batch_, height_, width_, static_cast<std::uint32_t>(p_.oph),
                       static_cast<std::uint32_t>(p_.opw), in, out, pool_)
                 : xnn_setup_convolution2d_nhwc_f32(op_.get(), batch_, height_, width_, in, out,
                                                    pool_);
    });
  }

 private:
  Conv2dParams p_;
  Clamp clamp_;
  bool transpose_;
  std::int64_t sparse_width_;  // the block-sparse kernel's width, when the lowering chose it
  std::size_t batch_ = 0, height_ = 0, width_ = 0;
  std::int64_t pixels_ = 0;
  std::unique_ptr<DnnlConv> dnnl_;                // set when oneDNN runs this convolution
  std::unique_ptr<SparseConv1x1> sparse_kernel_;  // set when the sparse kernel runs it
};

// QLinearConv on NHWC int8 (XNNPACK qc8: int8 weights with per-channel scales, zero point 0)
// or uint8 (qu8: uint8 weights, one scale and zero point). The int8 case runs on oneDNN where
// dnnl_qconv_enabled() (dnnl_qconv.h says where that is exact) and oneDNN has a JIT kernel.
// Quantization parameters arrive as attributes (the lowering reads them from the constant inputs);
// the integer Clip that follows a QLinearConv in the graph, if any, arrives as out_min/out_max.
class QConvNhwc final : public XnnKernel {
 public:
  struct Quant {
    float x_scale = 1, y_scale = 1;
    std::int64_t x_zero_point = 0, w_zero_point = 0, y_zero_point = 0, out_min = 0, out_max = 0;
    std::vector<float> w_scales;
  };

  QConvNhwc(Conv2dParams p, Quant q) : p_(p), q_(std::move(q)) {}

  static Result<std::unique_ptr<engine::OpKernel>> create(const engine::KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(auto p, parse_params(ctx.node, false));
    Quant q;
    const ir::Attributes& a = ctx.node.attributes;
    q.x_scale = float_attr(ctx.node, "x_scale", 0);
    q.y_scale = float_attr(ctx.node, "y_scale", 0);
    q.x_zero_point = a.get_int("x_zero_point", 0).value_or(0);
    q.w_zero_point = a.get_int("w_zero_point", 0).value_or(0);
    q.y_zero_point = a.get_int("y_zero_point", 0).value_or(0);
    q.out_min = a.get_int("out_min", -128).value_or(-128);
    q.out_max = a.get_int("out_max", 127).value_or(127);
    q.w_scales = a.get_floats("w_scales", {}).value_or(std::vector<float>{});
    if (q.w_scales.empty() || !(q.x_scale > 0) || !(q.y_scale > 0)) {
      return internal_error(fmt::format("{}: bad lowered quantization", ctx.node.describe()));
    }
    return std::unique_ptr<engine::OpKernel>(std::make_unique<QConvNhwc>(p, std::move(q)));
  }

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(infer_conv(ctx, p_, false, {DType::kInt8, DType::kUInt8}, DType::kInt32));
    if (ctx.input_dtype(1) != ctx.input_dtype(0)) {
      return ctx.error("input and weights must have the same integer type");
    }
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    EB_ASSIGN_OR_RETURN(const ConstantWeights constants, constant_weights(ctx));
    const Tensor* w = constants.weights;
    const Tensor* b = constants.bias;
    signed_ = w->dtype() == DType::kInt8;
    const Shape& ws = w->shape();
    const std::int64_t g = p_.group;
    const std::int64_t cg = ws[1];
    const std::int64_t mg = ws[0] / g;
    const std::int32_t* bias = b != nullptr ? b->data<std::int32_t>() : nullptr;
    const Shape& x = ctx.input_types[0]->shape;
    batch_ = static_cast<std::size_t>(x[0]);
    height_ = static_cast<std::size_t>(x[1]);
    width_ = static_cast<std::size_t>(x[2]);
    auto u = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
    const auto cgs = static_cast<std::size_t>(cg), mgs = static_cast<std::size_t>(mg);
    const auto gs = static_cast<std::size_t>(g);
    xnn_operator_t op = nullptr;
    xnn_status st;
    dnnl_.reset();
    if (signed_) {
      std::vector<float> scales = q_.w_scales;
      if (scales.size() == 1) scales.assign(static_cast<std::size_t>(ws[0]), q_.w_scales[0]);
      if (dnnl_qconv_enabled() && q_.w_zero_point == 0) {
        const Shape& y = ctx.output_types[0].shape;
        DnnlQConvParams d{{x[0], x[1], x[2], x[3], y[3], g, p_.kh, p_.kw, p_.sh, p_.sw, p_.dh,
                           p_.dw, p_.pt, p_.pl, p_.pb, p_.pr, y[1], y[2]},
                          w->data<std::int8_t>(),
                          bias,
                          {},
                          static_cast<std::int32_t>(q_.x_zero_point),
                          static_cast<std::int32_t>(q_.y_zero_point),
                          static_cast<std::int32_t>(q_.out_min),
                          static_cast<std::int32_t>(q_.out_max),
                          ctx.thread_pool ? ctx.thread_pool->threads() : 1};
        for (float s : scales) {
          d.requantization_scales.push_back(
              static_cast<float>(double(q_.x_scale) * s / double(q_.y_scale)));
        }
        EB_ASSIGN_OR_RETURN(dnnl_, DnnlQConv::create(d));
        if (dnnl_ != nullptr) return Status::ok();  // else XNNPACK, below
      }
      std::vector<std::int8_t> packed =
          pack_weights(w->data<std::int8_t>(), g, cg, mg, p_.kh * p_.kw, false);
      st = xnn_create_convolution2d_nhwc_qc8(
          u(p_.pt), u(p_.pr), u(p_.pb), u(p_.pl), u(p_.kh), u(p_.kw), u(p_.sh), u(p_.sw), u(p_.dh),
          u(p_.dw), u(g), cgs, mgs, gs * cgs, gs * mgs, static_cast<std::int8_t>(q_.x_zero_point),
          q_.x_scale, scales.data(), packed.data(), bias, static_cast<std::int8_t>(q_.y_zero_point),
          q_.y_scale, static_cast<std::int8_t>(q_.out_min), static_cast<std::int8_t>(q_.out_max), 0,
          &op);
    } else {
      std::vector<std::uint8_t> packed =
          pack_weights(w->data<std::uint8_t>(), g, cg, mg, p_.kh * p_.kw, false);
      st = xnn_create_convolution2d_nhwc_qu8(
          u(p_.pt), u(p_.pr), u(p_.pb), u(p_.pl), u(p_.kh), u(p_.kw), u(p_.sh), u(p_.sw), u(p_.dh),
          u(p_.dw), u(g), cgs, mgs, gs * cgs, gs * mgs, static_cast<std::uint8_t>(q_.x_zero_point),
          q_.x_scale, static_cast<std::uint8_t>(q_.w_zero_point), q_.w_scales[0], packed.data(),
          bias, static_cast<std::uint8_t>(q_.y_zero_point), q_.y_scale,
          static_cast<std::uint8_t>(q_.out_min), static_cast<std::uint8_t>(q_.out_max), 0, &op);
    }
    return adopt(st, op, "create quantized convolution");
  }

  Status run(engine::KernelContext& ctx) override {
    const void* in = ctx.input(0).raw_data();
    void* out = ctx.output(0).raw_data();
    if (dnnl_ != nullptr) {
      return dnnl_->run(static_cast<const std::int8_t*>(in), static_cast<std::int8_t*>(out),
                        ctx.thread_pool());
    }
    return run_op(in, nullptr, out, "quantized convolution", [&] {
      return signed_ ? xnn_setup_convolution2d_nhwc_qc8(op_.get(), batch_, height_, width_,
                                                        static_cast<const std::int8_t*>(in),
                                                        static_cast<std::int8_t*>(out), pool_)
                     : xnn_setup_convolution2d_nhwc_qu8(op_.get(), batch_, height_, width_,
                                                        static_cast<const std::uint8_t*>(in),
                                                        static_cast<std::uint8_t*>(out), pool_);
    });
  }

 private:
  Conv2dParams p_;
  Quant q_;
  bool signed_ = true;
  std::size_t batch_ = 0, height_ = 0, width_ = 0;
  std::unique_ptr<DnnlQConv> dnnl_;  // set when oneDNN runs this convolution (int8 only)
};

}  // namespace

void register_conv_ops(engine::Registry& registry) {
  registry.add({kFastDomain, "Conv", 1, ConvNhwc::create_conv});
  registry.add({kFastDomain, "ConvTranspose", 1, ConvNhwc::create_transpose});
  registry.add({kFastDomain, "QConv", 1, QConvNhwc::create});
}

}  // namespace edgebench::kernels
