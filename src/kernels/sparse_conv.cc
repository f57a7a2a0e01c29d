// The block-sparse 1x1 convolution of sparse_conv.h.
#include "sparse_conv.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace edgebench::kernels {

namespace {

// Pixels computed together: each stored block's weights are loaded once per tile.
constexpr std::int64_t kTile = 8;
// Tiles per parallel task: enough work to hide the pool's dispatch.
constexpr std::int64_t kTilesPerTask = 4;
constexpr std::int64_t kMaxWidth = 16;

bool cpu_has_avx2_fma() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}

// EDGEBENCH_SPARSE: "off" keeps every convolution dense, "avx2" caps the kernel at width 8 (as
// on a CPU without AVX-512; with ONEDNN_MAX_CPU_ISA=AVX2 the dense side matches).
std::string_view sparse_choice() {
  static const std::string choice = [] {
    const char* env = std::getenv("EDGEBENCH_SPARSE");
    return std::string(env != nullptr ? env : "");
  }();
  return choice;
}

}  // namespace

double block_density(const float* w, std::int64_t m, std::int64_t c, std::int64_t width) {
  const std::int64_t groups = (m + width - 1) / width;
  if (groups == 0 || c == 0) return 1.0;
  std::int64_t kept = 0;
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::int64_t rows = std::min(width, m - g * width);
    for (std::int64_t k = 0; k < c; ++k) {
      for (std::int64_t r = 0; r < rows; ++r) {
        if (w[(g * width + r) * c + k] != 0.0f) {
          ++kept;
          break;
        }
      }
    }
  }
  return static_cast<double>(kept) / static_cast<double>(groups * c);
}

std::int64_t sparse_block_width(const float* w, std::int64_t m, std::int64_t c) {
  if (sparse_choice() == "off") return 0;
  if (cpu_has_avx512() && sparse_choice() != "avx2" &&
      block_density(w, m, c, 16) <= kSparseMaxDensity16) {
    return 16;
  }
  if (cpu_has_avx2_fma() && block_density(w, m, c, 8) <= kSparseMaxDensity8) return 8;
  return 0;
}

SparseConv1x1::SparseConv1x1(const float* w, const float* bias, std::int64_t m, std::int64_t c,
                             std::int64_t width, float out_min, float out_max)
    : m_(m),
      c_(c),
      width_(width == 16 ? 16 : 8),
      groups_((m + width_ - 1) / width_),
      out_min_(out_min),
      out_max_(out_max),
      vector_(width_ == 16 ? cpu_has_avx512() : cpu_has_avx2_fma()) {
  start_.reserve(static_cast<std::size_t>(groups_ + 1));
  bias_.assign(static_cast<std::size_t>(groups_ * width_), 0.0f);
  if (bias != nullptr) std::copy(bias, bias + m, bias_.begin());
  start_.push_back(0);
  for (std::int64_t g = 0; g < groups_; ++g) {
    const std::int64_t rows = std::min(width_, m - g * width_);
    for (std::int64_t k = 0; k < c; ++k) {
      float block[kMaxWidth] = {};
      bool nonzero = false;
      for (std::int64_t r = 0; r < rows; ++r) {
        block[r] = w[(g * width_ + r) * c + k];
        nonzero = nonzero || block[r] != 0.0f;
      }
      if (!nonzero) continue;
      channel_.push_back(static_cast<std::int32_t>(k));
      weights_.insert(weights_.end(), block, block + width_);
    }
    start_.push_back(static_cast<std::int32_t>(channel_.size()));
  }
}

double SparseConv1x1::density() const {
  return groups_ * c_ == 0
             ? 1.0
             : static_cast<double>(channel_.size()) / static_cast<double>(groups_ * c_);
}

void SparseConv1x1::run(const float* x, float* y, std::int64_t pixels, ThreadPool* pool) const {
  const std::int64_t tiles = (pixels + kTile - 1) / kTile;
  const std::int64_t tasks = (tiles + kTilesPerTask - 1) / kTilesPerTask;
  auto task = [&](std::size_t t) {
    const std::int64_t first = static_cast<std::int64_t>(t) * kTilesPerTask * kTile;
    const std::int64_t last = std::min(pixels, first + kTilesPerTask * kTile);
    for (std::int64_t p = first; p < last; p += kTile) {
      run_tile(x + p * c_, y + p * m_, std::min(kTile, last - p));
    }
  };
  if (pool != nullptr) {
    pool->parallel_for(static_cast<std::size_t>(tasks), task);
  } else {
    for (std::int64_t t = 0; t < tasks; ++t) task(static_cast<std::size_t>(t));
  }
}

void SparseConv1x1::run_tile(const float* x, float* y, std::int64_t count) const {
#if defined(__x86_64__)
  if (vector_) {
    const auto vector_tile = [&](const float* xs, float* ys) {
      width_ == 16 ? run_tile_avx512(xs, ys) : run_tile_avx2(xs, ys);
    };
    if (count == kTile) return vector_tile(x, y);
    // The last, partial tile: its rows copied into a whole tile (the rest zero), run as one.
    thread_local std::vector<float> xs, ys;
    xs.assign(static_cast<std::size_t>(kTile * c_), 0.0f);
    ys.resize(static_cast<std::size_t>(kTile * m_));
    std::copy_n(x, count * c_, xs.begin());
    vector_tile(xs.data(), ys.data());
    std::copy_n(ys.begin(), count * m_, y);
    return;
  }
#endif
  run_tile_portable(x, y, count);
}

