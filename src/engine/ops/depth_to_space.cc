// DepthToSpace: moves blocks of channels into blocksize x blocksize spatial blocks, for a 4-D
// (N, C, H, W) input. Mode DCR (depth-column-row, the default and the only mode before opset 11)
// or CRD (column-row-depth). ONNX opsets 1, 11, 13.
#include <fmt/format.h>

#include <cstring>

#include "nn_util.h"
#include "op_util.h"

namespace edgebench::engine::ops {
namespace {

class DepthToSpaceKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& a = ctx.node.attributes;
    auto kernel = std::make_unique<DepthToSpaceKernel>();
    if (!a.has("blocksize")) return invalid_model("attribute 'blocksize' is required");
    EB_ASSIGN_OR_RETURN(kernel->block_, a.get_int("blocksize", 1));
    if (kernel->block_ < 1) {
      return invalid_model(
          fmt::format("attribute 'blocksize' must be positive, has {}", kernel->block_));
    }
    EB_ASSIGN_OR_RETURN(const std::string mode, a.get_string("mode", "DCR"));
    if (mode != "DCR" && mode != "CRD") {
      return invalid_model(fmt::format("attribute 'mode' is '{}'; expected DCR or CRD", mode));
    }
    kernel->crd_ = mode == "CRD";
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    const Shape& x = ctx.input_shape(0);
    if (x.size() != 4) {
      return ctx.error(
          fmt::format("input has shape {}; expected rank 4 (N, C, H, W)", shape_to_string(x)));
    }
    const auto block_area = checked_mul(block_, block_);
    const auto height = checked_mul(x[2], block_);
    const auto width = checked_mul(x[3], block_);
    if (!block_area || !height || !width) {
      return ctx.error(fmt::format("attribute 'blocksize' {} overflows the output size", block_));
    }
    if (x[1] % *block_area != 0) {
      return ctx.error(fmt::format(
          "input has {} channels, not divisible by 'blocksize' squared ({})", x[1], *block_area));
    }
    ctx.set_output(0, ctx.input_dtype(0), {x[0], x[1] / *block_area, *height, *width});
    return Status::ok();
  }

  // y[n, c, h * b + i, w * b + j] = x[n, depth, h, w] with depth = (i * b + j) * C_out + c (DCR)
  // or c * b * b + i * b + j (CRD).
  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const std::int64_t batch = y.dim(0);
    const std::int64_t channels = y.dim(1);
    const std::int64_t height = x.dim(2);
    const std::int64_t width = x.dim(3);
    const std::int64_t b = block_;
    const std::size_t element_size = dtype_size(x.dtype());
    const auto* xd = static_cast<const std::byte*>(x.raw_data());
    auto* yd = static_cast<std::byte*>(y.raw_data());
    std::int64_t out = 0;
    for (std::int64_t n = 0; n < batch; ++n) {
      for (std::int64_t c = 0; c < channels; ++c) {
        for (std::int64_t yh = 0; yh < height * b; ++yh) {
          for (std::int64_t yw = 0; yw < width * b; ++yw, ++out) {
            const std::int64_t i = yh % b;
            const std::int64_t j = yw % b;
            const std::int64_t depth = crd_ ? (c * b + i) * b + j : (i * b + j) * channels + c;
            const std::int64_t in =
                ((n * channels * b * b + depth) * height + yh / b) * width + yw / b;
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
  bool crd_ = false;
};

}  // namespace

OpDef depth_to_space_op() { return {"", "DepthToSpace", 1, &make_kernel<DepthToSpaceKernel>}; }

}  // namespace edgebench::engine::ops
