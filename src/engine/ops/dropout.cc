// Dropout in inference mode: output = data, and the optional mask is all true (all ones of
// data's dtype before opset 10). ONNX opsets 7, 10 (bool mask), 12 and 13 (ratio and
// training_mode become inputs). Training mode is unsupported unless its ratio is 0, which
// also keeps every element.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

constexpr double kDefaultRatio = 0.5;

class DropoutKernel final : public OpKernel {
 public:
  explicit DropoutKernel(const KernelCreateContext& ctx) : opset_(ctx.opset) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, has_mode_inputs() ? 3 : 1));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, FloatTypes{}));
    if (ctx.has_input(1)) {
      EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 1, FloatTypes{}));
      EB_RETURN_IF_ERROR(expect_scalar(ctx, 1));
    }
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 2, BoolTypes{}));
      EB_RETURN_IF_ERROR(expect_scalar(ctx, 2));
      // When training_mode or ratio is only known at run time, run() makes this check.
      const bool ratio_known = !ctx.has_input(1) || ctx.input_value(1) != nullptr;
      if (ctx.input_value(2) != nullptr && ratio_known) {
        EB_RETURN_IF_ERROR(check_mode(*ctx.input_value(2), ctx.input_value(1))
                               .with_context(ctx.node().describe()));
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    ctx.set_output(1, opset_before(opset_, 10) ? ctx.input_dtype(0) : DType::kBool,
                   ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    if (ctx.has_input(2)) {
      EB_RETURN_IF_ERROR(check_mode(ctx.input(2), ctx.has_input(1) ? &ctx.input(1) : nullptr));
    }
    const Tensor& data = ctx.input(0);
    if (data.byte_size() != 0) {
      std::memcpy(ctx.output(0).raw_data(), data.raw_data(), data.byte_size());
    }
    if (ctx.has_output(1)) {
      Tensor& mask = ctx.output(1);
      visit_dtype(mask.dtype(), AllTypes{}, [&](auto* tag) {
        using T = std::remove_pointer_t<decltype(tag)>;
        auto* out = mask.data<storage_t<T>>();
        for (std::int64_t i = 0; i < mask.element_count(); ++i) out[i] = store<T>(compute_t<T>(1));
      });
    }
    return Status::ok();
  }

 private:
  bool has_mode_inputs() const { return !opset_before(opset_, 12); }

  static Status expect_scalar(const InferContext& ctx, std::size_t i) {
    if (element_count(ctx.input_shape(i)) == 1) return Status::ok();
    return ctx.error(fmt::format("input {} ('{}') must be a scalar, has shape {}", i,
                                 ctx.node().inputs[i], shape_to_string(ctx.input_shape(i))));
  }

  // Training with a non-zero ratio drops random elements, which this engine does not do.
  static Status check_mode(const Tensor& training_mode, const Tensor* ratio) {
    if (training_mode.element_as_double(0) == 0) return Status::ok();
    const double r = ratio != nullptr ? ratio->element_as_double(0) : kDefaultRatio;
    if (r == 0) return Status::ok();
    return unsupported(
        fmt::format("training_mode is true with ratio {}; only inference is supported", r));
  }

  std::int64_t opset_;
};

}  // namespace

OpDef dropout_op() { return {"", "Dropout", 7, &make_kernel<DropoutKernel>}; }

}  // namespace edgebench::engine::ops
