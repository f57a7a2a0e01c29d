// What the oneDNN convolutions (float: dnnl_conv.cc, int8: dnnl_qconv.cc) share: the CPU engine,
// and a convolution made once for NHWC activations (weights packed, bias copied) and run on
// pointers bound per call.
//
// Threads: Debian's oneDNN runs on OpenMP, whose workers beside the engine's pthreadpool made two
// busy thread sets on the same cores. So oneDNN always runs single-threaded here, and a
// convolution made for T threads is T single-threaded primitives over disjoint parts of the
// output (bands of output rows, of images in the batch, or of output channels for a 1x1 output),
// run on the plan's pthreadpool like every other kernel. Each output value is computed by the
// same code with the same reduction order at any T.
#pragma once

#include <cstddef>
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

// One single-threaded primitive over a part of the output, reading its input from `in_offset`
// and writing from `out_offset` (bytes into the whole convolution's activations).
struct DnnlConvPart {
  dnnl::stream stream;
  dnnl::convolution_forward primitive;
  dnnl::memory src, dst;
  std::unordered_map<int, dnnl::memory> args;  // the same handles every run
  std::ptrdiff_t in_offset = 0, out_offset = 0;
  std::vector<std::byte> scratchpad;
};

struct DnnlConvState {
  std::vector<DnnlConvPart> parts;
  std::vector<std::byte> bias_copy;
  std::string implementation;  // oneDNN's name for it (the first part's)

  // Runs on `in` and `out` ([n, h, w, c_in] and [n, oh, ow, c_out] of the primitive's types),
  // the parts spread over `pool` (null: one after the other on this thread).
  Status run(const void* in, void* out, ThreadPool* pool, std::string_view what);
};

// A convolution of geometry `g` on `data`-typed NHWC activations and weights (ONNX layout),
// with a `bias_type` bias of c_out values (or none) and `attr` (post-ops, scales, zero points),
// split for `threads` threads. `channel_split`: `attr` holds nothing per output channel, so that
// parts may take channel ranges.
// Null when oneDNN has nothing for it but its reference code (or nothing at all): the caller
// keeps XNNPACK. `what` starts error messages ("oneDNN convolution").
struct DnnlConvRequest {
  const DnnlConvGeometry& geometry;
  dnnl::memory::data_type data, bias_type;
  const void* weights;
  const void* bias;
  const dnnl::primitive_attr& attr;
  int threads;
  bool channel_split = false;
};
Result<std::unique_ptr<DnnlConvState>> make_dnnl_conv(const DnnlConvRequest& request,
                                                      std::string_view what);

#else

struct DnnlConvState {
  std::string implementation;
};

#endif

}  // namespace edgebench::kernels
