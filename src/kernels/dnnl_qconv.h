// Int8 convolution on NHWC activations through oneDNN (Debian's libdnnl 2.6), the integer
// counterpart of DnnlConv (dnnl_conv.h): int8 activations with a zero point, int8 weights with
// one scale per output channel, int32 bias, requantized to int8 with a zero point and a fused
// clamp, as QConvNhwc (conv_ops.cc) runs a QLinearConv.
//
// oneDNN multiplies uint8 by int8 bytes. With VNNI (vpdpbusd) the products are summed in 32 bits
// and the result is exact. Without it (plain AVX2) the kernels use vpmaddubsw, whose 16-bit pair
// sums saturate; for int8 activations oneDNN halves the weights to stay clear of that, which
// drops their lowest bit (measured on this project's AVX2 machine: up to 10 output steps off the
// integer reference on full-range random data). So by default oneDNN runs int8 convolutions only
// where the CPU has VNNI; EDGEBENCH_QCONV=dnnl also allows them on AVX2 (faster, not exact) and
// EDGEBENCH_QCONV=xnnpack (or EDGEBENCH_CONV=xnnpack) keeps XNNPACK everywhere.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dnnl_conv.h"
#include "edgebench/core/status.h"

namespace edgebench::kernels {

// Whether oneDNN int8 convolutions are used (see above): dnnl_conv_enabled(), and the CPU has
// VNNI or EDGEBENCH_QCONV=dnnl, and EDGEBENCH_QCONV is not "xnnpack".
bool dnnl_qconv_enabled();
// Whether oneDNN's int8 convolutions are exact on this CPU (it has VNNI or AMX).
bool dnnl_qconv_exact();

struct DnnlQConvParams {
  DnnlConvGeometry geometry;
  const std::int8_t* weights = nullptr;  // ONNX layout [c_out, c_in / group, kh, kw]
  const std::int32_t* bias = nullptr;    // [c_out] in the accumulator's scale, or null
  // Accumulator to output: x_scale * w_scale[m] / y_scale, one per output channel.
  std::vector<float> requantization_scales;
  std::int32_t x_zero_point = 0, y_zero_point = 0;
  std::int32_t out_min = -128, out_max = 127;  // quantized clamp (zero point included)
  int threads = 1;                             // the plan's pool size
};

class DnnlQConv {
 public:
  // Packs the weights once. Null (no error) when dnnl_conv_enabled() is false or oneDNN has
  // only its reference implementation for this geometry: the caller keeps XNNPACK. Callers ask
  // dnnl_qconv_enabled() first; create() itself also runs where the result is not exact (tests
  // bound the error there).
  static Result<std::unique_ptr<DnnlQConv>> create(const DnnlQConvParams& params);
  ~DnnlQConv();
  DnnlQConv(const DnnlQConv&) = delete;
  DnnlQConv& operator=(const DnnlQConv&) = delete;

  // in: [n, h, w, c_in] int8; out: [n, oh, ow, c_out] int8.
  // The parts run on `pool` (the plan's, of the size given to create()); null: on this thread.
  Status run(const std::int8_t* in, std::int8_t* out, ThreadPool* pool = nullptr);
  // oneDNN's name for the implementation it picked ("jit_uni_int8:avx2", ...).
  const std::string& implementation() const;

 private:
  explicit DnnlQConv(std::unique_ptr<DnnlConvState> state);
  std::unique_ptr<DnnlConvState> state_;
};

}  // namespace edgebench::kernels
