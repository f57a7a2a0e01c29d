// Integer kernels besides convolution, through XNNPACK or, where its fixed-point arithmetic would
// round differently from the ONNX reference, our own loops:
//   QFullyConnected  QLinearMatMul with constant [K, N] weights: qs8 (int8) or qu8 (uint8),
//                    per-tensor scales; attributes a_scale, a_zero_point, b_scale,
//                    b_zero_point, y_scale, y_zero_point, out_min, out_max
//   Quantize         QuantizeLinear per tensor (float32 -> int8/uint8): scale, zero_point
//   Dequantize       DequantizeLinear per tensor (int8/uint8 -> float32): scale, zero_point
//   IntClamp         Clip on int8/uint8: min, max
//   QAdd             int8 addition with broadcasting (DequantizeLinear -> Add [-> Relu] ->
//                    QuantizeLinear, computed in float32 as those are): a_scale,
//                    a_zero_point, b_scale, b_zero_point, y_scale, y_zero_point, out_min,
//                    out_max
// Quantization parameters arrive as attributes: the lowering reads them from the constant
// inputs of the ONNX node.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "engine/ops/fast_math.h"
#include "engine/ops/op_util.h"
#include "engine/ops/parallel_util.h"
#include "fast_ops.h"
#include "xnn_util.h"

namespace edgebench::kernels {

namespace {

bool is_int8_type(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

std::int64_t int_attr(const ir::Node& node, std::string_view name, std::int64_t fallback) {
  return node.attributes.get_int(name, fallback).value_or(fallback);
}

class QFullyConnected final : public XnnKernel {
 public:
  explicit QFullyConnected(const engine::KernelCreateContext& ctx)
      : q_(TwoInputQuant::from(ctx.node)) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kInt8, DType::kUInt8}));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {ctx.input_dtype(0)}));
    if (ctx.input_rank(0) < 1 || ctx.input_rank(1) != 2) {
      return ctx.error("input must have rank >= 1 and weights rank 2");
    }
    const Shape& a = ctx.input_shape(0);
    const Shape& w = ctx.input_shape(1);
    if (a.back() != w[0]) return ctx.error("inner dimensions do not match");
    Shape out = a;
    out.back() = w[1];
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    EB_ASSIGN_OR_RETURN(const ConstantWeights constants, constant_weights(ctx));
    const Tensor* w = constants.weights;
    signed_ = w->dtype() == DType::kInt8;
    const auto k = static_cast<std::size_t>(w->dim(0));
    const auto n = static_cast<std::size_t>(w->dim(1));
    const Shape& a = ctx.input_types[0]->shape;
    batch_ = static_cast<std::size_t>(element_count(a) / a.back());
    xnn_operator_t op = nullptr;
    const xnn_status st =
        signed_ ? xnn_create_fully_connected_nc_qs8(
                      k, n, k, n, static_cast<std::int8_t>(q_.a_zero_point), q_.a_scale, q_.b_scale,
                      w->data<std::int8_t>(), nullptr, static_cast<std::int8_t>(q_.y_zero_point),
                      q_.y_scale, static_cast<std::int8_t>(q_.out_min),
                      static_cast<std::int8_t>(q_.out_max), XNN_FLAG_TRANSPOSE_WEIGHTS, &op)
                : xnn_create_fully_connected_nc_qu8(
                      k, n, k, n, static_cast<std::uint8_t>(q_.a_zero_point), q_.a_scale,
                      static_cast<std::uint8_t>(q_.b_zero_point), q_.b_scale,
                      w->data<std::uint8_t>(), nullptr, static_cast<std::uint8_t>(q_.y_zero_point),
                      q_.y_scale, static_cast<std::uint8_t>(q_.out_min),
                      static_cast<std::uint8_t>(q_.out_max), XNN_FLAG_TRANSPOSE_WEIGHTS, &op);
    return adopt(st, op, "create quantized fully connected");
  }

  Status run(engine::KernelContext& ctx) override {
    const void* in = ctx.input(0).raw_data();
    void* out = ctx.output(0).raw_data();
    return run_op(in, nullptr, out, "quantized fully connected", [&] {
      return signed_ ? xnn_setup_fully_connected_nc_qs8(op_.get(), batch_,
                                                        static_cast<const std::int8_t*>(in),
                                                        static_cast<std::int8_t*>(out), pool_)
                     : xnn_setup_fully_connected_nc_qu8(op_.get(), batch_,
                                                        static_cast<const std::uint8_t*>(in),
                                                        static_cast<std::uint8_t*>(out), pool_);
    });
  }

 private:
  TwoInputQuant q_;
  bool signed_ = true;
  std::size_t batch_ = 0;
};

