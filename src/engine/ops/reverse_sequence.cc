// ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along the
// time axis and copies the rest. ONNX opset 10; batch_axis and time_axis are 0 and 1 in either
// order. Lengths are data: one outside [0, time steps] is an error when the kernel runs.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class ReverseSequenceKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t batch_axis, ctx.node.attributes.get_int("batch_axis", 1));
    EB_ASSIGN_OR_RETURN(std::int64_t time_axis, ctx.node.attributes.get_int("time_axis", 0));
    if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0))) {
      return invalid_model(
          fmt::format("attributes 'batch_axis' {} and 'time_axis' {} must be 0 and 1 in some order",
                      batch_axis, time_axis));
    }
    return std::unique_ptr<OpKernel>(new ReverseSequenceKernel(batch_axis == 0));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 2));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(1, {DType::kInt64, DType::kInt32}));
    const Shape& in = ctx.input_shape(0);
    if (in.size() < 2) return ctx.error("input must have rank >= 2");
    const std::int64_t batch = in[batch_first_ ? 0 : 1];
    if (ctx.input_shape(1) != Shape{batch}) {
      return ctx.error(fmt::format("'sequence_lens' {} must be [{}]",
                                   shape_to_string(ctx.input_shape(1)), batch));
    }
    ctx.set_output(0, ctx.input_dtype(0), in);
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& lengths = ctx.input(1);
    const std::int64_t batch_axis = batch_first_ ? 0 : 1;
    const std::int64_t time_axis = 1 - batch_axis;
    const std::int64_t steps = x.dim(static_cast<int>(time_axis));
    const std::vector<std::int64_t> strides = strides_of(x.shape());
    const std::size_t block =
        static_cast<std::size_t>(strides[1]) * dtype_size(x.dtype());  // dims after axis 1
    const auto* src = static_cast<const std::byte*>(x.raw_data());
    auto* dst = static_cast<std::byte*>(ctx.output(0).raw_data());
    if (block == 0) return Status::ok();
    for (std::int64_t b = 0; b < lengths.element_count(); ++b) {
      const std::int64_t length = lengths.element_as_int64(b);
      if (length < 0 || length > steps) {
        return out_of_range(
            fmt::format("sequence_lens[{}] = {} is outside [0, {}]", b, length, steps));
      }
      for (std::int64_t t = 0; t < steps; ++t) {
        const std::int64_t from = t < length ? length - 1 - t : t;
        const std::int64_t out_offset = b * strides[static_cast<std::size_t>(batch_axis)] +
                                        t * strides[static_cast<std::size_t>(time_axis)];
        const std::int64_t in_offset = b * strides[static_cast<std::size_t>(batch_axis)] +
                                       from * strides[static_cast<std::size_t>(time_axis)];
        std::memcpy(dst + static_cast<std::size_t>(out_offset) * dtype_size(x.dtype()),
                    src + static_cast<std::size_t>(in_offset) * dtype_size(x.dtype()), block);
      }
    }
    return Status::ok();
  }

 private:
  explicit ReverseSequenceKernel(bool batch_first) : batch_first_(batch_first) {}
  bool batch_first_;
};

}  // namespace

OpDef reverse_sequence_op() {
  return {"", "ReverseSequence", 10, &make_kernel<ReverseSequenceKernel>};
}

}  // namespace edgebench::engine::ops
