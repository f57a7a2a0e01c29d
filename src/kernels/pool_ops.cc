// MaxPool, AveragePool and GlobalAveragePool on NHWC float32 through XNNPACK (GlobalAveragePool
// with keepdims = 0 writes [N, C]). Pads arrive
// explicit (top, left, bottom, right); ceil_mode has been turned into extra bottom/right padding
// by the lowering, and AveragePool excludes padding from its divisor (count_include_pad = 0),
// which is what XNNPACK computes.
#include <fmt/format.h>

#include "fast_ops.h"
#include "xnn_util.h"

namespace edgebench::kernels {

namespace {

class Pool2d final : public XnnKernel {
 public:
  enum class Kind { kMax, kAverage };

  Pool2d(Kind kind, std::vector<std::int64_t> k, std::vector<std::int64_t> s,
         std::vector<std::int64_t> d, std::vector<std::int64_t> p)
      : kind_(kind), k_(std::move(k)), s_(std::move(s)), d_(std::move(d)), p_(std::move(p)) {}

  template <Kind kKind>
  static Result<std::unique_ptr<engine::OpKernel>> create(const engine::KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(auto k, required_ints(ctx.node, "kernel_shape", 2));
    EB_ASSIGN_OR_RETURN(auto s, required_ints(ctx.node, "strides", 2));
    EB_ASSIGN_OR_RETURN(auto p, required_ints(ctx.node, "pads", 4));
    std::vector<std::int64_t> d{1, 1};
    if (kKind == Kind::kMax) {
      EB_ASSIGN_OR_RETURN(d, required_ints(ctx.node, "dilations", 2));
    }
    return std::unique_ptr<engine::OpKernel>(
        std::make_unique<Pool2d>(kKind, std::move(k), std::move(s), std::move(d), std::move(p)));
  }

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    if (kind_ == Kind::kMax) {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32, DType::kInt8, DType::kUInt8}));
    } else {
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    }
    if (ctx.input_rank(0) != 4) return ctx.error("input must have rank 4");
    const Shape& x = ctx.input_shape(0);
    const std::int64_t oh = (x[1] + p_[0] + p_[2] - ((k_[0] - 1) * d_[0] + 1)) / s_[0] + 1;
    const std::int64_t ow = (x[2] + p_[1] + p_[3] - ((k_[1] - 1) * d_[1] + 1)) / s_[1] + 1;
    if (oh < 1 || ow < 1) return ctx.error("output would be empty");
    ctx.set_output(0, ctx.input_dtype(0), {x[0], oh, ow, x[3]});
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    dtype_ = ctx.input_types[0]->dtype;
    const Shape& x = ctx.input_types[0]->shape;
    batch_ = static_cast<std::size_t>(x[0]);
    height_ = static_cast<std::size_t>(x[1]);
    width_ = static_cast<std::size_t>(x[2]);
    const auto c = static_cast<std::size_t>(x[3]);
    auto u = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
    const float inf = std::numeric_limits<float>::infinity();
    xnn_operator_t op = nullptr;
    xnn_status st;
    if (kind_ == Kind::kMax && dtype_ == DType::kInt8) {
      st = xnn_create_max_pooling2d_nhwc_s8(u(p_[0]), u(p_[3]), u(p_[2]), u(p_[1]), u(k_[0]),
                                            u(k_[1]), u(s_[0]), u(s_[1]), u(d_[0]), u(d_[1]), c, c,
                                            c, -128, 127, 0, &op);
    } else if (kind_ == Kind::kMax && dtype_ == DType::kUInt8) {
      st = xnn_create_max_pooling2d_nhwc_u8(u(p_[0]), u(p_[3]), u(p_[2]), u(p_[1]), u(k_[0]),
                                            u(k_[1]), u(s_[0]), u(s_[1]), u(d_[0]), u(d_[1]), c, c,
                                            c, 0, 255, 0, &op);
    } else if (kind_ == Kind::kMax) {
      st = xnn_create_max_pooling2d_nhwc_f32(u(p_[0]), u(p_[3]), u(p_[2]), u(p_[1]), u(k_[0]),
                                             u(k_[1]), u(s_[0]), u(s_[1]), u(d_[0]), u(d_[1]), c, c,
                                             c, -inf, inf, 0, &op);
    } else {
      st = xnn_create_average_pooling2d_nhwc_f32(u(p_[0]), u(p_[3]), u(p_[2]), u(p_[1]), u(k_[0]),
                                                 u(k_[1]), u(s_[0]), u(s_[1]), c, c, c, -inf, inf,
                                                 0, &op);
    }
    return adopt(st, op, "create pooling");
  }

  Status run(engine::KernelContext& ctx) override {
    const void* raw_in = ctx.input(0).raw_data();
    void* raw_out = ctx.output(0).raw_data();
    const auto* in = static_cast<const float*>(raw_in);
    auto* out = static_cast<float*>(raw_out);
    return run_op(raw_in, nullptr, raw_out, "pooling", [&] {
      if (dtype_ == DType::kInt8) {
        return xnn_setup_max_pooling2d_nhwc_s8(op_.get(), batch_, height_, width_,
                                               static_cast<const std::int8_t*>(raw_in),
                                               static_cast<std::int8_t*>(raw_out), pool_);
      }
      if (dtype_ == DType::kUInt8) {
        return xnn_setup_max_pooling2d_nhwc_u8(op_.get(), batch_, height_, width_,
                                               static_cast<const std::uint8_t*>(raw_in),
                                               static_cast<std::uint8_t*>(raw_out), pool_);
      }
      return kind_ == Kind::kMax ? xnn_setup_max_pooling2d_nhwc_f32(op_.get(), batch_, height_,
                                                                    width_, in, out, pool_)
                                 : xnn_setup_average_pooling2d_nhwc_f32(op_.get(), batch_, height_,
                                                                        width_, in, out, pool_);
    });
  }

 private:
  Kind kind_;
  DType dtype_ = DType::kFloat32;
  std::vector<std::int64_t> k_, s_, d_, p_;
  std::size_t batch_ = 0, height_ = 0, width_ = 0;
};

