// Elementwise float32 ops through XNNPACK. They work on whatever layout their inputs arrive in:
// the lowering has already put every input into the same layout (permuting constants when the
// node runs in NHWC), so broadcasting here is plain numpy broadcasting.
//   Add/Sub/Mul/Div  (inputs A, B; numpy broadcasting up to 6 dims; optional activation clamp)
//   Clamp            (activation_min, activation_max)  Relu and Clip lower to it
//   HardSwish, Sigmoid, LeakyRelu (alpha), Elu (alpha)
//   PRelu            (inputs X, slope; slope has one value per element of X's last dim)
//   Softmax          (axis: softmax over the flattened dims [axis, rank))
//   ChannelAffine    (inputs X, scale, shift: constants with one value per channel; channels on
//                    axis 1, or on the last axis when channels_last; optional activation clamp)
//                    y = x * scale[c] + shift[c]: BatchNormalization in inference mode
//   HardSigmoid      (alpha, beta) y = max(0, min(1, alpha * x + beta)), any layout
#include <fmt/format.h>

#include <array>

#include "engine/ops/op_util.h"
#include "fast_ops.h"
#include "xnn_util.h"

namespace edgebench::kernels {

namespace {

enum class BinaryKind { kAdd, kSub, kMul, kDiv };

class Binary final : public XnnKernel {
 public:
  Binary(BinaryKind kind, Clamp clamp) : kind_(kind), clamp_(clamp) {}

  template <BinaryKind kKind>
  static Result<std::unique_ptr<engine::OpKernel>> create(const engine::KernelCreateContext& ctx) {
    return std::unique_ptr<engine::OpKernel>(std::make_unique<Binary>(kKind, clamp_of(ctx.node)));
  }

  Status infer(engine::InferContext& ctx) const override {
    return infer_broadcast(ctx, DType::kFloat32);
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    dims_ = broadcast_dims(ctx);
    xnn_operator_t op = nullptr;
    xnn_status st;
    switch (kind_) {
      case BinaryKind::kAdd: st = xnn_create_add_nd_f32(clamp_.min, clamp_.max, 0, &op); break;
      case BinaryKind::kSub: st = xnn_create_subtract_nd_f32(clamp_.min, clamp_.max, 0, &op); break;
      case BinaryKind::kMul: st = xnn_create_multiply_nd_f32(clamp_.min, clamp_.max, 0, &op); break;
      default: st = xnn_create_divide_nd_f32(clamp_.min, clamp_.max, 0, &op); break;
    }
    return adopt(st, op, "create binary elementwise");
  }

  Status run(engine::KernelContext& ctx) override {
    const float* a = ctx.input(0).data<float>();
    const float* b = ctx.input(1).data<float>();
    float* out = ctx.output(0).data<float>();
    return run_op(a, b, out, "binary elementwise", [&] {
      const std::size_t na = dims_[0].size(), nb = dims_[1].size();
      const std::size_t* da = dims_[0].data();
      const std::size_t* db = dims_[1].data();
      switch (kind_) {
        case BinaryKind::kAdd:
          return xnn_setup_add_nd_f32(op_.get(), na, da, nb, db, a, b, out, pool_);
        case BinaryKind::kSub:
          return xnn_setup_subtract_nd_f32(op_.get(), na, da, nb, db, a, b, out, pool_);
        case BinaryKind::kMul:
          return xnn_setup_multiply_nd_f32(op_.get(), na, da, nb, db, a, b, out, pool_);
        default: return xnn_setup_divide_nd_f32(op_.get(), na, da, nb, db, a, b, out, pool_);
      }
    });
  }