// Elementwise conversions and the integer clamp: a contiguous [1, count] view.
// saturate(round_half_even(v) + zero_point) into [lo, hi], NaN to 0, for `v` already divided by
// the scale: the reference QuantizeLinear's rounding (core/quantize.h) bit for bit, branch-free so
// that the loops below vectorize. |v| is first held to 256, beyond any 8-bit range, so that
// adding 1.5 * 2^23 rounds it half to even in float.
inline float round_to_quantized(float v, float zero_point, float lo, float hi) {
  constexpr float kRound = 12582912.0f;
  v = v < -256.0f ? -256.0f : (v > 256.0f ? 256.0f : v);
  float r = (v + kRound) - kRound + zero_point;
  r = r < lo ? lo : (r > hi ? hi : r);
  return r != r ? 0.0f : r;
}

// y = saturate(round_half_even(x / scale) + zero_point), NaN to 0: QuantizeLinear.
template <typename Q>
EB_VECTOR_CLONES void quantize_floats(const float* x, Q* y, std::int64_t n, float scale,
                                      float zero_point, float lo, float hi) {
  for (std::int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<Q>(round_to_quantized(x[i] / scale, zero_point, lo, hi));
  }
}

class QuantElementwise final : public XnnKernel {
 public:
  enum class Kind { kQuantize, kDequantize, kClamp };

  QuantElementwise(Kind kind, const ir::Node& node)
      : kind_(kind),
        scale_(float_attr(node, "scale", 1)),
        zero_point_(int_attr(node, "zero_point", 0)),
        min_(int_attr(node, "min", -128)),
        max_(int_attr(node, "max", 127)),
        quantized_type_(node.attributes.get_string("to", "int8").value_or("int8") == "uint8"
                            ? DType::kUInt8
                            : DType::kInt8) {}