class GlobalAveragePool final : public XnnKernel {
 public:
  explicit GlobalAveragePool(const engine::KernelCreateContext& ctx)
      : keepdims_(ctx.node.attributes.get_int("keepdims", 1).value_or(1) != 0) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    if (ctx.input_rank(0) != 4) return ctx.error("input must have rank 4");
    const Shape& x = ctx.input_shape(0);
    ctx.set_output(0, DType::kFloat32, keepdims_ ? Shape{x[0], 1, 1, x[3]} : Shape{x[0], x[3]});
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    const Shape& x = ctx.input_types[0]->shape;
    batch_ = static_cast<std::size_t>(x[0]);
    pixels_ = static_cast<std::size_t>(x[1] * x[2]);
    const auto c = static_cast<std::size_t>(x[3]);
    const float inf = std::numeric_limits<float>::infinity();
    xnn_operator_t op = nullptr;
    const xnn_status st = xnn_create_global_average_pooling_nwc_f32(c, c, c, -inf, inf, 0, &op);
    return adopt(st, op, "create global average pooling");
  }

  Status run(engine::KernelContext& ctx) override {
    const float* in = ctx.input(0).data<float>();
    float* out = ctx.output(0).data<float>();
    return run_op(in, nullptr, out, "global average pooling", [&] {
      return xnn_setup_global_average_pooling_nwc_f32(op_.get(), batch_, pixels_, in, out, pool_);
    });
  }

 private:
  bool keepdims_;  // [N, 1, 1, C]; else [N, C] (a ReduceMean over H and W without keepdims)
  std::size_t batch_ = 0, pixels_ = 0;
};

}  // namespace

void register_pool_ops(engine::Registry& registry) {
  registry.add({kFastDomain, "MaxPool", 1, Pool2d::create<Pool2d::Kind::kMax>});
  registry.add({kFastDomain, "AveragePool", 1, Pool2d::create<Pool2d::Kind::kAverage>});
  registry.add({kFastDomain, "GlobalAveragePool", 1, engine::make_kernel<GlobalAveragePool>});
}

}  // namespace edgebench::kernels