 private:
  BinaryKind kind_;
  Clamp clamp_;
  BroadcastDims dims_;
};

enum class UnaryKind { kClamp, kHardSwish, kSigmoid, kLeakyRelu, kElu, kPRelu, kSoftmax };

// One-input ops of XNNPACK's "nc" family: a [batch, channels] view of a contiguous tensor.
class Unary final : public XnnKernel {
 public:
  Unary(UnaryKind kind, const ir::Node& node)
      : kind_(kind),
        clamp_(clamp_of(node)),
        alpha_(float_attr(node, "alpha", kind == UnaryKind::kElu ? 1.0f : 0.01f)),
        axis_(node.attributes.get_int("axis", -1).value_or(-1)) {}

  template <UnaryKind kKind>
  static Result<std::unique_ptr<engine::OpKernel>> create(const engine::KernelCreateContext& ctx) {
    return std::unique_ptr<engine::OpKernel>(std::make_unique<Unary>(kKind, ctx.node));
  }

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(kind_ == UnaryKind::kPRelu ? 2 : 1,
                                              kind_ == UnaryKind::kPRelu ? 2 : 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    const Shape& x = ctx.input_shape(0);
    if (kind_ == UnaryKind::kPRelu) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kFloat32}));
      if (x.empty() || element_count(ctx.input_shape(1)) != x.back()) {
        return ctx.error("slope must have one value per element of the last dimension");
      }
    }
    if (kind_ == UnaryKind::kSoftmax &&
        (axis_ < 0 || axis_ >= static_cast<std::int64_t>(x.size()))) {
      return ctx.error("axis out of range");
    }
    ctx.set_output(0, DType::kFloat32, x);
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    const Shape& x = ctx.input_types[0]->shape;
    const auto count = static_cast<std::size_t>(element_count(x));
    std::size_t channels = count;
    if (kind_ == UnaryKind::kPRelu) channels = static_cast<std::size_t>(x.back());
    if (kind_ == UnaryKind::kSoftmax) {
      channels = 1;
      for (std::size_t d = static_cast<std::size_t>(axis_); d < x.size(); ++d) {
        channels *= static_cast<std::size_t>(x[d]);
      }
    }
    channels = std::max<std::size_t>(channels, 1);
    batch_ = count / channels;
    const std::size_t c = channels;
    xnn_operator_t op = nullptr;
    xnn_status st;
    switch (kind_) {
      case UnaryKind::kClamp:
        st = xnn_create_clamp_nc_f32(c, c, c, clamp_.min, clamp_.max, 0, &op);
        break;
      case UnaryKind::kHardSwish: st = xnn_create_hardswish_nc_f32(c, c, c, 0, &op); break;
      case UnaryKind::kSigmoid: st = xnn_create_sigmoid_nc_f32(c, c, c, 0, &op); break;
      case UnaryKind::kLeakyRelu: st = xnn_create_leaky_relu_nc_f32(c, c, c, alpha_, 0, &op); break;
      case UnaryKind::kElu: st = xnn_create_elu_nc_f32(c, c, c, alpha_, 0, &op); break;
      case UnaryKind::kPRelu: {
        const Tensor* slope = ctx.input_values[1];
        if (slope == nullptr) return internal_error("fast PRelu needs a constant slope");
        st = xnn_create_prelu_nc_f32(c, c, c, slope->data<float>(), 0, &op);
        break;
      }
      default: st = xnn_create_softmax_nc_f32(c, c, c, 0, &op); break;
    }
    return adopt(st, op, "create unary elementwise");
  }

  Status run(engine::KernelContext& ctx) override {
    const float* in = ctx.input(0).data<float>();
    float* out = ctx.output(0).data<float>();
    return run_op(in, nullptr, out, "unary elementwise", [&] {
      switch (kind_) {
        case UnaryKind::kClamp: return xnn_setup_clamp_nc_f32(op_.get(), batch_, in, out, pool_);
        case UnaryKind::kHardSwish:
          return xnn_setup_hardswish_nc_f32(op_.get(), batch_, in, out, pool_);
        case UnaryKind::kSigmoid:
          return xnn_setup_sigmoid_nc_f32(op_.get(), batch_, in, out, pool_);
        case UnaryKind::kLeakyRelu:
          return xnn_setup_leaky_relu_nc_f32(op_.get(), batch_, in, out, pool_);
        case UnaryKind::kElu: return xnn_setup_elu_nc_f32(op_.get(), batch_, in, out, pool_);
        case UnaryKind::kPRelu: return xnn_setup_prelu_nc_f32(op_.get(), batch_, in, out, pool_);
        default: return xnn_setup_softmax_nc_f32(op_.get(), batch_, in, out, pool_);
      }
    });
  }

 private:
  UnaryKind kind_;
  Clamp clamp_;
  float alpha_;
  std::int64_t axis_;
  std::size_t batch_ = 0;
};

