// Clip: y = min(max(x, min), max). ONNX opsets 1, 6 (bounds are float attributes), 11 (bounds
// are optional scalar inputs), 12 (integer types), 13. An absent bound does not clip; when
// min > max every element becomes max (as NumPy); NaN stays NaN.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

class ClipKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<ClipKernel>(new ClipKernel(ctx.opset));
    if (kernel->bounds_are_attributes()) {
      const ir::Attributes& attributes = ctx.node.attributes;
      if (attributes.has("min")) {
        EB_ASSIGN_OR_RETURN(const float min, attributes.get_float("min", 0.0f));
        kernel->attribute_min_ = min;
      }
      if (attributes.has("max")) {
        EB_ASSIGN_OR_RETURN(const float max, attributes.get_float("max", 0.0f));
        kernel->attribute_max_ = max;
      }
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    if (bounds_are_attributes()) {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
      EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, FloatTypes{}));
    } else {
      EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 3));
      EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, NumericTypes{}));
      for (std::size_t i = 1; i < 3; ++i) {
        if (!ctx.has_input(i)) continue;
        EB_RETURN_IF_ERROR(expect_same_dtype(ctx, 0, i));
        if (element_count(ctx.input_shape(i)) != 1) {
          return ctx.error(fmt::format("input {} ('{}') must be a scalar, has shape {}", i,
                                       ctx.node().inputs[i], shape_to_string(ctx.input_shape(i))));
        }
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const bool known = visit_dtype(x.dtype(), NumericTypes{}, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      using C = compute_t<T>;
      std::optional<C> lo;
      std::optional<C> hi;
      if (bounds_are_attributes()) {
        if (attribute_min_) lo = static_cast<C>(*attribute_min_);
        if (attribute_max_) hi = static_cast<C>(*attribute_max_);
      } else {
        if (ctx.has_input(1)) lo = load<T>(ctx.input(1).data<storage_t<T>>()[0]);
        if (ctx.has_input(2)) hi = load<T>(ctx.input(2).data<storage_t<T>>()[0]);
      }
      const auto* in = x.data<storage_t<T>>();
      auto* out = y.data<storage_t<T>>();
      parallel_elements(ctx.thread_pool(), x.element_count(),
                        [&](std::int64_t begin, std::int64_t end) {
                          for (std::int64_t i = begin; i < end; ++i) {
                            C v = load<T>(in[i]);
                            if (lo && v < *lo) v = *lo;
                            if (hi && v > *hi) v = *hi;
                            out[i] = store<T>(v);
                          }
                        });
    });
    return known ? Status::ok() : unexpected_dtype(x.dtype());
  }

 private:
  explicit ClipKernel(std::int64_t opset) : opset_(opset) {}
  bool bounds_are_attributes() const { return opset_before(opset_, 11); }

  std::int64_t opset_;
  std::optional<float> attribute_min_;
  std::optional<float> attribute_max_;
};

}  // namespace

OpDef clip_op() { return {"", "Clip", 1, &ClipKernel::create}; }

}  // namespace edgebench::engine::ops
