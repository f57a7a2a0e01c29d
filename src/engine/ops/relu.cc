// Relu: y = max(x, 0). ONNX opsets 6, 13, 14 (14 adds integer types).
#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {
namespace {

class ReluKernel final : public OpKernel {
 public:
  explicit ReluKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kInt8,
                                                  DType::kInt16, DType::kInt32, DType::kInt64}));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    return dispatch_types<float, double, std::int8_t, std::int16_t, std::int32_t, std::int64_t>(
        x.dtype(), "Relu", [&](auto* tag) {
          using T = std::remove_pointer_t<decltype(tag)>;
          const T* in = x.data<T>();
          T* out = y.data<T>();
          parallel_elements(ctx.thread_pool(), x.element_count(),
                            [&](std::int64_t begin, std::int64_t end) {
                              for (std::int64_t i = begin; i < end; ++i) {
                                out[i] = in[i] > T(0) ? in[i] : T(0);
                              }
                            });
        });
  }
};

}  // namespace

OpDef relu_op() { return {"", "Relu", 6, &make_kernel<ReluKernel>}; }

}  // namespace edgebench::engine::ops