// A per-channel scale and shift, split over the pool by rows of the channel-major view (NCHW:
// one row per image and channel) or by blocks of pixels (channels last).
class ChannelAffine final : public engine::OpKernel {
 public:
  explicit ChannelAffine(const engine::KernelCreateContext& ctx)
      : channels_last_(ctx.node.attributes.get_int("channels_last", 0).value_or(0) != 0),
        clamp_(clamp_of(ctx.node)) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 3));
    for (std::size_t i = 0; i < 3; ++i) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, {DType::kFloat32}));
    }
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 2) return ctx.error("input must have rank >= 2");
    const std::int64_t channels = channels_last_ ? x.back() : x[1];
    for (std::size_t i = 1; i < 3; ++i) {
      if (element_count(ctx.input_shape(i)) != channels) {
        return ctx.error(fmt::format("input {} must have one value per channel ({})", i, channels));
      }
    }
    ctx.set_output(0, DType::kFloat32, x);
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    pool_ = ctx.thread_pool;
    const Tensor* scale = ctx.input_values[1];
    const Tensor* shift = ctx.input_values[2];
    if (scale == nullptr || shift == nullptr) {
      return internal_error("fast ChannelAffine needs constant scale and shift");
    }
    scale_.assign(scale->data<float>(), scale->data<float>() + scale->element_count());
    shift_.assign(shift->data<float>(), shift->data<float>() + shift->element_count());
    const Shape& x = ctx.input_types[0]->shape;
    count_ = element_count(x);
    x_shape_ = x;
    channels_ = static_cast<std::int64_t>(scale_.size());
    return Status::ok();
  }

  Status run(engine::KernelContext& ctx) override {
    const float* in = ctx.input(0).data<float>();
    float* out = ctx.output(0).data<float>();
    if (count_ == 0 || channels_ == 0) return Status::ok();
    const float* scale = scale_.data();
    const float* shift = shift_.data();
    const float lo = clamp_.min, hi = clamp_.max;
    const std::int64_t c_count = channels_;
    if (channels_last_) {
      const std::int64_t pixels = count_ / c_count;
      constexpr std::int64_t kPixelsPerTask = 64;
      const std::int64_t tasks = (pixels + kPixelsPerTask - 1) / kPixelsPerTask;
      run_tasks(tasks, [&](std::int64_t t) {
        const std::int64_t end = std::min(pixels, (t + 1) * kPixelsPerTask);
        for (std::int64_t p = t * kPixelsPerTask; p < end; ++p) {
          const float* x = in + p * c_count;
          float* y = out + p * c_count;
          for (std::int64_t c = 0; c < c_count; ++c) {
            y[c] = std::min(std::max(x[c] * scale[c] + shift[c], lo), hi);
          }
        }
      });
    } else {
      const std::int64_t rows = x_shape_[0] * c_count;  // images x channels
      const std::int64_t inner = count_ / rows;
      run_tasks(rows, [&](std::int64_t r) {
        const float s = scale[r % c_count], b = shift[r % c_count];
        const float* x = in + r * inner;
        float* y = out + r * inner;
        for (std::int64_t i = 0; i < inner; ++i) y[i] = std::min(std::max(x[i] * s + b, lo), hi);
      });
    }
    return Status::ok();
  }

 private:
  template <typename F>
  void run_tasks(std::int64_t tasks, F&& fn) {
    auto task = [&](std::size_t t) { fn(static_cast<std::int64_t>(t)); };
    if (pool_ != nullptr) {
      pool_->parallel_for(static_cast<std::size_t>(tasks), task);
    } else {
      for (std::int64_t t = 0; t < tasks; ++t) fn(t);
    }
  }

  bool channels_last_;
  Clamp clamp_;
  ThreadPool* pool_ = nullptr;
  std::vector<float> scale_, shift_;
  std::int64_t count_ = 0, channels_ = 0;
  Shape x_shape_;
};

