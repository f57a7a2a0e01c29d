// ConstantOfShape: a tensor of the shape given as a value, filled with the one element of the
// `value` attribute (float32 0 by default; its dtype is the output's). ONNX opsets 9, 20.
#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class ConstantOfShapeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<ConstantOfShapeKernel>(new ConstantOfShapeKernel());
    if (ctx.node.attributes.has("value")) {
      EB_ASSIGN_OR_RETURN(kernel->value_, ctx.node.attributes.get_tensor("value"));
      if (kernel->value_.element_count() != 1) {
        return invalid_model(fmt::format("attribute 'value' must hold one element, has {}",
                                         kernel->value_.describe()));
      }
    } else {
      kernel->value_ = Tensor::scalar<float>(DType::kFloat32, 0.0f);
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_ASSIGN_OR_RETURN(Shape shape, tensor_family::require_int_list(ctx, 0, "shape"));
    return tensor_family::set_checked_output(ctx, 0, value_.dtype(), std::move(shape));
  }

  Status run(KernelContext& ctx) override {
    Tensor& y = ctx.output(0);
    tensor_family::fill_elements(static_cast<std::byte*>(y.raw_data()), y.element_count(),
                                 static_cast<const std::byte*>(value_.raw_data()),
                                 dtype_size(value_.dtype()));
    return Status::ok();
  }

 private:
  ConstantOfShapeKernel() = default;
  Tensor value_;
};

}  // namespace

OpDef constant_of_shape_op() {
  return {"", "ConstantOfShape", 9, &make_kernel<ConstantOfShapeKernel>};
}

}  // namespace edgebench::engine::ops
