// Elementwise float32 ops through XNNPACK. They work on whatever layout their inputs arrive in:
// the lowering has already put every input into the same layout (permuting constants when the
// node runs in NHWC), so broadcasting here is plain numpy broadcasting.
//   Add/Sub/Mul/Div  (inputs A, B; numpy broadcasting up to 6 dims; optional activation clamp)
//   Clamp            (activation_min, activation_max)  Relu and Clip lower to it
//   HardSwish, Sigmoid, LeakyRelu (alpha), Elu (alpha)
//   PRelu            (inputs X, slope; slope has one value per element of X's last dim)
//   Softmax          (axis: softmax over the flattened dims [axis, rank))
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
}

}  // namespace edgebench::kernels