// MobileNetV3's gate; XNNPACK has no operator for it. Split over the pool in blocks.
class HardSigmoid final : public engine::OpKernel {
 public:
  explicit HardSigmoid(const engine::KernelCreateContext& ctx)
      : alpha_(float_attr(ctx.node, "alpha", 0.2f)), beta_(float_attr(ctx.node, "beta", 0.5f)) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    ctx.set_output(0, DType::kFloat32, ctx.input_shape(0));
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    pool_ = ctx.thread_pool;
    count_ = element_count(ctx.input_types[0]->shape);
    return Status::ok();
  }

  Status run(engine::KernelContext& ctx) override {
    const float* in = ctx.input(0).data<float>();
    float* out = ctx.output(0).data<float>();
    constexpr std::int64_t kBlock = 16384;
    const std::int64_t blocks = (count_ + kBlock - 1) / kBlock;
    const float alpha = alpha_, beta = beta_;
    auto block = [&](std::size_t b) {
      const std::int64_t begin = static_cast<std::int64_t>(b) * kBlock;
      const std::int64_t end = std::min(count_, begin + kBlock);
      for (std::int64_t i = begin; i < end; ++i) {
        out[i] = std::min(std::max(alpha * in[i] + beta, 0.0f), 1.0f);
      }
    };
    if (pool_ != nullptr) {
      pool_->parallel_for(static_cast<std::size_t>(blocks), block);
    } else {
      for (std::int64_t b = 0; b < blocks; ++b) block(static_cast<std::size_t>(b));
    }
    return Status::ok();
  }

 private:
  float alpha_, beta_;
  ThreadPool* pool_ = nullptr;
  std::int64_t count_ = 0;
};

}  // namespace

void register_elementwise_ops(engine::Registry& registry) {
  registry.add({kFastDomain, "Add", 1, Binary::create<BinaryKind::kAdd>});
  registry.add({kFastDomain, "Sub", 1, Binary::create<BinaryKind::kSub>});
  registry.add({kFastDomain, "Mul", 1, Binary::create<BinaryKind::kMul>});
  registry.add({kFastDomain, "Div", 1, Binary::create<BinaryKind::kDiv>});
  registry.add({kFastDomain, "Clamp", 1, Unary::create<UnaryKind::kClamp>});
  registry.add({kFastDomain, "HardSwish", 1, Unary::create<UnaryKind::kHardSwish>});
  registry.add({kFastDomain, "Sigmoid", 1, Unary::create<UnaryKind::kSigmoid>});
  registry.add({kFastDomain, "LeakyRelu", 1, Unary::create<UnaryKind::kLeakyRelu>});
  registry.add({kFastDomain, "Elu", 1, Unary::create<UnaryKind::kElu>});
  registry.add({kFastDomain, "PRelu", 1, Unary::create<UnaryKind::kPRelu>});
  registry.add({kFastDomain, "Softmax", 1, Unary::create<UnaryKind::kSoftmax>});
  registry.add({kFastDomain, "ChannelAffine", 1, engine::make_kernel<ChannelAffine>});
  registry.add({kFastDomain, "HardSigmoid", 1, engine::make_kernel<HardSigmoid>});
}

}  // namespace edgebench::kernels