  template <Kind kKind>
  static Result<std::unique_ptr<engine::OpKernel>> create(const engine::KernelCreateContext& ctx) {
    return std::unique_ptr<engine::OpKernel>(std::make_unique<QuantElementwise>(kKind, ctx.node));
  }

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    switch (kind_) {
      case Kind::kQuantize:
        EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
        ctx.set_output(0, quantized_type_, ctx.input_shape(0));
        break;
      case Kind::kDequantize:
        EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kInt8, DType::kUInt8}));
        ctx.set_output(0, DType::kFloat32, ctx.input_shape(0));
        break;
      default:
        EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kInt8, DType::kUInt8}));
        ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
        break;
    }
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    const std::size_t c = std::max<std::int64_t>(1, element_count(ctx.input_types[0]->shape));
    signed_ = kind_ == Kind::kQuantize ? quantized_type_ == DType::kInt8
                                       : ctx.input_types[0]->dtype == DType::kInt8;
    xnn_operator_t op = nullptr;
    xnn_status st;
    const auto s8 = [](std::int64_t v) { return static_cast<std::int8_t>(v); };
    const auto u8 = [](std::int64_t v) { return static_cast<std::uint8_t>(v); };
    switch (kind_) {
      case Kind::kQuantize:
        // Our own loop (run below): XNNPACK multiplies by the reciprocal of the scale, which
        // puts some values one step from QuantizeLinear's x / scale.
        pool_for_quantize_ = ctx.thread_pool;
        return Status::ok();
      case Kind::kDequantize:
        st = signed_ ? xnn_create_convert_nc_qs8_f32(c, c, c, scale_, s8(zero_point_), 0, &op)
                     : xnn_create_convert_nc_qu8_f32(c, c, c, scale_, u8(zero_point_), 0, &op);
        break;
      default:
        st = signed_ ? xnn_create_clamp_nc_s8(c, c, c, s8(min_), s8(max_), 0, &op)
                     : xnn_create_clamp_nc_u8(c, c, c, u8(min_), u8(max_), 0, &op);
        break;
    }
    return adopt(st, op, "create quantized elementwise");
  }

  Status run(engine::KernelContext& ctx) override {
    const void* in = ctx.input(0).raw_data();
    void* out = ctx.output(0).raw_data();
    if (kind_ == Kind::kQuantize) {
      quantize(static_cast<const float*>(in), out, ctx.input(0).element_count());
      return Status::ok();
    }
    return run_op(in, nullptr, out, "quantized elementwise", [&] {
      using I8 = std::int8_t;
      using U8 = std::uint8_t;
      switch (kind_) {
        case Kind::kDequantize:
          return signed_ ? xnn_setup_convert_nc_qs8_f32(op_.get(), 1, static_cast<const I8*>(in),
                                                        static_cast<float*>(out), pool_)
                         : xnn_setup_convert_nc_qu8_f32(op_.get(), 1, static_cast<const U8*>(in),
                                                        static_cast<float*>(out), pool_);
        default:
          return signed_ ? xnn_setup_clamp_nc_s8(op_.get(), 1, static_cast<const I8*>(in),
                                                 static_cast<I8*>(out), pool_)
                         : xnn_setup_clamp_nc_u8(op_.get(), 1, static_cast<const U8*>(in),
                                                 static_cast<U8*>(out), pool_);
      }
    });
  }

 private:
  // QuantizeLinear exactly as the reference computes it (x / scale in float, round half to
  // even, plus the zero point, saturated; NaN gives 0), split over the pool.
  void quantize(const float* x, void* out, std::int64_t n) const {
    const float zp = static_cast<float>(zero_point_);
    engine::ops::parallel_elements(
        pool_for_quantize_, n, [&](std::int64_t begin, std::int64_t end) {
          if (signed_) {
            quantize_floats(x + begin, static_cast<std::int8_t*>(out) + begin, end - begin, scale_,
                            zp, -128.0f, 127.0f);
          } else {
            quantize_floats(x + begin, static_cast<std::uint8_t*>(out) + begin, end - begin, scale_,
                            zp, 0.0f, 255.0f);
          }
        });
  }

  Kind kind_;
  ThreadPool* pool_for_quantize_ = nullptr;
  float scale_;
  std::int64_t zero_point_, min_, max_;
  DType quantized_type_;
  bool signed_ = true;
};

// y = clamp(saturate(round_half_even((dq(a) + dq(b)) / y_scale) + y_zero_point)), with
// dq(q) = float(q - zero_point) * scale: DequantizeLinear, Add and QuantizeLinear as the reference
// runs them, every step in float32 (separate statements, so nothing is contracted into an FMA).
// kStepA / kStepB are 1 for an input that runs along the row and 0 for one broadcast across it.
template <int kStepA, int kStepB>
EB_VECTOR_CLONES void qadd_row(const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
                               std::int64_t n, const TwoInputQuant& q) {
  const float a_zp = static_cast<float>(q.a_zero_point);
  const float b_zp = static_cast<float>(q.b_zero_point);
  const float y_zp = static_cast<float>(q.y_zero_point);
  const float lo = static_cast<float>(q.out_min);
  const float hi = static_cast<float>(q.out_max);
  for (std::int64_t i = 0; i < n; ++i) {
    const float da = (static_cast<float>(a[i * kStepA]) - a_zp) * q.a_scale;
    const float db = (static_cast<float>(b[i * kStepB]) - b_zp) * q.b_scale;
    const float sum = da + db;
    y[i] = static_cast<std::int8_t>(round_to_quantized(sum / q.y_scale, y_zp, lo, hi));
  }
}

