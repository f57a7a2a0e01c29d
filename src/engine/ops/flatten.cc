// Flatten: collapses the dims before `axis` and the dims from `axis` on into a 2-D tensor.
// ONNX opsets 1, 9, 11 (negative axis), 13. The axis may equal the rank.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class FlattenKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", 1));
    return std::unique_ptr<OpKernel>(new FlattenKernel(axis));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    const Shape& in = ctx.input_shape(0);
    const auto rank = static_cast<std::int64_t>(in.size());
    if (axis_ < -rank || axis_ > rank) {
      return ctx.error(
          fmt::format("attribute 'axis' {} is out of range [-{}, {}]", axis_, rank, rank));
    }
    const auto a = static_cast<std::size_t>(axis_ < 0 ? axis_ + rank : axis_);
    ctx.set_output(
        0, ctx.input_dtype(0),
        {tensor_family::dims_product(in, 0, a), tensor_family::dims_product(in, a, in.size())});
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.byte_size() > 0) std::memcpy(ctx.output(0).raw_data(), x.raw_data(), x.byte_size());
    return Status::ok();
  }

 private:
  explicit FlattenKernel(std::int64_t axis) : axis_(axis) {}
  std::int64_t axis_;
};

}  // namespace

OpDef flatten_op() { return {"", "Flatten", 1, &make_kernel<FlattenKernel>}; }

}  // namespace edgebench::engine::ops
