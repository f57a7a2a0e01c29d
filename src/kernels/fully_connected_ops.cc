// FullyConnected: Gemm and MatMul with constant weights through XNNPACK. Input A is [..., K]
// (leading dims are the batch), weights B are [K, N] (transpose_weights = 1) or [N, K]; the
// optional bias has N elements. Gemm's alpha and beta are folded into the packed weights and
// bias once, in prepare(). Where oneDNN runs the float convolutions (dnnl_conv.h), it runs this
// too, as the 1x1 convolution it is: A as an NHWC image [1, rows, 1, K], B as N filters of K.
#include <fmt/format.h>

#include "dnnl_conv.h"
#include "fast_ops.h"
#include "xnn_util.h"

namespace edgebench::kernels {

namespace {

class FullyConnected final : public XnnKernel {
 public:
  explicit FullyConnected(const engine::KernelCreateContext& ctx)
      : transpose_weights_(ctx.node.attributes.get_int("transpose_weights", 0).value_or(0) != 0),
        alpha_(float_attr(ctx.node, "alpha", 1.0f)),
        beta_(float_attr(ctx.node, "beta", 1.0f)),
        clamp_(clamp_of(ctx.node)) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 3));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kFloat32}));
    if (ctx.input_rank(0) < 1 || ctx.input_rank(1) != 2) {
      return ctx.error("input must have rank >= 1 and weights rank 2");
    }
    const Shape& a = ctx.input_shape(0);
    const Shape& w = ctx.input_shape(1);
    const std::int64_t k = transpose_weights_ ? w[0] : w[1];
    const std::int64_t n = transpose_weights_ ? w[1] : w[0];
    if (a.back() != k) return ctx.error("inner dimensions do not match");
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(2, {DType::kFloat32}));
      const std::int64_t bias_size = element_count(ctx.input_shape(2));
      if (bias_size != n && bias_size != 1) return ctx.error("bias must have N elements");
    }
    Shape out = a;
    out.back() = n;
    ctx.set_output(0, DType::kFloat32, out);
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    EB_ASSIGN_OR_RETURN(const ConstantWeights constants, constant_weights(ctx));
    const Tensor* w = constants.weights;
    const Tensor* b = constants.bias;
    const Shape& ws = w->shape();
    const std::size_t k = static_cast<std::size_t>(transpose_weights_ ? ws[0] : ws[1]);
    const std::size_t n = static_cast<std::size_t>(transpose_weights_ ? ws[1] : ws[0]);
    std::vector<float> weights(w->data<float>(), w->data<float>() + k * n);
    if (alpha_ != 1.0f) {
      for (float& v : weights) v *= alpha_;
    }
    std::vector<float> bias;
    if (b != nullptr) {
      bias.resize(n);
      const float* src = b->data<float>();
      const bool scalar = b->element_count() == 1;
      for (std::size_t i = 0; i < n; ++i) bias[i] = beta_ * src[scalar ? 0 : i];
    }
    const Shape& a = ctx.input_types[0]->shape;
    batch_ = static_cast<std::size_t>(element_count(a) / a.back());
    dnnl_.reset();
    if (dnnl_conv_enabled()) {
      std::vector<float> filters;  // [N, K]
      if (transpose_weights_) {
        filters.resize(k * n);
        for (std::size_t i = 0; i < k; ++i) {
          for (std::size_t j = 0; j < n; ++j) filters[j * k + i] = weights[i * n + j];
        }
      }
      const auto rows = static_cast<std::int64_t>(batch_);
      const auto ki = static_cast<std::int64_t>(k), ni = static_cast<std::int64_t>(n);
      const DnnlConvGeometry geometry{1, rows, 1, ki, ni, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, rows, 1};
      EB_ASSIGN_OR_RETURN(
          dnnl_, DnnlConv::create(geometry, transpose_weights_ ? filters.data() : weights.data(),
                                  bias.empty() ? nullptr : bias.data(), clamp_.min, clamp_.max,
                                  ctx.thread_pool ? ctx.thread_pool->threads() : 1));
      if (dnnl_ != nullptr) return Status::ok();  // else XNNPACK, below
    }
    xnn_operator_t op = nullptr;
    const xnn_status st = xnn_create_fully_connected_nc_f32(
        k, n, k, n, weights.data(), bias.empty() ? nullptr : bias.data(), clamp_.min, clamp_.max,
        transpose_weights_ ? XNN_FLAG_TRANSPOSE_WEIGHTS : 0, &op);
    return adopt(st, op, "create fully connected");
  }

  Status run(engine::KernelContext& ctx) override {
    const float* in = ctx.input(0).data<float>();
    float* out = ctx.output(0).data<float>();
    if (dnnl_ != nullptr) return dnnl_->run(in, out, ctx.thread_pool());
    return run_op(in, nullptr, out, "fully connected", [&] {
      return xnn_setup_fully_connected_nc_f32(op_.get(), batch_, in, out, pool_);
    });
  }

 private:
  bool transpose_weights_;
  float alpha_;
  float beta_;
  Clamp clamp_;
  std::size_t batch_ = 0;
  std::unique_ptr<DnnlConv> dnnl_;  // set when oneDNN runs this product
};

}  // namespace

void register_fully_connected_ops(engine::Registry& registry) {
  registry.add({kFastDomain, "FullyConnected", 1, engine::make_kernel<FullyConnected>});
}

}  // namespace edgebench::kernels