// int8 addition with numpy broadcasting, bit for bit the reference's
// DequantizeLinear -> Add [-> Relu] -> QuantizeLinear. (XNNPACK's integer addition works in fixed
// point and rounds some sums that fall on a half step the other way: one step off, which a deep
// network grows into percent-level output differences.) The output is walked as rows of its last
// dimension, split over the plan's pool.
class QAdd final : public engine::OpKernel {
 public:
  explicit QAdd(const engine::KernelCreateContext& ctx) : q_(TwoInputQuant::from(ctx.node)) {}

  Status infer(engine::InferContext& ctx) const override {
    return infer_broadcast(ctx, DType::kInt8);
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    pool_ = ctx.thread_pool;
    const Shape& sa = ctx.input_types[0]->shape;
    const Shape& sb = ctx.input_types[1]->shape;
    auto out = engine::ops::broadcast_shapes(sa, sb);
    if (!out.is_ok()) return out.status();
    if (sa == sb || out->empty()) {
      // Same shapes: one row over the whole tensor.
      dims_ = {element_count(*out)};
      stride_a_ = stride_b_ = {1};
    } else {
      dims_ = *out;
      stride_a_ = engine::ops::broadcast_strides(sa, dims_);
      stride_b_ = engine::ops::broadcast_strides(sb, dims_);
    }
    return Status::ok();
  }

  Status run(engine::KernelContext& ctx) override {
    const auto* a = static_cast<const std::int8_t*>(ctx.input(0).raw_data());
    const auto* b = static_cast<const std::int8_t*>(ctx.input(1).raw_data());
    auto* y = static_cast<std::int8_t*>(ctx.output(0).raw_data());
    const std::size_t last = dims_.size() - 1;
    const std::int64_t width = dims_[last];
    // Ranges of output elements, walked as the pieces of rows (of the last dimension) they hold.
    engine::ops::parallel_elements(
        pool_, element_count(dims_), [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end;) {
            const std::int64_t column = i % width;
            const std::int64_t count = std::min(end - i, width - column);
            std::int64_t off_a = column * stride_a_[last], off_b = column * stride_b_[last];
            for (std::int64_t d = static_cast<std::int64_t>(last) - 1, rest = i / width; d >= 0;
                 --d) {
              const auto ud = static_cast<std::size_t>(d);
              off_a += rest % dims_[ud] * stride_a_[ud];
              off_b += rest % dims_[ud] * stride_b_[ud];
              rest /= dims_[ud];
            }
            if (stride_a_[last] != 0 && stride_b_[last] != 0) {
              qadd_row<1, 1>(a + off_a, b + off_b, y + i, count, q_);
            } else if (stride_b_[last] != 0) {
              qadd_row<0, 1>(a + off_a, b + off_b, y + i, count, q_);
            } else if (stride_a_[last] != 0) {
              qadd_row<1, 0>(a + off_a, b + off_b, y + i, count, q_);
            } else {
              qadd_row<0, 0>(a + off_a, b + off_b, y + i, count, q_);
            }
            i += count;
          }
        });
    return Status::ok();
  }

 private:
  TwoInputQuant q_;
  ThreadPool* pool_ = nullptr;
  Shape dims_;  // the output walked (one row when the shapes are the same)
  std::vector<std::int64_t> stride_a_, stride_b_;  // elements per step of each dim, 0 if broadcast
};

}  // namespace

bool is_int8_or_uint8(DType t) { return is_int8_type(t); }

void register_quantized_ops(engine::Registry& registry) {
  using K = QuantElementwise::Kind;
  registry.add({kFastDomain, "QFullyConnected", 1, engine::make_kernel<QFullyConnected>});
  registry.add({kFastDomain, "Quantize", 1, QuantElementwise::create<K::kQuantize>});
  registry.add({kFastDomain, "Dequantize", 1, QuantElementwise::create<K::kDequantize>});
  registry.add({kFastDomain, "IntClamp", 1, QuantElementwise::create<K::kClamp>});
  registry.add({kFastDomain, "QAdd", 1, engine::make_kernel<QAdd>});
}

}  // namespace edgebench::kernels
