// 1x1 convolutions whose weights are mostly zero (block-pruned, e.g. `edgebench optimize --prune
// 0.8 --prune-pattern block:16x1`), on NHWC float32: y[p, :] = bias + W x[p, :] for every pixel p.
//
// W [M, C] is stored by blocks of B output channels x 1 input channel, keeping only the blocks
// with a nonzero weight: for each group of B output channels, the input channels it reads and
// their B weights. One stored block costs one B-wide multiply-add per pixel, so the work falls
// with the share of blocks kept (the block density), not with the share of zero weights: 80%
// zeros scattered at random leave most blocks alive; 80% zeros in Bx1 blocks leave 20% of them.
// B is the vector width: 16 on CPUs with AVX-512, 8 on those with AVX2 and FMA.
//
// The lowering (lowering.cc) marks a Conv for this kernel when sparse_block_width() is not 0,
// and `inspect` names its kernel "sparse"; the other convolutions stay on oneDNN / XNNPACK.
#pragma once

#include <cstdint>
#include <vector>

#include "edgebench/core/thread_pool.h"

namespace edgebench::kernels {

// The share of the `width` x 1 blocks of W [m, c] (row-major) holding a nonzero weight.
double block_density(const float* w, std::int64_t m, std::int64_t c, std::int64_t width);

// A sparse 1x1 convolution pays only when few blocks are left. bench/sparse.sh measures where it
// crosses oneDNN's dense kernels, MobileNetV2 at 1 thread on an AVX-512 core: 16x1 blocks at 20%
// density 1.89x as fast as dense, 40% 1.49x, 50% 1.32x; 8x1 blocks (the AVX2 kernel) at 20%
// 1.39x, 40% 0.93x.
inline constexpr double kSparseMaxDensity16 = 0.5;
inline constexpr double kSparseMaxDensity8 = 0.3;

// The block width the sparse kernel runs a 1x1 convolution (stride 1, no padding, one group)
// with weights W [m, c] at, or 0 to leave it dense: 16 where the CPU has AVX-512 and at most
// kSparseMaxDensity16 of the 16x1 blocks hold a nonzero, else 8 where it has AVX2 and FMA and at
// most kSparseMaxDensity8 of the 8x1 blocks do; always 0 when EDGEBENCH_SPARSE is "off", never
// 16 when it is "avx2".
std::int64_t sparse_block_width(const float* w, std::int64_t m, std::int64_t c);

class SparseConv1x1 {
 public:
  // w [m, c], bias [m] or null; outputs are clamped to [out_min, out_max]; width 8 or 16.
  SparseConv1x1(const float* w, const float* bias, std::int64_t m, std::int64_t c,
                std::int64_t width, float out_min, float out_max);

  // x [pixels, c] -> y [pixels, m], both row-major (NHWC with pixels = N * H * W).
  void run(const float* x, float* y, std::int64_t pixels, ThreadPool* pool) const;

  std::int64_t width() const { return width_; }
  double density() const;

 private:
  void run_tile(const float* x, float* y, std::int64_t count) const;
  void run_tile_portable(const float* x, float* y, std::int64_t count) const;
#if defined(__x86_64__)
  void run_tile_avx2(const float* x, float* y) const;
  void run_tile_avx512(const float* x, float* y) const;
#endif

  std::int64_t m_, c_, width_, groups_;
  std::vector<std::int32_t> start_;    // groups_ + 1 offsets into channel_
  std::vector<std::int32_t> channel_;  // the input channel of each stored block
  std::vector<float> weights_;         // width_ per stored block (0 past m_)
  std::vector<float> bias_;            // width_ * groups_ (0 past m_)
  float out_min_, out_max_;
  bool vector_ = false;  // the CPU runs the width's vector kernel
};

}  // namespace edgebench::kernels
