// Cast: converts to the dtype given by attribute `to` (an ONNX TensorProto.DataType code).
// ONNX opsets 6, 9, 13 (opset 1's string-valued `to` is not supported). Strings, bfloat16 and
// complex types are not supported. See cast_elements for the conversion rules.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

// Cast names its target type by ONNX TensorProto.DataType code.
Result<DType> cast_target(std::int64_t code) {
  if (std::optional<DType> dtype = dtype_from_onnx_code(code)) return *dtype;
  switch (code) {
    case 8: return unsupported("Cast to string is not supported");
    case 14:
    case 15: return unsupported("Cast to complex types is not supported");
    case 16: return unsupported("Cast to bfloat16 is not supported");
    default:
      if (code >= 17 && code <= 23) {
        return unsupported(fmt::format("Cast to ONNX data type {} is not supported", code));
      }
      return invalid_model(fmt::format("attribute 'to' is {}, not an ONNX data type", code));
  }
}

class CastKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    if (!ctx.node.attributes.has("to")) return invalid_model("attribute 'to' is required");
    EB_ASSIGN_OR_RETURN(const std::int64_t code, ctx.node.attributes.get_int("to", 0));
    EB_ASSIGN_OR_RETURN(const DType to, cast_target(code));
    return std::unique_ptr<OpKernel>(new CastKernel(to));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(expect_dtype_in(ctx, 0, AllTypes{}));
    ctx.set_output(0, to_, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    cast_elements(ctx.input(0), ctx.output(0), ctx.thread_pool());
    return Status::ok();
  }

 private:
  explicit CastKernel(DType to) : to_(to) {}

  DType to_;
};

}  // namespace

OpDef cast_op() { return {"", "Cast", 6, &CastKernel::create}; }

}  // namespace edgebench::engine::ops
