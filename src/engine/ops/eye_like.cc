// EyeLike: a 2-D tensor shaped like the input with ones on diagonal k (column - row == k) and
// zeros elsewhere; `dtype` (an ONNX type code) overrides the input's dtype. ONNX opset 9.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

// The bytes of the value 1 in a dtype.
std::uint64_t one_bits(DType dtype) {
  std::uint64_t bits = 0;
  if (dtype == DType::kFloat16) {
    const std::uint16_t half = float_to_half(1.0f);
    std::memcpy(&bits, &half, sizeof(half));
    return bits;
  }
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T one = static_cast<T>(1);
    std::memcpy(&bits, &one, sizeof(T));
  });
  return bits;
}

class EyeLikeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<EyeLikeKernel>(new EyeLikeKernel());
    EB_ASSIGN_OR_RETURN(kernel->k_, ctx.node.attributes.get_int("k", 0));
    if (ctx.node.attributes.has("dtype")) {
      EB_ASSIGN_OR_RETURN(std::int64_t code, ctx.node.attributes.get_int("dtype", 0));
      kernel->dtype_ = tensor_family::dtype_from_onnx_code(code);
      if (!kernel->dtype_) {
        return unsupported(fmt::format("attribute 'dtype' {} is not a supported type", code));
      }
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    if (ctx.input_rank(0) != 2) {
      return ctx.error(
          fmt::format("input must be 2-D, got shape {}", shape_to_string(ctx.input_shape(0))));
    }
    ctx.set_output(0, dtype_.value_or(ctx.input_dtype(0)), ctx.input_shape(0));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    Tensor& y = ctx.output(0);
    std::memset(y.raw_data(), 0, y.byte_size());
    const std::uint64_t one = one_bits(y.dtype());
    const std::size_t elem = dtype_size(y.dtype());
    auto* out = static_cast<std::byte*>(y.raw_data());
    const std::int64_t rows = y.dim(0);
    const std::int64_t cols = y.dim(1);
    for (std::int64_t row = 0; row < rows; ++row) {
      // Compare before adding so that a huge k cannot overflow.
      if (k_ >= cols - row || k_ < -row) continue;
      const std::int64_t col = row + k_;
      std::memcpy(out + static_cast<std::size_t>(row * cols + col) * elem, &one, elem);
    }
    return Status::ok();
  }

 private:
  EyeLikeKernel() = default;
  std::int64_t k_ = 0;
  std::optional<DType> dtype_;
};

}  // namespace

OpDef eye_like_op() { return {"", "EyeLike", 9, &make_kernel<EyeLikeKernel>}; }

}  // namespace edgebench::engine::ops
