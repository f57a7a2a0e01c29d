// What the oneDNN convolutions (float: dnnl_conv.cc, int8: dnnl_qconv.cc) share: the CPU engine,
// and a convolution primitive made once for NHWC activations (weights packed, bias copied) and
// run on pointers bound per call, on the plan's thread count.
#pragma once

#include <string>

#include "dnnl_conv.h"
#include "edgebench/core/status.h"

#if EDGEBENCH_HAVE_DNNL
#include <cstddef>
#include <oneapi/dnnl/dnnl.hpp>
#include <string_view>
#include <unordered_map>
#include <vector>

// Debian's oneDNN runs on OpenMP (libgomp): the thread count of a call is the calling thread's
// OpenMP setting. Declared here rather than through <omp.h>, which clang builds lack.
extern "C" void omp_set_num_threads(int threads);
#endif

namespace edgebench::kernels {

#if EDGEBENCH_HAVE_DNNL

dnnl::engine& dnnl_cpu_engine();

struct DnnlConvState {
  dnnl::stream stream;
  dnnl::convolution_forward primitive;
  dnnl::memory src, weights, bias, dst;
  std::unordered_map<int, dnnl::memory> args;  // the same handles every run
  std::vector<std::byte> bias_copy;
  int threads = 1;
  std::string implementation;  // oneDNN's name for it

  // Runs on `in` and `out` ([n, h, w, c_in] and [n, oh, ow, c_out] of the primitive's types).
  Status run(const void* in, void* out, std::string_view what);
};

// A convolution of geometry `g` on `data`-typed NHWC activations and weights (ONNX layout),
// with a `bias_type` bias of c_out values (or none) and `attr` (post-ops, scales, zero points).
// Null when oneDNN has nothing for it but its reference code (or nothing at all): the caller
// keeps XNNPACK. `what` starts error messages ("oneDNN convolution").
struct DnnlConvRequest {
  const DnnlConvGeometry& geometry;
  dnnl::memory::data_type data, bias_type;
  const void* weights;
  const void* bias;
  const dnnl::primitive_attr& attr;
  int threads;
};
Result<std::unique_ptr<DnnlConvState>> make_dnnl_conv(const DnnlConvRequest& request,
                                                      std::string_view what);

#else

struct DnnlConvState {
  std::string implementation;
};

#endif

}  // namespace edgebench::kernels
