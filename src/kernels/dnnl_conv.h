// Float32 convolution on NHWC activations through oneDNN (Debian's libdnnl), for x86 CPUs with
// AVX2 or better: oneDNN's JIT kernels reach 85-95 GFLOP/s on one AVX2 core where the XNNPACK
// snapshot in Debian reaches 35 (its 5x16 FMA3 kernel, built by GCC, spills an accumulator to the
// stack every step). ConvNhwc (conv_ops.cc) uses it when dnnl_conv_enabled() and oneDNN has a JIT
// implementation for the shape; XNNPACK otherwise (and on Arm, where it is the fast path).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "edgebench/core/status.h"
#include "edgebench/core/thread_pool.h"

namespace edgebench::kernels {

struct DnnlConvState;  // dnnl_state.h
struct DnnlTapConv;    // dnnl_conv.cc

// Whether oneDNN convolutions are used: built with oneDNN, the CPU has AVX2 (oneDNN's own ISA
// detection), and EDGEBENCH_CONV is not "xnnpack" (which keeps every convolution on XNNPACK).
bool dnnl_conv_enabled();

// One convolution's geometry: input [n, h, w, c_in] (NHWC), weights in ONNX's layout
// [c_out, c_in / group, kh, kw], output [n, oh, ow, c_out]; pads top, left, bottom, right.
struct DnnlConvGeometry {
  std::int64_t n, h, w, c_in, c_out, group;
  std::int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  std::int64_t oh, ow;
};

class DnnlConv {
 public:
  // Packs the weights for oneDNN once. Null (no error) when oneDNN is not enabled or has only
  // its reference implementation for this geometry, so that the caller keeps its own kernel.
  // A stride-1 convolution whose taps mostly read padding (a large dilation on a small map, as
  // in ASPP heads) runs tap by tap instead: each tap is a 1x1 convolution over the outputs it
  // reaches inside the input, summed, so that no multiply-add is spent on padding.
  // `threads`: the plan's pool size, which the work is split for (dnnl_state.h). The output is
  // clamped to [clamp_min, clamp_max] (a fused Relu/Clip; infinities: no clamp).
  static Result<std::unique_ptr<DnnlConv>> create(const DnnlConvGeometry& g, const float* weights,
                                                  const float* bias, float clamp_min,
                                                  float clamp_max, int threads);
  ~DnnlConv();
  DnnlConv(const DnnlConv&) = delete;
  DnnlConv& operator=(const DnnlConv&) = delete;

  // The parts run on `pool` (the plan's, of the size given to create()); null: on this thread.
  Status run(const float* in, float* out, ThreadPool* pool = nullptr);
  // oneDNN's name for the implementation it picked ("jit:avx2", "jit_dw:avx2", ...).
  const std::string& implementation() const;
  // How many parts the work is split into (1 for small convolutions; see dnnl_state.h).
  int parts() const;

 private:
  explicit DnnlConv(std::unique_ptr<DnnlConvState> state);
  explicit DnnlConv(std::unique_ptr<DnnlTapConv> taps);
  std::unique_ptr<DnnlConvState> state_;  // one convolution, or
  std::unique_ptr<DnnlTapConv> taps_;     // one 1x1 convolution per tap
  std::string implementation_;
};

}  // namespace edgebench::kernels
