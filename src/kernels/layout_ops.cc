// ToNhwc / ToNchw: the layout conversions the lowering inserts at the edges of NHWC regions.
// Blocked transposes over any element size, split over the pool's threads by image and block.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "fast_ops.h"

namespace edgebench::kernels {

namespace {

constexpr std::int64_t kBlock = 32;
// Elements of a block of whole rows in the few-columns case: 16 KiB of floats, within L1.
constexpr std::int64_t kRowsBlockElements = 4096;

// Transposes each of `batch` [rows x cols] matrices of T into [cols x rows].
template <typename T>
void transpose_batched(const T* in, T* out, std::int64_t batch, std::int64_t rows,
                       std::int64_t cols, ThreadPool* pool) {
  // Few columns (NHWC -> NCHW of a map with few channels, such as a segmentation head's 21
  // classes at full resolution): blocks of whole rows, each output row written in one run
  // while the block is read from L1. Otherwise square blocks, read in input order.
  const bool few_columns = cols < kBlock && rows >= cols;
  const std::int64_t block_rows =
      few_columns ? std::max(kBlock, kRowsBlockElements / std::max<std::int64_t>(cols, 1)) : kBlock;
  const std::int64_t row_blocks = (rows + block_rows - 1) / block_rows;
  auto task = [&](std::size_t t) {
    const std::int64_t b = static_cast<std::int64_t>(t) / row_blocks;
    const std::int64_t r0 = static_cast<std::int64_t>(t) % row_blocks * block_rows;
    const std::int64_t r1 = std::min(rows, r0 + block_rows);
    const T* src = in + b * rows * cols;
    T* dst = out + b * rows * cols;
    if (few_columns) {
      for (std::int64_t c = 0; c < cols; ++c) {
        for (std::int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * cols + c];
      }
      return;
    }
    for (std::int64_t c0 = 0; c0 < cols; c0 += kBlock) {
      const std::int64_t c1 = std::min(cols, c0 + kBlock);
      for (std::int64_t r = r0; r < r1; ++r) {
        for (std::int64_t c = c0; c < c1; ++c) dst[c * rows + r] = src[r * cols + c];
      }
    }
  };
  const auto tasks = static_cast<std::size_t>(batch * row_blocks);
  if (pool != nullptr) {
    pool->parallel_for(tasks, task);
  } else {
    for (std::size_t t = 0; t < tasks; ++t) task(t);
  }
}

void transpose_any(const Tensor& in, Tensor& out, std::int64_t batch, std::int64_t rows,
                   std::int64_t cols, ThreadPool* pool) {
  switch (dtype_size(in.dtype())) {
    case 1:
      return transpose_batched(static_cast<const std::uint8_t*>(in.raw_data()),
                               static_cast<std::uint8_t*>(out.raw_data()), batch, rows, cols, pool);
    case 2:
      return transpose_batched(static_cast<const std::uint16_t*>(in.raw_data()),
                               static_cast<std::uint16_t*>(out.raw_data()), batch, rows, cols,
                               pool);
    case 4:
      return transpose_batched(static_cast<const std::uint32_t*>(in.raw_data()),
                               static_cast<std::uint32_t*>(out.raw_data()), batch, rows, cols,
                               pool);
    default:
      return transpose_batched(static_cast<const std::uint64_t*>(in.raw_data()),
                               static_cast<std::uint64_t*>(out.raw_data()), batch, rows, cols,
                               pool);
  }
}

// to_nhwc: [N,C,H,W] -> [N,H,W,C]; otherwise [N,H,W,C] -> [N,C,H,W].
class LayoutKernel final : public engine::OpKernel {
 public:
  explicit LayoutKernel(bool to_nhwc) : to_nhwc_(to_nhwc) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    if (ctx.input_rank(0) != 4) return ctx.error("input must have rank 4");
    const std::size_t size = dtype_size(ctx.input_dtype(0));
    if (size != 1 && size != 2 && size != 4 && size != 8) {
      return ctx.unsupported_error(
          fmt::format("no layout conversion for {}", dtype_name(ctx.input_dtype(0))));
    }
    const Shape& s = ctx.input_shape(0);
    ctx.set_output(0, ctx.input_dtype(0),
                   to_nhwc_ ? Shape{s[0], s[2], s[3], s[1]} : Shape{s[0], s[3], s[1], s[2]});
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    pool_ = ctx.thread_pool;
    return Status::ok();
  }

  Status run(engine::KernelContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.output(0);
    const Shape& s = in.shape();
    // NCHW -> NHWC transposes [C x HW] per image; NHWC -> NCHW transposes [HW x C].
    if (to_nhwc_) {
      transpose_any(in, out, s[0], s[1], s[2] * s[3], pool_);
    } else {
      transpose_any(in, out, s[0], s[1] * s[2], s[3], pool_);
    }
    return Status::ok();
  }

 private:
  bool to_nhwc_;
  ThreadPool* pool_ = nullptr;
};

Result<std::unique_ptr<engine::OpKernel>> make_to_nhwc(const engine::KernelCreateContext&) {
  return std::unique_ptr<engine::OpKernel>(std::make_unique<LayoutKernel>(true));
}
Result<std::unique_ptr<engine::OpKernel>> make_to_nchw(const engine::KernelCreateContext&) {
  return std::unique_ptr<engine::OpKernel>(std::make_unique<LayoutKernel>(false));
}

}  // namespace

void register_layout_ops(engine::Registry& registry) {
  registry.add({kFastDomain, "ToNhwc", 1, make_to_nhwc});
  registry.add({kFastDomain, "ToNchw", 1, make_to_nchw});
}

}  // namespace edgebench::kernels