// The same sums in the same order as the vector kernels (one multiply-add per block and pixel,
// starting from the bias), for CPUs without them.
void SparseConv1x1::run_tile_portable(const float* x, float* y, std::int64_t count) const {
  for (std::int64_t g = 0; g < groups_; ++g) {
    const std::int64_t rows = std::min(width_, m_ - g * width_);
    for (std::int64_t p = 0; p < count; ++p) {
      float acc[kMaxWidth];
      std::copy_n(bias_.data() + g * width_, width_, acc);
      const float* xp = x + p * c_;
      for (std::int32_t j = start_[g]; j < start_[g + 1]; ++j) {
        const float v = xp[channel_[j]];
        const float* wj = weights_.data() + std::int64_t{j} * width_;
        for (std::int64_t r = 0; r < width_; ++r) acc[r] = std::fma(v, wj[r], acc[r]);
      }
      float* yp = y + p * m_ + g * width_;
      for (std::int64_t r = 0; r < rows; ++r) yp[r] = std::clamp(acc[r], out_min_, out_max_);
    }
  }
}

#if defined(__x86_64__)
// One group of 8 output channels at a time: 8 accumulators (one per pixel of the tile), each
// stored block one weight load and 8 broadcast multiply-adds.
__attribute__((target("avx2,fma"))) void SparseConv1x1::run_tile_avx2(const float* x,
                                                                      float* y) const {
  const __m256 lo = _mm256_set1_ps(out_min_), hi = _mm256_set1_ps(out_max_);
  for (std::int64_t g = 0; g < groups_; ++g) {
    const __m256 b = _mm256_loadu_ps(bias_.data() + g * 8);
    __m256 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    const float* wj = weights_.data() + std::int64_t{start_[g]} * 8;
    for (std::int32_t j = start_[g]; j < start_[g + 1]; ++j, wj += 8) {
      const __m256 w = _mm256_loadu_ps(wj);
      const float* xk = x + channel_[j];
      a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk), w, a0);
      a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk + c_), w, a1);
      a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk + 2 * c_), w, a2);
      a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk + 3 * c_), w, a3);
      a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk + 4 * c_), w, a4);
      a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk + 5 * c_), w, a5);
      a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk + 6 * c_), w, a6);
      a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(xk + 7 * c_), w, a7);
    }
    const __m256 acc[kTile] = {a0, a1, a2, a3, a4, a5, a6, a7};
    const std::int64_t rows = std::min<std::int64_t>(8, m_ - g * 8);
    for (std::int64_t p = 0; p < kTile; ++p) {
      const __m256 v = _mm256_min_ps(_mm256_max_ps(acc[p], lo), hi);
      float* yp = y + p * m_ + g * 8;
      if (rows == 8) {
        _mm256_storeu_ps(yp, v);
      } else {
        alignas(32) float tail[8];
        _mm256_store_ps(tail, v);
        std::memcpy(yp, tail, static_cast<std::size_t>(rows) * sizeof(float));
      }
    }
  }
}

// The same with groups of 16 output channels in 512-bit registers.
__attribute__((target("avx512f"))) void SparseConv1x1::run_tile_avx512(const float* x,
                                                                       float* y) const {
  const __m512 lo = _mm512_set1_ps(out_min_), hi = _mm512_set1_ps(out_max_);
  for (std::int64_t g = 0; g < groups_; ++g) {
    const __m512 b = _mm512_loadu_ps(bias_.data() + g * 16);
    __m512 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    const float* wj = weights_.data() + std::int64_t{start_[g]} * 16;
    for (std::int32_t j = start_[g]; j < start_[g + 1]; ++j, wj += 16) {
      const __m512 w = _mm512_loadu_ps(wj);
      const float* xk = x + channel_[j];
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(xk[0]), w, a0);
      a1 = _mm512_fmadd_ps(_mm512_set1_ps(xk[c_]), w, a1);
      a2 = _mm512_fmadd_ps(_mm512_set1_ps(xk[2 * c_]), w, a2);
      a3 = _mm512_fmadd_ps(_mm512_set1_ps(xk[3 * c_]), w, a3);
      a4 = _mm512_fmadd_ps(_mm512_set1_ps(xk[4 * c_]), w, a4);
      a5 = _mm512_fmadd_ps(_mm512_set1_ps(xk[5 * c_]), w, a5);
      a6 = _mm512_fmadd_ps(_mm512_set1_ps(xk[6 * c_]), w, a6);
      a7 = _mm512_fmadd_ps(_mm512_set1_ps(xk[7 * c_]), w, a7);
    }
    const __m512 acc[kTile] = {a0, a1, a2, a3, a4, a5, a6, a7};
    const std::int64_t rows = std::min<std::int64_t>(16, m_ - g * 16);
    const auto mask = static_cast<__mmask16>((1u << rows) - 1u);
    for (std::int64_t p = 0; p < kTile; ++p) {
      const __m512 v = _mm512_min_ps(_mm512_max_ps(acc[p], lo), hi);
      if (rows == 16) {
        _mm512_storeu_ps(y + p * m_ + g * 16, v);
      } else {
        _mm512_mask_storeu_ps(y + p * m_ + g * 16, mask, v);
      }
    }
  }
}
#endif

}  // namespace edgebench::kernels
