// 1x1 convolutions whose weights are mostly zero (block-pruned, e.g. `edgebench optimize --prune
// 0.8 --prune-pattern block:8x1`), on NHWC float32: y[p, :] = bias + W x[p, :] for every pixel p.
//
// W [M, C] is stored by blocks of kSparseBlock (8) output channels x 1 input channel, keeping
// only the blocks with a nonzero weight: for each group of 8 output channels, the input channels
// it reads and their 8 weights. One stored block costs one 8-wide multiply-add per pixel, so the
// work falls with the share of blocks kept (the block density), not with the share of zero
// weights: 80% zeros scattered at random leave most blocks alive; 80% zeros in 8x1 blocks leave
// 20% of them.
//
// The lowering (lowering.cc) marks a Conv for this kernel when sparse_conv_pays() says so, and
// `inspect` names its kernel "sparse"; the other convolutions stay on oneDNN / XNNPACK.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "edgebench/core/thread_pool.h"

namespace edgebench::kernels {

inline constexpr std::int64_t kSparseBlock = 8;

// The share of the kSparseBlock x 1 blocks of W [m, c] (row-major) holding a nonzero weight.
double block_density(const float* w, std::int64_t m, std::int64_t c);

// Whether a 1x1 convolution (stride 1, no padding, one group) with weights W [m, c] runs on the
// sparse kernel: the CPU has the kernel's vector instructions (x86 AVX2 and FMA), EDGEBENCH_SPARSE
// is not "off", and the block density is at most kSparseMaxDensity. bench/sparse.sh measures
// where it pays against oneDNN's dense kernels: on a Zen 4 core MobileNetV2's 1x1 convolutions
// at 20% block density run 0.93x as fast as dense, at 10% 1.45x, at 5% 2.33x.
inline constexpr double kSparseMaxDensity = 0.15;
bool sparse_conv_pays(const float* w, std::int64_t m, std::int64_t c);

class SparseConv1x1 {
 public:
  // w [m, c], bias [m] or null; outputs are clamped to [out_min, out_max].
  SparseConv1x1(const float* w, const float* bias, std::int64_t m, std::int64_t c, float out_min,
                float out_max);

  // x [pixels, c] -> y [pixels, m], both row-major (NHWC with pixels = N * H * W).
  void run(const float* x, float* y, std::int64_t pixels, ThreadPool* pool) const;

  double density() const;

 private:
  void run_tile(const float* x, float* y, std::int64_t count) const;
  void run_tile_portable(const float* x, float* y, std::int64_t count) const;
#if defined(__x86_64__)
  void run_tile_avx2(const float* x, float* y, std::int64_t count) const;
#endif

  std::int64_t m_, c_, groups_;
  std::vector<std::int32_t> start_;    // groups_ + 1 offsets into channel_
  std::vector<std::int32_t> channel_;  // the input channel of each stored block
  std::vector<float> weights_;         // kSparseBlock per stored block (0 past m_)
  std::vector<float> bias_;            // kSparseBlock * groups_ (0 past m_)
  float out_min_, out_max_;
  bool avx2_ = false;
};

}  // namespace edgebench::kernels
