// SpaceToDepth: moves blocksize x blocksize spatial blocks into channels, for a 4-D (N, C, H, W)
// input; the inverse of DepthToSpace in DCR mode. ONNX opsets 1 and 13.
#include <fmt/format.h>

#include <cstring>

#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class SpaceToDepthKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& a = ctx.node.attributes;
    auto kernel = std::make_unique<SpaceToDepthKernel>();
    if (!a.has("blocksize")) return invalid_model("attribute 'blocksize' is required");
    EB_ASSIGN_OR_RETURN(kernel->block_, a.get_int("blocksize", 1));
    if (kernel->block_ < 1) {
      return invalid_model(
          fmt::format("attribute 'blocksize' must be positive, has {}", kernel->block_));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    const Shape& x = ctx.input_shape(0);
    if (x.size() != 4) {
      return ctx.error(
          fmt::format("input has shape {}; expected rank 4 (N, C, H, W)", shape_to_string(x)));
    }
    auto channels = checked_mul(block_, block_);
    if (channels) channels = checked_mul(*channels, x[1]);
    if (!channels) {
      return ctx.error(fmt::format("attribute 'blocksize' {} overflows the output size", block_));
    }
    if (x[2] % block_ != 0 || x[3] % block_ != 0) {
      return ctx.error(fmt::format("input spatial size {}x{} is not divisible by 'blocksize' {}",
                                   x[2], x[3], block_));
    }
    ctx.set_output(0, ctx.input_dtype(0), {x[0], *channels, x[2] / block_, x[3] / block_});
    return Status::ok();
  }

  // y[n, (i * b + j) * C + c, h, w] = x[n, c, h * b + i, w * b + j].
  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const std::int64_t batch = x.dim(0);
    const std::int64_t channels = x.dim(1);
    const std::int64_t b = block_;
    const std::int64_t height = y.dim(2);
    const std::int64_t width = y.dim(3);
    const std::size_t element_size = dtype_size(x.dtype());
    const auto* xd = static_cast<const std::byte*>(x.raw_data());
    auto* yd = static_cast<std::byte*>(y.raw_data());
    std::int64_t out = 0;
    for (std::int64_t n = 0; n < batch; ++n) {
      for (std::int64_t depth = 0; depth < channels * b * b; ++depth) {
        const std::int64_t c = depth % channels;
        const std::int64_t i = depth / channels / b;
        const std::int64_t j = depth / channels % b;
        for (std::int64_t h = 0; h < height; ++h) {
          for (std::int64_t w = 0; w < width; ++w, ++out) {
            const std::int64_t in =
                ((n * channels + c) * height * b + h * b + i) * width * b + w * b + j;
            std::memcpy(yd + static_cast<std::size_t>(out) * element_size,
                        xd + static_cast<std::size_t>(in) * element_size, element_size);
          }
        }
      }
    }
    return Status::ok();
  }

 private:
  std::int64_t block_ = 1;
};

}  // namespace

OpDef space_to_depth_op() { return {"", "SpaceToDepth", 1, &make_kernel<SpaceToDepthKernel>}; }

}  // namespace edgebench::engine::ops
